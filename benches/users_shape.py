"""Benchmark logs shaped like users' downloads, independent of apiusage's own generator.

One ApiTotalUsage CSV per org per day (default 8 orgs x 7 days = 56 files), every field quoted,
doubled quotes inside names, both TIMESTAMP and TIMESTAMP_DERIVED, `true`/`false` flags,
~100 users and a dozen connected apps per org, unique record ids inside resources, query
strings on query resources. The apps behave like integrations do: a poller on a fixed period
with jitter and missing beats, single-record CRUD in runs, chunked query paging, describe and
limits checks, bulk jobs, composite calls, and people in the UI (not counted).

    python3 benches/users_shape.py OUT ROWS [--orgs 8] [--days 7] [--seed 1]

Deterministic for the same arguments. A measuring aid: nothing here is used by the tests.
"""

import argparse
import datetime as dt
import os
import random
import zlib

HEADER = [
    "EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "ORGANIZATION_ID", "USER_ID", "API_FAMILY", "API_VERSION",
    "API_RESOURCE", "CLIENT_NAME", "HTTP_METHOD", "CLIENT_IP", "COUNTS_AGAINST_API_LIMIT", "CONNECTED_APP_ID",
    "ENTITY_NAME", "STATUS_CODE", "CONNECTED_APP_NAME", "USER_NAME", "TIMESTAMP_DERIVED", "API_CLIENT_CATEGORY",
]
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
START = dt.datetime(2026, 10, 5, tzinfo=dt.timezone.utc)
DAY_MS = 86_400_000

# (name, client, weight, kind, entity, version)
APPS = [
    ("NetLedger ERP Sync", "", 22, "crud", "Account", "58.0"),
    ('Order "Poller" Service', "", 0, "poll", "Order", "60.0"),
    ("CampaignPulse for Salesforce", "CampaignPulse/7.2", 12, "paging", "Lead", "60.0"),
    ("Reporting Hub", "", 6, "metadata", "Account", "60.0"),
    ("DataBridge Bulk Loader", "", 2, "bulk", "Contact", "62.0"),
    ("Mobile Field Gateway", "FieldPro/4.1", 8, "mixed", "WorkOrder", "61.0"),
    ("Marketing Cloud Connect", "", 7, "query", "Contact", "59.0"),
    ("Slack, \"Sales\" Alerts", "", 3, "query", "Opportunity", "60.0"),
    ("DocuSign Connector", "", 3, "crud", "Opportunity", "57.0"),
    ("Zendesk Bridge", "", 4, "mixed", "Case", "60.0"),
    ("CPQ Quote Sync", "CPQBridge/2.3", 5, "composite", "Quote", "60.0"),
    ("Legacy SOAP Integration", "", 3, "soap", "Account", "45.0"),
]
UI_WEIGHT = 25


def rid(rng, prefix, n=15):
    """A Salesforce-like id: key prefix, then random characters (hex digits are a subset of the
    real base-62 alphabet, and cheap to draw)."""
    return prefix + f"{rng.getrandbits(64):016x}"[: n - len(prefix)]


def stamp(ms):
    t = START + dt.timedelta(milliseconds=ms)
    return t.strftime("%Y%m%d%H%M%S") + f".{ms % 1000:03d}", t.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


class Org:
    def __init__(self, n, rng):
        self.id = f"00D{n:02d}000000Us{B62[n % 62]}r"[:15]
        self.domain = f"org{n}.example"
        self.apps = [(rid(rng, "0H4"), *a) for a in APPS]
        self.integration_users = [(rid(rng, "005"), f"integration{i}@{self.domain}") for i in range(16)]
        self.people = [(rid(rng, "005"), f"person.{i}@{self.domain}") for i in range(84)]
        self.ips = [f"198.51.100.{i}" for i in range(1, 40)]


def row(org, ms, user, app, family, version, resource, method, counts, entity, status, category, request):
    ts, derived = stamp(ms)
    app_id, app_name, client = app if app else ("", "", "")
    fields = [
        "ApiTotalUsage", ts, request, org.id, user[0], family, version, resource, client, method,
        org.ips[zlib.crc32(user[0].encode()) % len(org.ips)], "true" if counts else "false", app_id, entity, status,
        app_name, user[1], derived, category,
    ]
    return ",".join('"' + f.replace('"', '""') + '"' for f in fields)


