#!/usr/bin/env bash
# The nightly run of issue 10: a store of 30 days x 8 orgs x 50 k rows per org-day (12 M rows),
# then one new day (8 files, 400 k rows): `report --store STORE NEWDAY/` (ingest the day and
# report) against a full `report` over all the raw files, each under /usr/bin/time -v. The two
# summaries must agree but for how input paths are spelled and the inputs skipped.
# usage: benches/store_nightly.sh [BIN]   (default target/profiling/apiusage; the data goes to
#        target/bench-data/nightly, the store to a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/profiling/apiusage}
data=target/bench-data/nightly
if [ ! -d "$data/history" ]; then
  "$bin" sample --out "$data/all" --bench-rows 12400000 --bench-orgs 8 --bench-days 31 --bench-format parquet > /dev/null
  last=$(ls "$data/all" | sed -n 's/.*_\([0-9-]*\)_.*/\1/p' | sort | tail -1)
  mkdir -p "$data/history" "$data/newday"
  mv "$data"/all/*_"$last"_* "$data/newday/"
  mv "$data"/all/* "$data/history/"
  rmdir "$data/all"
fi
echo "== history: $(ls "$data/history" | wc -l) files, new day: $(ls "$data/newday" | wc -l) files"
. benches/timed.sh
store=$(mktemp -u -d)
out=$(mktemp -d)
report=(--allocation 1000000 --quiet --timings --generated-at 2026-12-08T00:00:00Z --charts none)
timed ingest-history "$bin" ingest "$data/history" --store "$store"
timed nightly "$bin" report --store "$store" "$data/newday" --out "$out/nightly" "${report[@]}"
timed full-raw "$bin" report "$data/history" "$data/newday" --out "$out/raw" "${report[@]}"
strip() { grep -v '"path"\|"skipped' "$1"; }
if diff -q <(strip "$out/nightly/summary.json") <(strip "$out/raw/summary.json") > /dev/null; then
  echo "  summary.json: the nightly report equals the full raw report"
else
  echo "  summary.json: DIFFERENT (kept in $out)"; exit 1
fi
rm -rf "$out" "$store"
