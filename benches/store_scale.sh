#!/usr/bin/env bash
# The call store at scale: `ingest` of a folder of logs into a new store, then `report --store`
# twice (the second finds the OS cache warm), each under /usr/bin/time -v (wall, CPU, peak RSS),
# and the report over the raw files for comparison; the two summaries must be equal. Nothing is
# asserted beyond that; the figures go in notes.
# usage: benches/store_scale.sh DATA_DIR [BIN] [STORE_DIR]
#   DATA_DIR: e.g. from `apiusage sample --out DIR --bench-rows 100000000 --bench-orgs 10
#   --bench-days 30 --bench-format parquet`; BIN defaults to target/profiling/apiusage; the store
#   goes to STORE_DIR (default: a new temporary folder, removed afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
data=$1
bin=${2:-target/profiling/apiusage}
store=${3:-$(mktemp -u -d)}
echo "== $data: $(ls "$data" | wc -l) files, $(du -sh "$data" | cut -f1)"
. benches/timed.sh
out=$(mktemp -d)
report=(--allocation 1000000 --quiet --timings --generated-at 2026-12-08T00:00:00Z --charts none)
timed ingest "$bin" ingest "$data" --store "$store"
echo "  store: $(du -sh "$store" | cut -f1)"
timed report-store "$bin" report --store "$store" --out "$out/cold" "${report[@]}"
timed report-store "$bin" report --store "$store" --out "$out/warm" "${report[@]}"
timed report-raw "$bin" report "$data" --out "$out/raw" "${report[@]}"
# Same numbers; only how input paths are spelled may differ.
if diff -q <(grep -v '"path"' "$out/cold/summary.json") <(grep -v '"path"' "$out/raw/summary.json") > /dev/null; then
  echo "  summary.json: report --store equals the raw report"
else
  echo "  summary.json: DIFFERENT (kept in $out)"; exit 1
fi
rm -rf "$out"
[ -n "${3:-}" ] || rm -rf "$store"