def app_rows(org, app, day0, n, rng, counter):
    """n rows of one app on one day, by its kind."""
    app_id, name, client, _, kind, entity, version = app
    who = (app_id, name, client)
    user = org.integration_users[zlib.crc32(name.encode()) % len(org.integration_users)]
    out = []
    v = f"/v{version}"

    def add(ms, resource, method="GET", family="REST", status="200", ent=entity):
        counter[0] += 1
        out.append((ms, row(org, ms, user, who, family, version, resource, method, True, ent, status,
                            "EXTERNAL_APPLICATION", f"{org.id[-4:]}{counter[0]:012d}")))

    if kind == "poll":
        period = 7_000
        t = day0 + rng.randrange(period)
        q = f"{v}/query?q=SELECT+Id,Status+FROM+Order+WHERE+LastModifiedDate>{rng.randrange(10**6)}"
        while t < day0 + DAY_MS:
            if rng.random() > 0.03:  # a few beats missing
                add(t, q)
            t += period + rng.randrange(-250, 251)
        return out
    if kind in ("crud", "paging"):
        # Jobs work in bursts: a sync sends record after record at a machine's pace; a paging
        # loop walks one cursor's pages back to back.
        while len(out) < n:
            t = day0 + int(rng.betavariate(2.2, 2.2) * DAY_MS)
            cursor = rid(rng, "01g", 18)
            for k in range(min(rng.randrange(20, 800), n - len(out))):
                t += rng.randrange(80, 600)
                if kind == "paging":
                    add(t, f"{v}/query/{cursor}-{2000 * (k + 1)}")
                elif rng.random() < 0.5:
                    add(t, f"{v}/sobjects/{entity}/{rid(rng, '001', 18)}", "PATCH", status="204")
                else:
                    add(t, f"{v}/sobjects/{entity}/{rid(rng, '001', 18)}")
        return [r for r in out if r[0] < day0 + DAY_MS]
    for _ in range(n):
        ms = day0 + int(rng.betavariate(2.2, 2.2) * DAY_MS)
        if kind == "crud":
            rec = rid(rng, "001", 18)
            if rng.random() < 0.5:
                add(ms, f"{v}/sobjects/{entity}/{rec}", "PATCH", status="204")
            else:
                add(ms, f"{v}/sobjects/{entity}/{rec}")
        elif kind == "paging":
            add(ms, f"{v}/query/{rid(rng, '01g', 18)}-{2000 * rng.randrange(1, 40)}")
        elif kind == "metadata":
            add(ms, rng.choice([f"{v}/sobjects/{entity}/describe", f"{v}/limits", f"{v}/sobjects"]))
        elif kind == "bulk":
            add(ms, rng.choice([f"{v}/jobs/ingest", f"{v}/jobs/ingest/{rid(rng, '750', 18)}/batches"]), "POST", family="Bulk")
        elif kind == "composite":
            add(ms, f"{v}/composite/sobjects", "PATCH")
        elif kind == "soap":
            add(ms, rng.choice(["query", "update", "create", "retrieve"]), "POST", family="SOAP")
        elif kind == "query":
            add(ms, f"{v}/query?q=SELECT+Id+FROM+{entity}+WHERE+Id='{rid(rng, '006', 18)}'")
        else:
            add(ms, rng.choice([f"{v}/sobjects/{entity}/{rid(rng, '0WO', 18)}", f"{v}/query?q=SELECT+Id+FROM+{entity}"]))
    return out


def ui_rows(org, day0, n, rng, counter):
    out = []
    for _ in range(n):
        ms = day0 + int(rng.betavariate(3, 3) * DAY_MS)
        user = rng.choice(org.people)
        counter[0] += 1
        resource = f"/v66.0/ui-api/records/{rid(rng, '006', 18)}"
        out.append((ms, row(org, ms, user, None, "REST", "66.0", resource, "GET", False, "Opportunity", "200",
                            "LIGHTNING_UI", f"{org.id[-4:]}{counter[0]:012d}")))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("rows", type=int)
    p.add_argument("--orgs", type=int, default=8)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    per_file = a.rows // (a.orgs * a.days)
    weights = sum(w for *_, w, _, _, _ in APPS) + UI_WEIGHT
    counter = [0]
    for o in range(a.orgs):
        rng = random.Random(a.seed * 1000 + o)
        org = Org(o, rng)
        for d in range(a.days):
            day0 = d * DAY_MS
            rows = []
            poll = next(app for app in org.apps if app[4] == "poll")
            rows += app_rows(org, poll, day0, 0, rng, counter)
            rest = max(per_file - len(rows), 0)
            for app in org.apps:
                if app[4] != "poll":
                    rows += app_rows(org, app, day0, rest * app[3] // weights, rng, counter)
            rows += ui_rows(org, day0, per_file - len(rows), rng, counter)
            rows.sort(key=lambda r: r[0])
            date = (START + dt.timedelta(days=d)).strftime("%Y-%m-%d")
            with open(os.path.join(a.out, f"ApiTotalUsage_{date}_{org.id}.csv"), "w", newline="") as f:
                f.write(",".join(f'"{h}"' for h in HEADER) + "\n")
                f.write("\n".join(r for _, r in rows))
                f.write("\n")
    print(f"wrote {a.orgs * a.days} files, {counter[0]:,} rows into {a.out}")


if __name__ == "__main__":
    main()
