#!/usr/bin/env bash
# 10 M rows already in the store (issue 10): the first `report --store` after the ingest and a
# second one, beside DuckDB's reference peak query on the raw CSV files and on the store's own
# Parquet (the snapshot's files, Hive partitions, WHERE counted), each under /usr/bin/time -v,
# same run. Nothing is asserted; the figures go in notes.
# usage: benches/store_vs_duckdb.sh [ROWS] [BIN]   (default 10000000, target/profiling/apiusage;
#        needs a Python with duckdb: PYTHON=target/bench-venv/bin/python; the CSV logs are
#        benches/users_shape.py's)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000000}
bin=${2:-target/profiling/apiusage}
py=${PYTHON:-python3}
csv=target/bench-data/users-csv-$rows
[ -d "$csv" ] || python3 benches/users_shape.py "$csv" "$rows"
. benches/timed.sh
store=$(mktemp -u -d)
out=$(mktemp -d)
report=(--allocation 1000000 --quiet --timings --generated-at 2026-10-12T00:00:00Z --charts none)
timed ingest "$bin" ingest "$csv" --store "$store"
timed report-cold "$bin" report --store "$store" --out "$out/cold" "${report[@]}"
timed report-warm "$bin" report --store "$store" --out "$out/warm" "${report[@]}"
timed duckdb-csv "$py" benches/duckdb_peak.py csv "$csv"
timed duckdb-store "$py" benches/duckdb_peak.py store "$store"
rm -rf "$out" "$store"
