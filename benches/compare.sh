#!/usr/bin/env bash
# End-to-end comparison on generated data: `apiusage report` (wall, CPU, peak memory via
# /usr/bin/time -v) against the same peak computation in DuckDB, same files, same run.
# usage: benches/compare.sh [ROWS]   (default 1000000; needs `pip install duckdb`)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
bin=target/bench/release/apiusage
cargo build --release --target-dir target/bench
data=target/bench-data
for fmt in csv parquet; do
  dir=$data/cli-$fmt-$rows
  [ -f "$dir/.complete" ] || { rm -rf "$dir"; "$bin" sample --out "$dir" --bench-rows "$rows" --bench-format "$fmt"; touch "$dir/.complete"; }
  echo "== $fmt, $rows rows: $(du -sh "$dir" | cut -f1)"
  out=$(mktemp -d)
  /usr/bin/time -v "$bin" report "$dir" --out "$out" --allocation 5000000 --generated-at 2026-11-28T00:00:00Z 2> "$out.time" >/dev/null
  grep -E "Elapsed|User time|System time|Maximum resident" "$out.time" | sed 's/^\s*/  apiusage: /'
  python3 - "$out/summary.json" <<'PY'
import json, sys
for o in json.load(open(sys.argv[1]))["orgs"]:
    print(f"  apiusage: {o['org_id']} peak={o['peak']['calls']} at={o['peak']['at']}")
PY
  /usr/bin/time -v python3 benches/duckdb_peak.py "$fmt" "$dir" 2> "$out.dtime" | sed 's/^/  duckdb: /'
  grep -E "Elapsed|Maximum resident" "$out.dtime" | sed 's/^\s*/  duckdb process: /'
  rm -rf "$out" "$out.time" "$out.dtime"
done
