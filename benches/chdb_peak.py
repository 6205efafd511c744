"""The per-org rolling-24h peak of `apiusage report`, in ClickHouse (chdb, in-process), for
comparison beside benches/duckdb_peak.py on the same files.

Calls at the same millisecond are collapsed, then a RANGE frame over integer milliseconds
counts the calls in (t - 24 h, t]: `RANGE BETWEEN 86399999 PRECEDING AND CURRENT ROW`. Peak =
max usage, earliest t. CSV columns are read as text (no type guessing), as apiusage reads them.

usage: python3 chdb_peak.py csv|parquet DIR     (pip install chdb)
"""
import sys
import time

import chdb

fmt, folder = sys.argv[1], sys.argv[2]
if fmt == "csv":
    source = f"""
        SELECT ORGANIZATION_ID AS org,
               toUnixTimestamp64Milli(parseDateTime64BestEffort(TIMESTAMP_DERIVED, 3, 'UTC')) AS ts
        FROM file('{folder}/*.csv', 'CSVWithNames')
        WHERE lower(COUNTS_AGAINST_API_LIMIT) IN ('1', 'true')"""
    settings = "SETTINGS input_format_csv_use_best_effort_in_schema_inference = 0"
else:
    source = f"""
        SELECT substring(InternalOrganizationId, 1, 15) AS org, toUnixTimestamp64Milli(Timestamp) AS ts
        FROM file('{folder}/*.parquet', 'Parquet')
        WHERE IsApiLimitCounted"""
    settings = ""

query = f"""
WITH c AS (SELECT org, ts, count() AS n FROM ({source}) GROUP BY org, ts),
     u AS (SELECT org, ts, sum(n) OVER (PARTITION BY org ORDER BY ts
                                        RANGE BETWEEN 86399999 PRECEDING AND CURRENT ROW) AS usage
           FROM c)
SELECT org, usage, ts FROM u ORDER BY org, usage DESC, ts LIMIT 1 BY org
{settings}
"""

start = time.perf_counter()
out = chdb.query(query, "TSV")
elapsed = time.perf_counter() - start
for line in str(out).strip().splitlines():
    org, peak, at = line.split("\t")
    print(f"{org} peak={peak} at_ms={at}")
print(f"chdb {fmt} seconds={elapsed:.3f}")
