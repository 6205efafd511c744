"""Generated Event Monitoring CSVs for the Spark engine's test (engines/spark/test_spark.py).

Where it sits: the test ingests these files with `apiusage ingest`, reports with `apiusage
report --store` and runs the Spark job on the same store; every number must agree. The data is
small and deterministic (a fixed seed) and plants the cases that break a careless rolling window:

- org A: several integrations (two connected apps, one of them Salesforce-internal traffic, a
  client name, a user, unattributed calls), not-counted rows, calls on a minute's first
  millisecond, a day with RestApi rows beside ApiTotalUsage (superseded), a fallback-only day
  (RestApi rows and no ApiTotalUsage), and re-downloaded duplicate rows in an hourly file;
- org B: ties: the same peak reached twice, days apart (the earliest instant must win);
- org C: calls exactly 24 h apart (they never share a window) and one 24 h - 1 ms later (it does);
- org D: fallback only (RestApi rows, no ApiTotalUsage at all).
"""

import csv
import datetime as dt
import os
import random

ORG_A = "00D5e000000AaAa"
ORG_B = "00D5e000000BbBb"
ORG_C = "00D5e000000CcCc"
ORG_D = "00D5e000000DdDd"

APP_ERP = ("0H45e000000Ap01", "ERP Sync")
APP_MOBILE = ("0H45e000000Ap02", "Field Mobile")
USER_MULE = ("0055e000000Us01", "mule@a.example")
USER_ERP = ("0055e000000Us02", "erp@a.example")
USER_ALICE = ("0055e000000Us03", "alice@a.example")

ATU_HEADER = [
    "EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "ORGANIZATION_ID", "USER_ID", "API_FAMILY", "API_VERSION",
    "API_RESOURCE", "CLIENT_NAME", "HTTP_METHOD", "CLIENT_IP", "COUNTS_AGAINST_API_LIMIT", "CONNECTED_APP_ID",
    "ENTITY_NAME", "STATUS_CODE", "CONNECTED_APP_NAME", "USER_NAME", "TIMESTAMP_DERIVED", "API_CLIENT_CATEGORY",
]
REST_HEADER = [
    "EVENT_TYPE", "TIMESTAMP", "REQUEST_ID", "ORGANIZATION_ID", "USER_ID", "URI", "METHOD", "STATUS_CODE",
    "ENTITY_NAME", "CONNECTED_APP_ID", "CLIENT_NAME", "TIMESTAMP_DERIVED", "CLIENT_IP",
]

# 2026-10-05T00:00:00Z, a Monday, in UTC ms.
DAY0 = 1_791_158_400_000
DAY = 86_400_000
HOUR = 3_600_000

# Who calls in org A, with a weight: (app, client, user, internal).
CALLERS_A = [
    (APP_ERP, "", USER_ERP, False, 6),
    (APP_MOBILE, "", USER_ALICE, True, 2),
    (None, "mule-prod", None, False, 3),
    (None, "", USER_MULE, False, 3),
    (None, "", None, False, 1),
]


def stamps(ms):
    t = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)
    compact = t.strftime("%Y%m%d%H%M%S") + f".{t.microsecond // 1000:03d}"
    iso = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    return compact, iso


class Rows:
    """Rows of one kind of file; request ids are unique across the whole generated set."""

    counter = 0

    def __init__(self):
        self.rows = []

    def next_id(self):
        Rows.counter += 1
        return f"REQ{Rows.counter:010d}"


def atu_row(rows, org, ms, app=None, client="", user=None, counted=True, internal=False):
    compact, iso = stamps(ms)
    app_id, app_name = app if app else ("", "")
    user_id, user_name = user if user else ("", "")
    row = {
        "EVENT_TYPE": "ApiTotalUsage", "TIMESTAMP": compact, "REQUEST_ID": rows.next_id(), "ORGANIZATION_ID": org,
        "USER_ID": user_id, "API_FAMILY": "REST", "API_VERSION": "60.0", "API_RESOURCE": "/v60.0/query",
        "CLIENT_NAME": client, "HTTP_METHOD": "GET", "CLIENT_IP": "198.51.100.7",
        "COUNTS_AGAINST_API_LIMIT": "1" if counted else "0", "CONNECTED_APP_ID": app_id, "ENTITY_NAME": "Account",
        "STATUS_CODE": "200", "CONNECTED_APP_NAME": app_name, "USER_NAME": user_name, "TIMESTAMP_DERIVED": iso,
        "API_CLIENT_CATEGORY": "SALESFORCE" if internal else "EXTERNAL_APPLICATION",
    }
    rows.rows.append(row)
    return row


