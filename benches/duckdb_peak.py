"""The same per-org rolling-24h peak as `apiusage report`, as DuckDB SQL, for comparison.

Fastest correct formulation found (see benches/compare.sh): collapse calls at the same
millisecond, a running count per org, then an ASOF self-join finds, for each instant t, the
running count at the last instant <= t - 24 h (calls at exactly t - 24 h have expired: the
window is (t - 24 h, t]). usage(t) = cum(t) - cum(that instant). Peak = max usage, earliest t.

usage: python3 duckdb_peak.py csv|parquet|store DIR
(store: DIR is an apiusage call store; the current snapshot's files from its manifest, Hive
partitions, `WHERE counted`, as the README shows)
"""
import sys
import time

import duckdb

fmt, folder = sys.argv[1], sys.argv[2]
if fmt == "csv":
    source = f"""
        SELECT ORGANIZATION_ID AS org,
               epoch_ms(CAST(TIMESTAMP_DERIVED AS TIMESTAMPTZ)) AS ts
        FROM read_csv('{folder}/**/*.csv', header = true, all_varchar = true)
        WHERE lower(COUNTS_AGAINST_API_LIMIT) IN ('1', 'true')"""
elif fmt == "store":
    import json
    import os

    with open(os.path.join(folder, "manifest.json")) as f:
        files = ", ".join(f"'{os.path.join(folder, d['path'])}'" for d in json.load(f)["files"])
    source = f"""
        SELECT org_id AS org, epoch_ms(ts) AS ts
        FROM read_parquet([{files}], hive_partitioning = true)
        WHERE counted"""
else:
    source = f"""
        SELECT substr(InternalOrganizationId, 1, 15) AS org, epoch_ms("Timestamp") AS ts
        FROM read_parquet('{folder}/**/*.parquet')
        WHERE IsApiLimitCounted"""

query = f"""
WITH ev AS ({source}),
     c AS (SELECT org, ts, count(*) AS n FROM ev GROUP BY org, ts),
     r AS (SELECT org, ts, sum(n) OVER (PARTITION BY org ORDER BY ts ROWS UNBOUNDED PRECEDING) AS cum FROM c),
     j AS (SELECT a.org, a.ts, a.cum - coalesce(b.cum, 0) AS usage
           FROM r a ASOF LEFT JOIN r b ON a.org = b.org AND b.ts <= a.ts - 86400000)
SELECT DISTINCT ON (org) org, usage AS peak, ts AS peak_ms
FROM j ORDER BY org, usage DESC, ts
"""

con = duckdb.connect()
start = time.perf_counter()
rows = con.execute(query).fetchall()
elapsed = time.perf_counter() - start
for org, peak, at in rows:
    print(f"{org} peak={peak} at_ms={at}")
print(f"duckdb {fmt} seconds={elapsed:.3f}")
