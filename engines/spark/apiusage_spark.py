"""apiusage on Apache Spark: the rolling 24-hour numbers of `apiusage report --store`, from the
call store, for data that outgrows one machine.

Where it sits: `apiusage ingest` writes the call store (hive-partitioned Parquet plus
`manifest.json`, see the main README, "The call store"); this job reads the store's current
snapshot and computes what the Rust engine's `usage` and `capacity` stages compute (per org:
counted calls, the exact rolling-24h peak and its window, each integration's calls, own peak and
calls in the org's peak window, the daily peaks, the per-minute series), and writes them to OUT
in the layout documented in engines/spark/README.md, with summary.json's field names, so that
`apiusage report --aggregates OUT` can render a report from it.

Exactness: the usage at a call instant t is the number of counted calls in (t - 24 h, t], which
on integer milliseconds is the window frame `RANGE BETWEEN 86399999 PRECEDING AND CURRENT ROW`;
the job evaluates it as an equal running sum (see `rolling`). Nothing is sampled or bucketed;
the per-minute series are exact too (see `minute_series`).

    spark-submit engines/spark/apiusage_spark.py --store DIR --out OUT \
        [--integrations FILE] [--since TIME] [--until TIME] [--org ORGID]... [--split-days N]
"""

import argparse
import datetime as dt
import json
import sys
import tomllib

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

WINDOW_MS = 86_400_000
MINUTE_MS = 60_000
MINUTES_PER_WINDOW = WINDOW_MS // MINUTE_MS
# How many integrations per org get their own per-minute series (the Rust engine's
# usage::SERIES_INTEGRATIONS, the stacked series of the usage chart and usage_<org>.csv).
SERIES_INTEGRATIONS = 8
UNATTRIBUTED = "(unattributed)"
CALL_TYPES = ["ApiTotalUsage", "RestApi", "API", "ApexRestApi", "BulkApiRequest"]
# The store columns this job uses (the others stay on disk: Parquet reads only these).
ROW_COLUMNS = [
    "org_id", "event_type", "counted", "superseded", "estimated", "limit_exceeded", "salesforce_client",
    "integration", "user_name", "connected_app_id", "connected_app_name", "source_file", "source_line",
]
# The Rust engine's ignored-row reasons for rows a filter leaves out (dedup::OTHER_ORG, OUTSIDE_TIME).
OTHER_ORG = "org not selected by --org"
OUTSIDE_TIME = "outside --since/--until"
OUTPUT_KIND = "apiusage-spark-aggregates"
OUTPUT_SCHEMA_VERSION = 1


class UsageError(Exception):
    """A problem with the arguments or the store that the user can fix."""


# ---------------------------------------------------------------- arguments and small parsers


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="apiusage_spark.py",
        description="Rolling 24-hour API usage from an apiusage call store, on Spark.",
    )
    p.add_argument("--store", required=True, help="the call store (local path or a Hadoop URI, e.g. s3a://…)")
    p.add_argument("--out", required=True, help="output folder (local path or a Hadoop URI)")
    p.add_argument("--integrations", help="TOML file with [rename] and [[merge]] (as apiusage report)")
    p.add_argument("--since", help="only instants at or after (RFC 3339, or YYYY-MM-DD)")
    p.add_argument("--until", help="only calls before (RFC 3339, or YYYY-MM-DD)")
    p.add_argument("--org", action="append", default=[], help="only this org (15 or 18 chars; repeatable)")
    p.add_argument(
        "--split-days",
        type=int,
        default=0,
        help="split each org into time ranges of N UTC days (each with the 24 h before it) so "
        "one org is several tasks; 0 (default) keeps each org in one task",
    )
    args = p.parse_args(argv)
    if args.split_days < 0:
        raise UsageError("--split-days must be 0 or more")
    return args


def parse_time_ms(text, flag):
    """RFC 3339 or a date (its 00:00 UTC), as apiusage's config::parse_time, in UTC ms."""
    s = text.strip()
    try:
        if len(s) == 10:
            d = dt.date.fromisoformat(s)
            t = dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc)
        else:
            t = dt.datetime.fromisoformat(s.replace("Z", "+00:00").replace("z", "+00:00"))
            if t.tzinfo is None:
                raise ValueError("no offset")
    except ValueError:
        raise UsageError(f"{flag} `{text}` is not an RFC 3339 time (2026-11-02T10:00:00Z) or a date (2026-11-02)")
    delta = t - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def id15(org):
    """The 15-character form of an org id (an 18-character id whose case suffix checks out is
    cut to 15), as apiusage's normalize::id15: the store's folders use the 15-character form."""
    org = org.strip()
    if len(org) == 18 and org.isascii() and org.isalnum():
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
        suffix = ""
        for chunk in range(3):
            bits = sum(1 << i for i, c in enumerate(org[chunk * 5 : chunk * 5 + 5]) if "A" <= c <= "Z")
            suffix += alphabet[bits]
        if suffix.lower() == org[15:].lower():
            return org[:15]
    return org


def rfc3339(ms):
    """UTC ms → `2026-11-03T21:57:16.735Z`, the layout of every time in summary.json."""
    t = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def day_text(day):
    """Day index (days since 1970-01-01 UTC) → YYYY-MM-DD."""
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


