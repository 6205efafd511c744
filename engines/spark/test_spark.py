"""CI test of the Spark engine: its numbers must equal the Rust engine's, call for call.

Where it sits: run by engines/spark/test.sh (itself run by .ci/run after `cargo test`). For each
case it builds a call store with the checkout's `apiusage` binary, writes `summary.json` and
`usage_<org>.csv` with `apiusage report --store`, runs the Spark job on the same store, and
compares: every org, counted calls, peak (calls, at, window_start), warm-up, every integration
(key, label, kind, counted and not-counted calls, own peak, calls in the org's peak window), every
daily peak of the org and of each integration, and every per-minute row (calls, rolling_24h_end,
rolling_24h_max and the top integrations' columns). Nothing is timed.

Cases: the bundled sample logs (through spark-submit, as a user runs it), the same with time
splits, with --since/--until and with --org; the generated logs of gen_logs.py with an
--integrations file, with time splits of one day, and with --since in the middle of a day.
Each case also renders `apiusage report --aggregates` from the job's output and compares it with
the report from the store: summary.json apart from the recommendations and the row-level lists,
and every chart and CSV byte for byte. Closes with the plain `N passed, N failed` line.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import apiusage_spark  # noqa: E402
import gen_logs  # noqa: E402

GENERATED_AT = "2026-11-28T00:00:00Z"
SPARK_CONF = {
    "spark.master": "local[2]",
    "spark.driver.memory": "2g",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # Few rows: a handful of shuffle partitions keeps local mode quick.
    "spark.sql.shuffle.partitions": "4",
}


def apiusage(*args):
    binary = os.environ.get("APIUSAGE_BIN", os.path.join(ROOT, "target", "debug", "apiusage"))
    subprocess.run([binary, *args], check=True, stdout=subprocess.DEVNULL)


def rust_report(store, out, *options):
    apiusage("report", "--store", store, "--out", out, "--generated-at", GENERATED_AT, "--quiet", *options)
    with open(os.path.join(out, "summary.json")) as f:
        return json.load(f)


# ---------------------------------------------------------------- comparison


def diff(where, want, got, problems):
    if want != got:
        problems.append(f"{where}: rust {want!r}, spark {got!r}")


def peak(p):
    return None if p is None else {k: p[k] for k in ("calls", "at", "window_start")}


def compare_org(o, s, problems):
    where = o["org_id"]
    for field in (
        "counted_calls", "not_counted_calls", "estimated", "estimated_calls", "limit_exceeded_calls",
        "first_call", "last_call", "warm_up", "limit_reached",
    ):
        diff(f"{where} {field}", o.get(field), s.get(field), problems)
    diff(f"{where} peak", peak(o["peak"]), peak(s["peak"]), problems)
    diff(f"{where} integration order", [i["key"] for i in o["integrations"]], [i["key"] for i in s["integrations"]], problems)
    mine = {i["key"]: i for i in s["integrations"]}
    for i in o["integrations"]:
        j = mine.get(i["key"])
        if j is None:
            continue
        at = f"{where} {i['key']}"
        for field in ("label", "kind", "internal", "counted_calls", "not_counted_calls", "calls_in_org_peak_window"):
            diff(f"{at} {field}", i[field], j[field], problems)
        diff(f"{at} peak", peak(i["peak"]), peak(j["peak"]), problems)


def day(d):
    return {k: d[k] for k in ("date", "calls", "peak", "peak_at", "partial")}


def compare_capacity(c, s, problems):
    where = c["org_id"]
    diff(f"{where} daily", [day(d) for d in c["daily"]], [day(d) for d in s["daily"]], problems)
    mine = {i["key"]: i for i in s["integrations"]}
    diff(f"{where} daily integrations", [i["key"] for i in c["integrations"]], [i["key"] for i in s["integrations"]], problems)
    for i in c["integrations"]:
        got = [day(d) for d in mine[i["key"]]["daily"]] if i["key"] in mine else None
        diff(f"{where} {i['key']} daily", [day(d) for d in i["daily"]], got, problems)


def rust_minutes(report_dir, org_id):
    with open(os.path.join(report_dir, f"usage_{org_id}.csv"), newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def spark_minutes(spark, out, org_id):
    """The job's per-minute rows of one org as usage_<org>.csv would print them (the test may
    collect rows: it is not the job)."""
    from pyspark.sql import functions as F

    org = (
        spark.read.parquet(os.path.join(out, "minutes"))
        .where(F.col("org_id") == org_id)
        .select(F.unix_millis("minute").alias("m"), "calls", "rolling_24h_end", "rolling_24h_max")
        .orderBy("m")
        .collect()
    )
    keys = (
        spark.read.parquet(os.path.join(out, "minutes_integrations"))
        .where(F.col("org_id") == org_id)
        .select("rank", F.unix_millis("minute").alias("m"), "rolling_24h_end")
        .collect()
    )
    by_rank = {}
    for r in keys:
        by_rank.setdefault(r["rank"], {})[r["m"]] = r["rolling_24h_end"]
    rows = []
    for r in org:
        row = [apiusage_spark.rfc3339(r["m"]), str(r["calls"]), str(r["rolling_24h_end"]), str(r["rolling_24h_max"])]
        row += [str(by_rank[k].get(r["m"])) for k in sorted(by_rank)]
        rows.append(row)
    return rows


def compare_minutes(spark, report_dir, out, doc, problems):
    for o in doc["orgs"]:
        org_id = o["org_id"]
        if not os.path.exists(os.path.join(report_dir, f"usage_{org_id}.csv")):
            problems.append(f"{org_id}: no usage_{org_id}.csv from the Rust engine")
            continue
        header, want = rust_minutes(report_dir, org_id)
        got = spark_minutes(spark, out, org_id)
        ranked = sorted((i for i in o["integrations"] if i["series_rank"]), key=lambda i: i["series_rank"])
        labels = [f"{i['label']} rolling_24h_end" for i in ranked]
        diff(f"{org_id} series columns", header[4:], labels, problems)
        diff(f"{org_id} minutes", len(want), len(got), problems)
        for w, g in zip(want, got):
            if w != g:
                problems.append(f"{org_id} minute {w[0]}: rust {w[1:]}, spark {g[1:]}")
                break


# ---------------------------------------------------------------- report --aggregates

# Options of `apiusage report` that the job applies itself (`report --aggregates` refuses them).
JOB_OPTIONS = ("--since", "--until", "--org", "--integrations")
# What only the calls give: the recommendations and each integration's row-level lists.
ROW_LEVEL = ("top_resources", "top_entities", "methods", "api_families")
# Report files that differ by design: they carry the recommendations or say why they are missing.
DIFFERENT_BY_DESIGN = {"summary.json", "report.md", "report.html", "digest.md", "recommendations.csv"}
# CSV columns of row-level lists: empty in a report from the aggregates.
ROW_LEVEL_COLUMNS = {"integrations.csv": "top_resource"}


def render_options(report_options):
    out, skip = [], False
    for opt in report_options:
        if skip:
            skip = False
        elif opt in JOB_OPTIONS:
            skip = True
        else:
            out.append(opt)
    return out


def comparable(summary):
    """summary.json without what only a report from the calls has."""
    s = json.loads(json.dumps(summary))
    for k in ("recommendations", "what_if", "recommendations_omitted"):
        s.pop(k, None)
    for o in s["orgs"]:
        for i in o["integrations"]:
            for k in ROW_LEVEL:
                i.pop(k, None)
    for f in s["findings"]:
        for k in ROW_LEVEL:
            f.get("evidence", {}).pop(k, None)
    for c in s["capacity"]:
        c.pop("what_if", None)
    return s


def without_column(text, column):
    rows = list(csv.reader(text.decode("utf-8").splitlines()))
    if not rows or column not in rows[0]:
        return rows
    n = rows[0].index(column)
    return [r[:n] + r[n + 1:] for r in rows]


def json_diff(where, want, got, problems):
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            json_diff(f"{where}.{k}", want.get(k, "<absent>"), got.get(k, "<absent>"), problems)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for n, (w, g) in enumerate(zip(want, got)):
            json_diff(f"{where}[{n}]", w, g, problems)
    elif want != got:
        problems.append(f"{where}: report --store {want!r}, report --aggregates {got!r}")


def compare_rendered(case, report_dir, out, work):
    """`apiusage report --aggregates OUT` against `report --store`: the same summary.json
    apart from the recommendations and row-level lists, and byte-identical charts and CSVs."""
    problems = []
    agg_dir = os.path.join(work, case.name, "from-aggregates")
    apiusage("report", "--aggregates", out, "--out", agg_dir, "--generated-at", GENERATED_AT, "--quiet",
             *render_options(case.report_options))
    with open(os.path.join(report_dir, "summary.json")) as f:
        want = json.load(f)
    with open(os.path.join(agg_dir, "summary.json")) as f:
        got = json.load(f)
    if not got.get("recommendations_omitted"):
        problems.append("report --aggregates: summary.json does not say why recommendations are missing")
    json_diff("summary", comparable(want), comparable(got), problems)
    want_files = {n for n in os.listdir(report_dir) if os.path.isfile(os.path.join(report_dir, n))}
    got_files = {n for n in os.listdir(agg_dir) if os.path.isfile(os.path.join(agg_dir, n))}
    diff("report files", sorted(want_files - {"recommendations.csv"}), sorted(got_files - {"recommendations.csv"}), problems)
    for name in sorted((want_files & got_files) - DIFFERENT_BY_DESIGN):
        with open(os.path.join(report_dir, name), "rb") as a, open(os.path.join(agg_dir, name), "rb") as b:
            want_bytes, got_bytes = a.read(), b.read()
            if name in ROW_LEVEL_COLUMNS:
                want_bytes = without_column(want_bytes, ROW_LEVEL_COLUMNS[name])
                got_bytes = without_column(got_bytes, ROW_LEVEL_COLUMNS[name])
            if want_bytes != got_bytes:
                problems.append(f"{name}: differs between report --store and report --aggregates")
    with open(os.path.join(agg_dir, "report.md")) as f:
        if "## Recommendations\n\nNot computed: this report comes from the Spark job's aggregates" not in f.read():
            problems.append("report --aggregates: report.md does not say why recommendations are missing")
    return problems


def compare(summary, doc, spark, report_dir, out):
    """Every mismatch between the Rust engine's report and the Spark job's output, as text."""
    problems = []
    diff("orgs", [o["org_id"] for o in summary["orgs"]], [o["org_id"] for o in doc["orgs"]], problems)
    mine = {o["org_id"]: o for o in doc["orgs"]}
    for o in summary["orgs"]:
        if o["org_id"] in mine:
            compare_org(o, mine[o["org_id"]], problems)
    capacity = {c["org_id"]: c for c in doc["capacity"]}
    for c in summary["capacity"]:
        if c["org_id"] in capacity:
            compare_capacity(c, capacity[c["org_id"]], problems)
    diff("overview counted_calls", summary["overview"]["counted_calls"], doc["overview"]["counted_calls"], problems)
    compare_minutes(spark, report_dir, out, doc, problems)
    return problems


# ---------------------------------------------------------------- cases


class Case:
    """One comparison: a store, the Rust report's options and the Spark job's arguments."""

    def __init__(self, name, store, report_options, job_args):
        self.name, self.store, self.report_options, self.job_args = name, store, report_options, job_args


def run_in_process(spark, store, out, job_args):
    args = apiusage_spark.parse_args(["--store", store, "--out", out, *job_args])
    return apiusage_spark.run(spark, args)


def run_spark_submit(store, out, job_args):
    """The job as a user runs it, through spark-submit (its own JVM, before the test's own)."""
    beside = os.path.join(os.path.dirname(sys.executable), "spark-submit")
    submit = beside if os.path.exists(beside) else "spark-submit"
    env = {**os.environ, "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable)}
    cmd = [submit, "--master", "local[2]", "--driver-memory", "2g", "--conf", "spark.ui.enabled=false", "--conf", "spark.ui.showConsoleProgress=false"]
    cmd += ["--conf", "spark.sql.shuffle.partitions=4", os.path.join(HERE, "apiusage_spark.py")]
    cmd += ["--store", store, "--out", out, *job_args]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    with open(os.path.join(out, "aggregates.json")) as f:
        return json.load(f)


def check(case, work, spark_session, via_submit=False):
    """`spark_session()` gives the test's session, started lazily so that the spark-submit case
    runs before it (one Spark at a time)."""
    report_dir = os.path.join(work, case.name, "report")
    out = os.path.join(work, case.name, "spark")
    summary = rust_report(case.store, report_dir, *case.report_options)
    if via_submit:
        doc = run_spark_submit(case.store, out, case.job_args)
    else:
        doc = run_in_process(spark_session(), case.store, out, case.job_args)
    problems = compare(summary, doc, spark_session(), report_dir, out)
    return problems + compare_rendered(case, report_dir, out, work)


def sample_cases(work):
    store = os.path.join(work, "sample-store")
    apiusage("ingest", os.path.join(ROOT, "sample_logs"), "--store", store)
    profile = ["--profile", os.path.join(ROOT, "sample_logs", "org_profile.toml")]
    window = ["--since", "2026-11-03T06:00:00Z", "--until", "2026-11-04T12:00:00Z"]
    org = ["--org", "00D8a000000DvA1"]
    return [
        Case("sample", store, profile, []),
        Case("sample-split", store, profile, ["--split-days", "1"]),
        Case("sample-since-until", store, profile + window, window),
        Case("sample-org", store, profile + org, org),
    ]


def generated_cases(work):
    logs, mapping = gen_logs.generate(os.path.join(work, "generated"))
    store = os.path.join(work, "generated-store")
    apiusage("ingest", logs, "--store", store)
    m = ["--integrations", mapping]
    since = ["--since", "2026-10-06T12:00:00Z"]
    window = ["--since", "2026-10-05T10:00:00.001Z", "--until", "2026-10-08T05:59:59.999Z"]
    return [
        Case("generated", store, m, m),
        Case("generated-split", store, m, m + ["--split-days", "1"]),
        Case("generated-since", store, m + since, m + since),
        Case("generated-since-split", store, m + since, m + since + ["--split-days", "1"]),
        Case("generated-window", store, window, window + ["--split-days", "2"]),
    ]


def lazy_session():
    started = []

    def get():
        if not started:
            from pyspark.sql import SparkSession

            builder = SparkSession.builder.appName("apiusage-test")
            for k, v in SPARK_CONF.items():
                builder = builder.config(k, v)
            builder.getOrCreate()
            started.append(apiusage_spark.session())
        return started[0]

    return get


def main():
    work = tempfile.mkdtemp(prefix="apiusage-spark-test-")
    passed, failed = 0, 0
    spark_session = lazy_session()
    try:
        cases = sample_cases(work) + generated_cases(work)
        for n, case in enumerate(cases):
            try:
                # The first case goes through spark-submit, as a user runs the job; the others
                # share the test's JVM.
                problems = check(case, work, spark_session, via_submit=(n == 0))
            except Exception:
                problems = ["raised:\n" + traceback.format_exc()]
            if problems:
                failed += 1
                print(f"FAIL {case.name}")
                for p in problems[:25]:
                    print(f"  {p}")
                if len(problems) > 25:
                    print(f"  … and {len(problems) - 25} more")
            else:
                passed += 1
                print(f"ok   {case.name}")
    finally:
        if os.environ.get("KEEP_SPARK_TEST") is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
