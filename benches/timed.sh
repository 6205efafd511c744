# Sourced by the store benches: `timed NAME CMD…` runs CMD under /usr/bin/time -v and prints its
# --timings table (if any), DuckDB's own seconds (if any), then wall, user, sys and peak RSS.
# A failing command prints its stderr and ends the bench.
timed() {
  local name=$1; shift
  local out err
  out=$(mktemp) err=$(mktemp)
  /usr/bin/time -v "$@" > "$out" 2> "$err" || { cat "$err"; rm -f "$out" "$err"; exit 1; }
  grep "timings:" "$err" | sed 's/^apiusage: /  /' || true
  grep "seconds=" "$out" | sed 's/^/  /' || true
  printf '  %-14s wall %s  user %ss  sys %ss  rss %s KiB\n' "$name" \
    "$(grep Elapsed "$err" | awk '{print $NF}')" \
    "$(grep 'User time' "$err" | awk '{print $NF}')" \
    "$(grep 'System time' "$err" | awk '{print $NF}')" \
    "$(grep 'Maximum resident' "$err" | awk '{print $NF}')"
  rm -f "$out" "$err"
}