def load_integration_map(path):
    """`--integrations FILE` as apiusage reads it (attribute::IntegrationMap): `[rename]` key →
    label and `[[merge]]` tables of `label` and `keys`; unknown tables are an error there, so here."""
    if path is None:
        return {"rename": {}, "merge": []}
    with open(path, "rb") as f:
        try:
            doc = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            raise UsageError(f"--integrations {path}: {e}")
    unknown = set(doc) - {"rename", "merge"}
    if unknown:
        raise UsageError(f"--integrations {path}: unknown table(s) {sorted(unknown)}; expected [rename] and [[merge]]")
    rename = {str(k): str(v) for k, v in doc.get("rename", {}).items()}
    merge = [{"label": str(m["label"]), "keys": [str(k) for k in m["keys"]]} for m in doc.get("merge", [])]
    return {"rename": rename, "merge": merge}


# ---------------------------------------------------------------- the store's snapshot


def hadoop_path(spark, uri):
    """A Hadoop Path and its FileSystem: one way to reach local disks, HDFS and object stores."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path, path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def read_text(spark, uri):
    path, fs = hadoop_path(spark, uri)
    if not fs.exists(path):
        return None
    stream = fs.open(path)
    try:
        data = spark.sparkContext._jvm.org.apache.commons.io.IOUtils.toByteArray(stream)
    finally:
        stream.close()
    return bytes(data).decode("utf-8")


def write_text(spark, uri, text):
    """Writes a small file through a temporary name and a rename, so a reader never sees half
    of it (on object stores the rename is a copy, but the file is still complete or absent)."""
    path, fs = hadoop_path(spark, uri)
    tmp = spark.sparkContext._jvm.org.apache.hadoop.fs.Path(uri + ".tmp")
    out = fs.create(tmp, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()
    fs.delete(path, False)
    if not fs.rename(tmp, path):
        raise UsageError(f"cannot rename {uri}.tmp to {uri}")


def delete(spark, uri):
    path, fs = hadoop_path(spark, uri)
    fs.delete(path, True)


def join_uri(base, rel):
    return base.rstrip("/") + "/" + rel.lstrip("/")


def load_manifest(spark, store):
    """The store's current snapshot; readers must check the schema version and kind (README)."""
    text = read_text(spark, join_uri(store, "manifest.json"))
    if text is None:
        raise UsageError(f"{store}: no manifest.json (not an apiusage call store)")
    manifest = json.loads(text)
    if manifest.get("kind") != "apiusage-store":
        raise UsageError(f"{store}: manifest.json is not an apiusage store manifest (kind {manifest.get('kind')!r})")
    if manifest.get("schema_version") != 1:
        raise UsageError(f"{store}: store schema_version {manifest.get('schema_version')!r}; this job reads version 1")
    return manifest