def rest_row(rows, org, ms, app=None, client="", user=None):
    compact, iso = stamps(ms)
    row = {
        "EVENT_TYPE": "RestApi", "TIMESTAMP": compact, "REQUEST_ID": rows.next_id(), "ORGANIZATION_ID": org,
        "USER_ID": user[0] if user else "", "URI": "/services/data/v60.0/query", "METHOD": "GET", "STATUS_CODE": "200",
        "ENTITY_NAME": "Account", "CONNECTED_APP_ID": app[0] if app else "", "CLIENT_NAME": client,
        "TIMESTAMP_DERIVED": iso, "CLIENT_IP": "198.51.100.8",
    }
    rows.rows.append(row)
    return row


def write(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, quoting=csv.QUOTE_ALL)
        w.writeheader()
        w.writerows(rows)


def instant(rng, day):
    """A random instant of the day; one in eight on a minute's first millisecond, where the
    per-minute series' edge cases are."""
    ms = DAY0 + day * DAY + rng.randrange(DAY)
    return ms - ms % 60_000 if rng.random() < 0.125 else ms


def org_a(out, rng):
    """Three days: 0 and 1 with ApiTotalUsage (day 1 with RestApi too), 2 fallback-only."""
    weights = [c[4] for c in CALLERS_A]
    kept_day0 = []
    for day in (0, 1):
        atu, rest = Rows(), Rows()
        for _ in range(1500 + 700 * day):
            app, client, user, internal, _w = rng.choices(CALLERS_A, weights)[0]
            counted = rng.random() > 0.1
            ms = instant(rng, day)
            row = atu_row(atu, ORG_A, ms, app, client, user, counted, internal)
            if day == 0 and rng.random() < 0.05:
                kept_day0.append(row)
        # A burst of the ERP app in the evening makes the integration's own peak interesting.
        for k in range(400):
            atu_row(atu, ORG_A, DAY0 + day * DAY + 20 * HOUR + k * 1500, APP_ERP, "", USER_ERP)
        if day == 1:
            for _ in range(300):
                app, client, user, _i, _w = rng.choices(CALLERS_A, weights)[0]
                rest_row(rest, ORG_A, instant(rng, day), app, client, user)
            write(f"{out}/a/RestApi_day1.csv", REST_HEADER, rest.rows)
        write(f"{out}/a/ApiTotalUsage_day{day}.csv", ATU_HEADER, atu.rows)
    # The hourly re-download: the same calls again (duplicates, never counted twice).
    write(f"{out}/a/hourly/ApiTotalUsage_day0_seq1.csv", ATU_HEADER, kept_day0)
    rest = Rows()
    for _ in range(900):
        app, client, user, _i, _w = rng.choices(CALLERS_A, weights)[0]
        rest_row(rest, ORG_A, instant(rng, 2), app, client, user)
    write(f"{out}/a/RestApi_day2.csv", REST_HEADER, rest.rows)


def org_b(out):
    """The peak of 5 is reached on day 0 and again on day 3: the earliest instant wins, for the
    org and for its one integration alike."""
    rows = Rows()
    for when in (DAY0 + 10 * HOUR, DAY0 + 3 * DAY + 9 * HOUR):
        for _ in range(5):
            atu_row(rows, ORG_B, when, None, "poller")
    atu_row(rows, ORG_B, DAY0 + 1 * DAY + 11 * HOUR, None, "poller")
    write(f"{out}/b/ApiTotalUsage.csv", ATU_HEADER, rows.rows)


def org_c(out):
    """Calls exactly 24 h apart never share a window; 24 h - 1 ms apart they do: the peak is 2,
    at the last call, not at the second."""
    rows = Rows()
    t = DAY0 + 6 * HOUR
    for ms in (t, t + DAY, t + 2 * DAY, t + 3 * DAY - 1):
        atu_row(rows, ORG_C, ms, APP_ERP, "", USER_ERP)
    write(f"{out}/c/ApiTotalUsage.csv", ATU_HEADER, rows.rows)


def org_d(out, rng):
    rows = Rows()
    for day in (0, 1):
        for _ in range(200):
            rest_row(rows, ORG_D, instant(rng, day), None, "legacy-sync", USER_MULE)
    write(f"{out}/d/RestApi.csv", REST_HEADER, rows.rows)


MAPPING = """\
[rename]
"app:0H45e000000Ap01" = "ERP nightly sync"

[[merge]]
label = "MuleSoft middleware"
keys = ["user:0055e000000Us01", "client:mule-prod"]
"""


def generate(out):
    """Writes the logs under `out/logs` and the mapping file `out/integrations.toml`; returns
    both paths."""
    rng = random.Random(15)
    logs = os.path.join(out, "logs")
    org_a(logs, rng)
    org_b(logs)
    org_c(logs)
    org_d(logs, rng)
    mapping = os.path.join(out, "integrations.toml")
    with open(mapping, "w") as f:
        f.write(MAPPING)
    return logs, mapping
