#!/usr/bin/env bash
# Export benchmark, against a baseline measured in the same run: `palabre export --format csv` of a generated
# N-record store against `sqlite3 -csv` dumping the same rows from the same file, with the peak memory of each.
# Usage: Benchmarks/export.sh [N=1000000]     (needs /usr/bin/time: apt-get install time)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
swift build -c release --product palabre --static-swift-stdlib --scratch-path .build-static >/dev/null
BIN=$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/palabre
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
"$BIN" generate --records "$N" --out "$W/data.csv" >/dev/null
"$BIN" init --store "$W/s.sqlite" --lang en >/dev/null
"$BIN" import "$W/data.csv" --store "$W/s.sqlite" >/dev/null
measure() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
read -r PT PM < <(measure "$BIN" export --format csv --out "$W/csv" --store "$W/s.sqlite")
read -r ST SM < <(measure sh -c "sqlite3 -csv '$W/s.sqlite' 'SELECT * FROM records WHERE deleted = 0' > '$W/dump.csv'")
printf 'csv export of %d records: palabre %.2f s, peak %d MB; sqlite3 -csv %.2f s, peak %d MB: palabre at %.0f%% of its speed\n' \
  "$N" "$PT" $((PM / 1024)) "$ST" $((SM / 1024)) "$(echo "100 * $ST / $PT" | bc -l)"
du -sh "$W/csv" "$W/dump.csv" | tr '\t' ' '