def select_files(manifest, orgs, since, until):
    """The snapshot's files this run needs, pruned by org and by date from the manifest alone.

    With --since, the files from the day holding `since - 24 h` on are read: calls after that
    instant are context for the windows after --since (the rows themselves are cut by time
    later). With --until, files of days at or after its day's end cannot hold a call before it.
    Returns the kept files and, per org, whether the store holds a file of an earlier day than
    the first one read (then the inputs reach back beyond the warm-up: `warm_up.complete`).
    """
    first_day = day_text((since - WINDOW_MS) // WINDOW_MS) if since is not None else None
    last_day = day_text((until - 1) // WINDOW_MS) if until is not None else None
    kept, earlier = [], set()
    for f in manifest["files"]:
        if orgs and f["org_id"] not in orgs:
            continue
        if first_day is not None and f["date"] < first_day:
            if f["rows"] > 0:
                earlier.add(f["org_id"])
            continue
        if last_day is not None and f["date"] > last_day:
            continue
        kept.append(f)
    return kept, earlier


def read_rows(spark, store, files):
    """Exactly the listed files (never a glob: a glob would also see an interrupted ingest's
    files), with the org from the hive folder names."""
    calls_root = join_uri(store, "calls")
    paths = [join_uri(store, f["path"]) for f in files]
    return spark.read.option("basePath", calls_root).parquet(*paths)


# ---------------------------------------------------------------- rows → counted calls


def restrict(rows, since, until):
    """Kept (non-duplicate) rows inside the time range, with `ctx` marking the warm-up.

    As the Rust engine's dedup::Table::restrict: rows at or before `since - 24 h` and at or
    after `until` are dropped; rows in (since - 24 h, since) stay as context: they count in the
    windows of later instants, but their own instants and rows are not reported."""
    df = rows.where(~F.col("duplicate")).select(*ROW_COLUMNS, F.unix_millis("ts").alias("ms"))
    if since is not None:
        df = df.where(F.col("ms") > since - WINDOW_MS)
    if until is not None:
        df = df.where(F.col("ms") < until)
    ctx = F.col("ms") < since if since is not None else F.lit(False)
    return df.withColumn("ctx", ctx)


def map_keys(df, mapping):
    """The integration key with `--integrations` applied (attribute::apply_map): a key listed
    in a [[merge]] becomes `merged:<label>` (the first merge naming it wins), then [rename]
    changes labels only (see `labels`)."""
    key = F.coalesce(F.col("integration"), F.lit(UNATTRIBUTED))
    merged = {}
    for m in mapping["merge"]:
        for k in m["keys"]:
            merged.setdefault(k, "merged:" + m["label"])
    if merged:
        pairs = F.create_map(*[F.lit(x) for kv in merged.items() for x in kv])
        key = F.coalesce(pairs[key], key)
    return df.withColumn("raw_key", F.coalesce(F.col("integration"), F.lit(UNATTRIBUTED))).withColumn("key", key)


def labels(df, mapping):
    """Label, kind and internal flag per key, over every org (apiusage attributes globally).

    The label as attribute::identify builds it: a connected app's name (the smallest any row
    gives its id), else `client X`, `user NAME`. Where rows of one key disagree (a merge of a
    client and a user, a user named on some rows only), the same rule as attribute::outranks
    decides, whatever the row order: the first kind in precedence order, then a label that names
    the caller over one that repeats its id, then the smaller label. A [rename] or merge label
    wins, and keeps the " (Salesforce internal)" suffix off."""
    app_names = (
        df.where(F.col("connected_app_id").isNotNull() & F.col("connected_app_name").isNotNull())
        .groupBy("connected_app_id")
        .agg(F.min("connected_app_name").alias("app_name"))
    )
    raw = F.col("raw_key")
    own_label = (
        F.when(raw.startswith("app:"), F.coalesce(F.col("app_name"), F.concat(F.lit("connected app "), raw.substr(5, 1 << 20))))
        .when(raw.startswith("app_name:"), raw.substr(10, 1 << 20))
        .when(raw.startswith("client:"), F.concat(F.lit("client "), raw.substr(8, 1 << 20)))
        .when(raw.startswith("user:"), F.concat(F.lit("user "), F.coalesce(F.col("user_name"), raw.substr(6, 1 << 20))))
        .otherwise(raw)
    )
    kind = (
        F.when(raw.startswith("app:") | raw.startswith("app_name:"), "connected_app")
        .when(raw.startswith("client:"), "client")
        .when(raw.startswith("user:"), "user")
        .otherwise("unattributed")
    )
    kind_rank = (
        F.when(kind == "connected_app", 0).when(kind == "client", 1).when(kind == "user", 2).otherwise(3)
    )
    # For a merged key every label is the merge's own, so only the kind tells them apart.
    key_id = F.regexp_extract(F.col("key"), r"^[^:]*:(.*)$", 1)
    repeats_id = F.when(F.col("key").startswith("merged:"), F.lit(True)).otherwise(own_label.endswith(key_id))
    rank = F.struct(
        kind_rank.alias("rank"), repeats_id.alias("repeats_id"), own_label.alias("label"), kind.alias("kind")
    )
    per_key = (
        df.join(F.broadcast(app_names), "connected_app_id", "left")
        .groupBy("key")
        .agg(
            F.min(rank).alias("first"),
            F.max(F.coalesce(F.col("salesforce_client"), F.lit(False))).alias("internal"),
        )
    )
    named = {**{"merged:" + m["label"]: m["label"] for m in mapping["merge"]}, **mapping["rename"]}
    label = F.col("first.label")
    if named:
        names = F.create_map(*[F.lit(x) for kv in named.items() for x in kv])
        user_named = names[F.col("key")].isNotNull()
        label = F.when(user_named, names[F.col("key")]).otherwise(label)
    else:
        user_named = F.lit(False)
    label = F.when(F.col("internal") & ~user_named, F.concat(label, F.lit(" (Salesforce internal)"))).otherwise(label)
    return per_key.select("key", label.alias("label"), F.col("first.kind").alias("kind"), "internal")


def row_stats(df):
    """Per org and key, one pass over the kept rows: the counts of summary.json's orgs[] that
    are not windows. `is_call`: a call source in use (model::Calls::is_call: not a context event
    type, not a superseded fallback row)."""
    in_range = ~F.col("ctx")
    is_call = F.col("event_type").isin(CALL_TYPES) & ~F.col("superseded")

    def n(cond):
        return F.sum(F.when(cond, 1).otherwise(0))

    return df.groupBy("org_id", "key").agg(
        n(in_range).alias("rows_in_range"),
        n(in_range & F.col("counted")).alias("counted_calls"),
        n(in_range & is_call & ~F.col("counted")).alias("not_counted_calls"),
        n(in_range & F.col("counted") & F.col("estimated")).alias("estimated_calls"),
        n(in_range & F.coalesce(F.col("limit_exceeded"), F.lit(False))).alias("limit_exceeded_calls"),
        n(F.col("ctx") & F.col("counted")).alias("context_calls"),
        F.min(F.when(in_range & F.coalesce(F.col("limit_exceeded"), F.lit(False)), F.col("ms"))).alias("first_refusal"),
    )


# ---------------------------------------------------------------- the rolling window


def split_by_time(calls, split_days):
    """Assigns each counted call to a time range of `split_days` UTC days (`chunk`) as its
    owner, and also, as context only, to the next range when it is within 24 h of that range's
    start, so that each range holds every call that any of its instants' windows reaches: the
    window of t is (t - 24 h, t], and t - 24 h ≥ range start - 24 h. The count per range is then
    exact for the rows it owns, and one org becomes several tasks."""
    if split_days == 0:
        return calls.withColumn("chunk", F.lit(0)).withColumn("owner", F.lit(True))
    span = split_days * WINDOW_MS
    chunk = F.floor(F.col("ms") / span)
    next_start = (chunk + 1) * span
    copies = F.when(
        F.col("ms") > next_start - WINDOW_MS,
        F.array(F.struct(chunk.alias("chunk"), F.lit(True).alias("owner")), F.struct((chunk + 1).alias("chunk"), F.lit(False).alias("owner"))),
    ).otherwise(F.array(F.struct(chunk.alias("chunk"), F.lit(True).alias("owner"))))
    return calls.withColumn("copy", F.explode(copies)).select("*", "copy.chunk", "copy.owner").drop("copy")


def rolling(calls, split_days):
    """Each counted call with the org's usage (`usage`) and its integration's usage (`own`) at
    its instant: the number of counted calls in (t - 24 h, t].

    That is `COUNT(*) OVER (… RANGE BETWEEN 86399999 PRECEDING AND CURRENT ROW)`, but Spark
    evaluates a sliding frame by aggregating the whole frame again for every row (no
    retraction), O(calls × calls per day). The same count as a running sum is O(calls): each
    call adds 1 at t and takes it back at t + 24 h, the instant it stops counting; the sum of
    every event at or before t (RANGE … CURRENT ROW takes all events of t's millisecond, so
    calls at one instant count together and a call made exactly 24 h earlier is out) is the
    usage at t."""
    parts = split_by_time(calls, split_days).withColumn("t", F.col("ms")).withColumn("d", F.lit(1))
    expiries = parts.select(
        "org_id", "key", "ms", "ctx", "chunk", F.lit(False).alias("owner"),
        (F.col("ms") + WINDOW_MS).alias("t"), F.lit(-1).alias("d"),
    )
    events = parts.unionByName(expiries)
    running = (Window.unboundedPreceding, Window.currentRow)
    by_org = Window.partitionBy("org_id", "chunk").orderBy("t").rangeBetween(*running)
    by_key = Window.partitionBy("org_id", "chunk", "key").orderBy("t").rangeBetween(*running)
    return (
        events.withColumn("usage", F.sum("d").over(by_org))
        .withColumn("own", F.sum("d").over(by_key))
        .where(F.col("owner") & (F.col("d") == 1))
        .drop("chunk", "owner", "t", "d")
    )


def peak_of(usage_col):
    """Aggregate: the largest usage and the earliest instant reaching it. Structs compare field
    by field, so the maximum of (usage, -ms) is the peak at its earliest time."""
    return F.max(F.struct(F.col(usage_col).alias("calls"), (-F.col("ms")).alias("neg_at"))).alias("peak")


def peaks(rolled):
    """Org and integration peaks and spans over the instants in range (never a context call's)."""
    in_range = rolled.where(~F.col("ctx"))
    org = in_range.groupBy("org_id").agg(
        peak_of("usage"), F.min("ms").alias("first_ms"), F.max("ms").alias("last_ms")
    )
    key = in_range.groupBy("org_id", "key").agg(peak_of("own"))
    return org, key


def daily(rolled):
    """Calls and peak per UTC day with calls in range (window::daily_peaks): the day's peak is
    the largest usage at a call that day, yesterday's calls and the context counted in it."""
    in_range = rolled.where(~F.col("ctx")).withColumn("day", F.floor(F.col("ms") / WINDOW_MS))
    org = in_range.groupBy("org_id", "day").agg(F.count(F.lit(1)).alias("calls"), peak_of("usage"))
    key = in_range.groupBy("org_id", "key", "day").agg(F.count(F.lit(1)).alias("calls"), peak_of("own"))
    return org, key


def calls_in_windows(calls, probes, by):
    """Counted calls (context included) in (at - 24 h, at] for each probe (org_id, at), counted
    per `by` columns: each integration's calls in the org's peak window, the usage at the first
    refusal. Probes are one row per org, so they are broadcast."""
    joined = calls.join(F.broadcast(probes), "org_id").where(
        (F.col("ms") > F.col("at") - WINDOW_MS) & (F.col("ms") <= F.col("at"))
    )
    return joined.groupBy(*by).agg(F.count(F.lit(1)).alias("in_window"))


# ---------------------------------------------------------------- per-minute series


def minute_counts(rolled):
    """Per org and minute with calls (context included): calls, calls exactly on the minute's
    first millisecond, the last minute those calls keep usage above zero, and the largest usage
    at a call inside the minute."""
    m = rolled.withColumn("minute", F.floor(F.col("ms") / MINUTE_MS))
    on_edge = F.col("ms") == F.col("minute") * MINUTE_MS
    return m.groupBy("org_id", "minute").agg(
        F.count(F.lit(1)).alias("c"),
        F.sum(F.when(on_edge, 1).otherwise(0)).alias("b"),
        # A call at t keeps usage above zero until t + 24 h - 1 ms: minute + 1439 for a call on
        # the minute's first millisecond, minute + 1440 otherwise (window::active_minutes).
        (F.col("minute") + MINUTES_PER_WINDOW - F.min(F.when(on_edge, 1).otherwise(0))).alias("tail"),
        F.max("usage").alias("event_max"),
    )


def active_minutes(counts, org_peaks):
    """The minutes with usage above zero from the org's first to its last call in range
    (window::active_minutes), as the union of each call minute's run [minute, tail]: islands by
    a running maximum of the tails, then each island's minutes. Sparse: its size follows the
    calls (at most 1,441 minutes per call), not the time span."""
    by_org = Window.partitionBy("org_id").orderBy("minute")
    before = by_org.rowsBetween(Window.unboundedPreceding, -1)
    islands = (
        counts.withColumn("reach", F.max("tail").over(before))
        .withColumn("starts", F.when(F.col("reach").isNull() | (F.col("minute") > F.col("reach") + 1), 1).otherwise(0))
        .withColumn("island", F.sum("starts").over(by_org.rowsBetween(Window.unboundedPreceding, 0)))
        .groupBy("org_id", "island")
        .agg(F.min("minute").alias("lo"), F.max("tail").alias("hi"))
    )
    # Context minutes (before the first call in range) are kept: the windows below need their
    # calls; the series is cut to the reported minutes afterwards.
    bounds = org_peaks.select(
        "org_id",
        F.floor(F.col("last_ms") / MINUTE_MS).alias("last_minute"),
    )
    return (
        islands.join(F.broadcast(bounds), "org_id")
        .withColumn("hi", F.least("hi", "last_minute"))
        .where(F.col("lo") <= F.col("hi"))
        .select("org_id", F.explode(F.sequence("lo", "hi")).alias("minute"))
    )


def with_expiries(counts, keys):
    """Per minute of `counts` (keys + minute, with calls `c` and edge calls `b`), and per minute
    1,440 minutes later, `c_old`/`b_old`: the calls of the minute 24 h earlier, which stop
    counting then. A running sum of c - c_old is then the usage at each minute's end (see
    `minute_series`) without a sliding frame (which Spark recomputes for every row)."""
    ahead = counts.select(
        *keys, (F.col("minute") + MINUTES_PER_WINDOW).alias("minute"),
        F.col("c").alias("c_old"), F.col("b").alias("b_old"),
    )
    return counts.join(ahead, [*keys, "minute"], "full").fillna(0, ["c", "b", "c_old", "b_old"])


def minute_series(counts, org_peaks):
    """usage_<org>.csv's columns per active minute: calls, rolling_24h_end (usage at the
    minute's last millisecond) and rolling_24h_max (the largest usage at any instant of it).

    24 h is 1,440 whole minutes, so with c[k] the calls of minute k and b[k] those exactly on
    its first millisecond:
      end(m)   = Σ c[m-1439 .. m]  = Σ_{k ≤ m} (c[k] - c[k-1440])   calls in (end - 24 h, end]
      start(m) = end(m) - c[m] + c[m-1440] - b[m-1440] + b[m]       calls in (start - 24 h, start]
      max(m)   = max(start(m), largest usage at a call in m, end(m))
    since usage only rises at calls and otherwise falls. The running sum runs over every minute
    with calls or expiries (the active minutes are a subset), so it is exact."""
    grid = active_minutes(counts, org_peaks).withColumn("in_grid", F.lit(True))
    deltas = with_expiries(counts.select("org_id", "minute", "c", "b", "event_max"), ["org_id"])
    g = deltas.join(grid, ["org_id", "minute"], "full").fillna(0, ["c", "b", "c_old", "b_old"])
    w = Window.partitionBy("org_id").orderBy("minute").rangeBetween(Window.unboundedPreceding, Window.currentRow)
    end = F.sum(F.col("c") - F.col("c_old")).over(w)
    start = F.col("rolling_24h_end") - F.col("c") + F.col("c_old") - F.col("b_old") + F.col("b")
    series = (
        g.withColumn("rolling_24h_end", end)
        .where(F.col("in_grid").isNotNull())
        .withColumn("start_usage", start)
        .withColumn("rolling_24h_max", F.greatest("start_usage", F.coalesce("event_max", F.lit(0)), "rolling_24h_end"))
    )
    first = org_peaks.select("org_id", F.floor(F.col("first_ms") / MINUTE_MS).alias("first_minute"))
    return (
        series.join(F.broadcast(first), "org_id")
        .where(F.col("minute") >= F.col("first_minute"))
        .select(
            "org_id",
            F.timestamp_millis(F.col("minute") * MINUTE_MS).alias("minute"),
            F.col("c").cast("long").alias("calls"),
            F.col("rolling_24h_end").cast("long"),
            F.col("rolling_24h_max").cast("long"),
        )
    )


def integration_series(rolled, counts, org_peaks, top):
    """rolling_24h_end per org minute for each org's top integrations (`top`: org_id, key,
    rank), on the org's minutes, as the extra columns of usage_<org>.csv; the same running sum
    as `minute_series`, per integration."""
    grid = active_minutes(counts, org_peaks).join(F.broadcast(top), "org_id").withColumn("in_grid", F.lit(True))
    per_key = (
        rolled.join(F.broadcast(top.select("org_id", "key")), ["org_id", "key"])
        .withColumn("minute", F.floor(F.col("ms") / MINUTE_MS))
        .groupBy("org_id", "key", "minute")
        .agg(F.count(F.lit(1)).alias("c"), F.lit(0).alias("b"))
    )
    deltas = with_expiries(per_key, ["org_id", "key"])
    g = deltas.join(grid, ["org_id", "key", "minute"], "full").fillna(0, ["c", "c_old"])
    w = Window.partitionBy("org_id", "key").orderBy("minute").rangeBetween(Window.unboundedPreceding, Window.currentRow)
    first = org_peaks.select("org_id", F.floor(F.col("first_ms") / MINUTE_MS).alias("first_minute"))
    return (
        g.withColumn("rolling_24h_end", F.sum(F.col("c") - F.col("c_old")).over(w))
        .where(F.col("in_grid").isNotNull())
        .join(F.broadcast(first), "org_id")
        .where(F.col("minute") >= F.col("first_minute"))
        .select(
            "org_id",
            "key",
            "rank",
            F.timestamp_millis(F.col("minute") * MINUTE_MS).alias("minute"),
            F.col("rolling_24h_end").cast("long"),
        )
    )


def top_integrations(listed):
    """The integrations with counted calls that get a series: the first SERIES_INTEGRATIONS in
    the org's integration order (peak desc, not-counted desc, key)."""
    order = Window.partitionBy("org_id").orderBy(
        F.col("peak.calls").desc_nulls_last(), F.col("not_counted_calls").desc(), F.col("key")
    )
    return (
        listed.where(F.col("counted_calls") > 0)
        .withColumn("rank", F.row_number().over(order))
        .where(F.col("rank") <= SERIES_INTEGRATIONS)
        .select("org_id", "key", "rank")
    )


# ---------------------------------------------------------------- accounting and limits


def data_quality(manifest, raw, kept_files, orgs, since, until):
    """The data-quality panel's inputs: each source's accounting from the manifest, and per
    source the call rows in use that the filter leaves out (dedup::Table::restrict moves them
    from used to ignored). Rows of files pruned from the manifest are counted from the
    manifest's per-file figures; rows of files read, by one aggregation over them."""
    path_of = {s["id"]: s["path"] for s in manifest["sources"]}
    filtered = {}

    def add(source_id, reason, n):
        if n:
            per = filtered.setdefault(path_of.get(source_id, source_id), {})
            per[reason] = per.get(reason, 0) + n

    kept = {f["path"] for f in kept_files}
    for f in manifest["files"]:
        if f["path"] in kept:
            continue
        reason = OTHER_ORG if orgs and f["org_id"] not in orgs else OUTSIDE_TIME
        for source_id, rows in f.get("sources", {}).items():
            add(source_id, reason, rows.get("used", 0))
    if since is not None or until is not None:
        ms = F.unix_millis("ts")
        outside = F.lit(False)
        if since is not None:
            outside = outside | (ms <= since - WINDOW_MS)
        if until is not None:
            outside = outside | (ms >= until)
        in_use = ~F.col("duplicate") & ~F.col("superseded") & F.col("event_type").isin(CALL_TYPES)
        for r in raw.where(in_use & outside).groupBy("source_id").count().collect():
            add(r["source_id"], OUTSIDE_TIME, r["count"])
    sources = [{"path": s["path"], "format": s["format"], "rows": s["accounting"]} for s in manifest["sources"]]
    return {"sources": sources, "filtered": filtered}


def copy_limits(spark, manifest, store, out):
    """Each org's latest `/limits` response (store::latest_limits), copied into OUT/limits so
    that OUT alone gives the report its allocation source."""
    latest = {}
    for entry in manifest.get("limits", []):
        best = latest.get(entry["org_id"])
        if best is None or (entry["fetched_ms"], entry["path"]) > (best["fetched_ms"], best["path"]):
            latest[entry["org_id"]] = entry
    copied = []
    for org_id in sorted(latest):
        entry = latest[org_id]
        text = read_text(spark, join_uri(store, entry["path"]))
        if text is None:
            raise UsageError(f"{store}: manifest.json lists {entry['path']}, which is missing (run `apiusage store verify`)")
        rel = f"limits/{org_id}.json"
        write_text(spark, join_uri(out, rel), text)
        copied.append({"org_id": org_id, "fetched_at": entry["fetched_at"], "file": rel})
    return copied


# ---------------------------------------------------------------- the per-org document


def peak_json(peak):
    if peak is None:
        return None
    at = -peak["neg_at"]
    return {"calls": peak["calls"], "at": rfc3339(at), "window_start": rfc3339(at - WINDOW_MS)}


def day_json(row, lower_bound_until):
    at = -row["peak"]["neg_at"]
    return {
        "date": day_text(row["day"]),
        "calls": row["calls"],
        "peak": row["peak"]["calls"],
        "peak_at": rfc3339(at),
        # capacity::mark_partial: only the org's days, and only while usage is a lower bound.
        "partial": lower_bound_until is not None and at < lower_bound_until,
    }


def warm_up_json(org, first_ms, since, earliest, earlier_file):
    """summary.json's warm_up (analysis::warm_up): the 24 h before --since (else before the
    first call), complete when some kept row of the org is at or before their start."""
    to = since if since is not None else first_ms
    start = to - WINDOW_MS
    complete = org in earlier_file or (earliest is not None and earliest <= start)
    return {
        "from": rfc3339(start),
        "to": rfc3339(to),
        "complete": complete,
        "lower_bound_until": None if complete else to + WINDOW_MS,
    }


def integration_order(i):
    calls = i["peak"]["calls"] if i["peak"] else 0
    return (-calls, -i["not_counted_calls"], i["key"])


def build_document(collected, args, since, until, manifest):
    """The aggregates document from per-org rows collected on the driver (one row per org,
    integration and day: aggregates only, never calls)."""
    orgs, capacity = [], []
    for org_id in sorted(collected["orgs"]):
        o = collected["orgs"][org_id]
        peak = o.get("peak")
        first_ms, last_ms = o.get("first_ms"), o.get("last_ms")
        warm = None
        if first_ms is not None:
            warm = warm_up_json(org_id, first_ms, since, o.get("earliest"), collected["earlier"])
            warm["context_calls"] = o["context_calls"]
        lower = warm["lower_bound_until"] if warm else None
        if warm and lower is not None:
            warm["lower_bound_until"] = rfc3339(lower)
        integrations = sorted(collected["integrations"].get(org_id, []), key=integration_order)
        refusal = o.get("first_refusal")
        orgs.append(
            {
                "org_id": org_id,
                "counted_calls": o["counted_calls"],
                "not_counted_calls": o["not_counted_calls"],
                "estimated": o["estimated_calls"] > 0,
                "estimated_calls": o["estimated_calls"],
                "limit_exceeded_calls": o["limit_exceeded_calls"],
                "limit_reached": None if refusal is None else {"at": rfc3339(refusal), "usage": o.get("refusal_usage", 0)},
                "first_call": rfc3339(first_ms) if first_ms is not None else None,
                "last_call": rfc3339(last_ms) if last_ms is not None else None,
                "peak": peak_json(peak),
                "warm_up": warm and {k: warm[k] for k in ("from", "to", "complete", "context_calls", "lower_bound_until")},
                "integrations": [
                    {
                        "key": i["key"],
                        "label": i["label"],
                        "kind": i["kind"],
                        "internal": i["internal"],
                        "counted_calls": i["counted_calls"],
                        "not_counted_calls": i["not_counted_calls"],
                        "peak": peak_json(i["peak"]),
                        "calls_in_org_peak_window": i["in_window"],
                        "series_rank": i["series_rank"],
                    }
                    for i in integrations
                ],
            }
        )
        days = sorted(collected["days"].get(org_id, []), key=lambda d: d["day"])
        key_days = collected["key_days"].get(org_id, {})
        capacity.append(
            {
                "org_id": org_id,
                "days_with_calls": len(days),
                "daily": [day_json(d, lower) for d in days],
                "integrations": [
                    {
                        "key": i["key"],
                        "label": i["label"],
                        "daily": [day_json(d, None) for d in sorted(key_days[i["key"]], key=lambda d: d["day"])],
                    }
                    for i in sorted(integrations, key=lambda i: i["key"])
                    if i["key"] in key_days
                ],
            }
        )
    spans = [(o["first_call"], o["last_call"]) for o in orgs if o["first_call"]]
    return {
        "schema_version": OUTPUT_SCHEMA_VERSION,
        "kind": OUTPUT_KIND,
        "engine": "spark",
        "store": {"path": args.store, "snapshot": manifest.get("snapshot")},
        "filter": {
            "since": rfc3339(since) if since is not None else None,
            "until": rfc3339(until) if until is not None else None,
            "orgs": sorted(set(id15(o) for o in args.org)),
        },
        "integrations_file": args.integrations,
        "split_days": args.split_days,
        "overview": {
            "first_call": min(s[0] for s in spans) if spans else None,
            "last_call": max(s[1] for s in spans) if spans else None,
            "orgs": len(orgs),
            "counted_calls": sum(o["counted_calls"] for o in orgs),
        },
        "orgs": orgs,
        "capacity": capacity,
        "minutes": {"org": "minutes", "integrations": "minutes_integrations"},
        "data_quality": collected["data_quality"],
        "limits": collected["limits"],
    }


# ---------------------------------------------------------------- the job


def run(spark, args):
    since = parse_time_ms(args.since, "--since") if args.since else None
    until = parse_time_ms(args.until, "--until") if args.until else None
    if since is not None and until is not None and since >= until:
        raise UsageError("--since must be before --until")
    orgs = {id15(o) for o in args.org}
    mapping = load_integration_map(args.integrations)
    manifest = load_manifest(spark, args.store)
    known = {f["org_id"] for f in manifest["files"]}
    unknown = sorted(orgs - known)
    if unknown:
        raise UsageError(f"unknown org {', '.join(unknown)}; orgs found: {', '.join(sorted(known))}")
    files, earlier = select_files(manifest, orgs, since, until)
    if not files:
        raise UsageError("no store file in the selected orgs and time range")

    # Written first, removed first: aggregates.json is the commit mark of a complete OUT.
    delete(spark, join_uri(args.out, "aggregates.json"))

    raw = read_rows(spark, args.store, files)
    earliest = raw.where(~F.col("duplicate")).groupBy("org_id").agg(F.min(F.unix_millis("ts")).alias("earliest"))
    cached = []

    def keep(df):
        """Cache a DataFrame several outputs read; released when the run ends."""
        cached.append(df.persist())
        return df

    rows = keep(map_keys(restrict(raw, since, until), mapping))
    stats = keep(row_stats(rows))
    orgs_in_range = stats.groupBy("org_id").agg(F.sum("rows_in_range").alias("n")).where("n > 0").select("org_id")

    calls = keep(rows.where("counted").select("org_id", "key", "ms", "ctx").join(F.broadcast(orgs_in_range), "org_id"))
    rolled = keep(rolling(calls, args.split_days))
    org_peaks, key_peaks = peaks(rolled)
    org_peaks = keep(org_peaks)
    org_days, key_days = daily(rolled)

    probes = org_peaks.select("org_id", (-F.col("peak.neg_at")).alias("at"))
    in_window = calls_in_windows(calls, probes, ["org_id", "key"])
    org_stats = stats.groupBy("org_id").agg(
        *[F.sum(c).alias(c) for c in ("rows_in_range", "counted_calls", "not_counted_calls", "estimated_calls", "limit_exceeded_calls", "context_calls")],
        F.min("first_refusal").alias("first_refusal"),
    ).where("rows_in_range > 0")
    refusals = org_stats.where(F.col("first_refusal").isNotNull()).select("org_id", F.col("first_refusal").alias("at"))
    refusal_usage = calls_in_windows(calls, refusals, ["org_id"]).withColumnRenamed("in_window", "refusal_usage")

    listed = (
        stats.where((F.col("counted_calls") > 0) | (F.col("not_counted_calls") > 0))
        .join(key_peaks, ["org_id", "key"], "left")
        .join(in_window, ["org_id", "key"], "left")
        .fillna(0, ["in_window"])
        .join(labels(rows, mapping), "key", "left")
    )
    top = keep(top_integrations(listed))
    listed = listed.join(top.withColumnRenamed("rank", "series_rank"), ["org_id", "key"], "left")

    counts = keep(minute_counts(rolled))
    write_parquet(minute_series(counts, org_peaks), join_uri(args.out, "minutes"), ["org_id", "minute"])
    write_parquet(
        integration_series(rolled, counts, org_peaks, top),
        join_uri(args.out, "minutes_integrations"),
        ["org_id", "rank", "minute"],
    )

    collected = collect_aggregates(org_stats, org_peaks, earliest, refusal_usage, listed, org_days, key_days)
    collected["earlier"] = earlier
    collected["data_quality"] = data_quality(manifest, raw, files, orgs, since, until)
    collected["limits"] = copy_limits(spark, manifest, args.store, args.out)
    if not collected["orgs"]:
        # As apiusage report: a run that would report nothing fails instead of looking healthy.
        raise UsageError("no call in the selected orgs and time range")
    doc = build_document(collected, args, since, until, manifest)
    write_text(spark, join_uri(args.out, "aggregates.json"), json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    # A session that runs the job again (the test does) must not keep this run's rows cached.
    for df in cached:
        df.unpersist()
    return doc


def write_parquet(df, uri, order):
    """One folder per org (hive style, `org_id=<id>/`), rows in time order inside each file;
    timestamps as Parquet TIMESTAMP_MILLIS (UTC), which polars and DuckDB read as they are."""
    df.repartition("org_id").sortWithinPartitions(*order).write.mode("overwrite").partitionBy("org_id").parquet(uri)


def collect_aggregates(org_stats, org_peaks, earliest, refusal_usage, listed, org_days, key_days):
    """The only rows brought to the driver: one per org, per (org, integration) and per
    (org, day) and (org, integration, day) — the size of summary.json, never of the calls."""
    orgs = {}
    per_org = (
        org_stats.join(org_peaks, "org_id", "left").join(earliest, "org_id", "left").join(refusal_usage, "org_id", "left")
    )
    for r in per_org.collect():
        orgs[r["org_id"]] = r.asDict(recursive=True)
    integrations = {}
    cols = ["org_id", "key", "label", "kind", "internal", "counted_calls", "not_counted_calls", "peak", "in_window", "series_rank"]
    for r in listed.select(*cols).collect():
        integrations.setdefault(r["org_id"], []).append(r.asDict(recursive=True))
    days = {}
    for r in org_days.collect():
        days.setdefault(r["org_id"], []).append(r.asDict(recursive=True))
    per_key_days = {}
    for r in key_days.collect():
        per_key_days.setdefault(r["org_id"], {}).setdefault(r["key"], []).append(r.asDict(recursive=True))
    return {"orgs": orgs, "integrations": integrations, "days": days, "key_days": per_key_days}


def session():
    """Settings the numbers depend on, whatever the cluster's defaults: UTC, strings for the
    hive folder names, and millisecond Parquet timestamps (not INT96) in the output."""
    spark = (
        SparkSession.builder.appName("apiusage")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MILLIS")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    return spark


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        spark = session()
        doc = run(spark, args)
    except UsageError as e:
        print(f"apiusage_spark: error: {e}", file=sys.stderr)
        return 2
    o = doc["overview"]
    print(f"wrote {args.out}: {o['orgs']} org(s), {o['counted_calls']:,} counted calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
