#!/usr/bin/env bash
# apiusage beside DuckDB and ClickHouse (chdb) on logs shaped like users' downloads
# (benches/users_shape.py: one CSV per org per day, every field quoted), same files, same run:
# `report --timings` (stage table on stderr), `top`, and the two engines' peak queries, each
# under /usr/bin/time -v (wall, CPU, peak RSS). Nothing is asserted; the figures go in notes.
# usage: benches/users_compare.sh [ROWS] [BIN] [csv|parquet]   (default 10000000,
#        target/profiling/apiusage, csv; needs a Python with duckdb and chdb:
#        PYTHON=target/bench-venv/bin/python). parquet: the same rows as typed Parquet, one
#        file per org (benches/users_parquet.py).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000000}
bin=${2:-target/profiling/apiusage}
py=${PYTHON:-python3}
format=${3:-csv}
dir=target/bench-data/users-csv-$rows
[ -d "$dir" ] || python3 benches/users_shape.py "$dir" "$rows"
if [ "$format" = parquet ]; then
  csv=$dir
  dir=target/bench-data/users-parquet-$rows
  [ -d "$dir" ] || "$py" benches/users_parquet.py "$csv" "$dir"
fi
echo "== $rows rows: $(ls "$dir" | wc -l) files, $(du -sh "$dir" | cut -f1)"
timed() {
  local name=$1; shift
  /usr/bin/time -v "$@" > /tmp/users_compare.out 2> /tmp/users_compare.err || true
  grep "timings:" /tmp/users_compare.err | sed 's/^apiusage: /  /' || true
  printf '  %-8s wall %s  user %ss  sys %ss  rss %s KiB\n' "$name" \
    "$(grep Elapsed /tmp/users_compare.err | awk '{print $NF}')" \
    "$(grep 'User time' /tmp/users_compare.err | awk '{print $NF}')" \
    "$(grep 'System time' /tmp/users_compare.err | awk '{print $NF}')" \
    "$(grep 'Maximum resident' /tmp/users_compare.err | awk '{print $NF}')"
}
out=$(mktemp -d)
timed report "$bin" report "$dir" --out "$out" --allocation 1000000 --quiet --timings --generated-at 2026-10-12T00:00:00Z
timed top "$bin" top "$dir" --allocation 1000000 --quiet
timed duckdb "$py" benches/duckdb_peak.py "$format" "$dir"
timed chdb "$py" benches/chdb_peak.py "$format" "$dir"
rm -rf "$out"
