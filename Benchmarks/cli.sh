#!/usr/bin/env bash
# Field-capture benchmarks, each against a baseline measured in the same run:
#  1. importing N generated records with `palabre import` vs sqlite3's `.import` of the same CSV into a plain table;
#  2. one non-interactive `palabre add` vs one `sqlite3` INSERT, each a whole process, averaged over R runs.
# Usage: Benchmarks/cli.sh [N=100000] [R=30]
# Builds the release binary with the Swift runtime linked in (--static-swift-stdlib: the one file to copy to a
# laptop, and ~5 ms faster to start than the dynamically linked one) into .build-static.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
R=${2:-30}
swift build -c release --product palabre --static-swift-stdlib --scratch-path .build-static >/dev/null
BIN=$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/palabre
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

"$BIN" generate --records "$N" --out "$W/data.csv" >/dev/null
COLS=$(head -1 "$W/data.csv")
echo "data: $N records, $(du -h "$W/data.csv" | cut -f1) of CSV"

pal=(); raw=()
for i in 1 2 3; do
  rm -f "$W/p.sqlite"* "$W/r.sqlite"*
  "$BIN" init --store "$W/p.sqlite" --lang en >/dev/null
  t0=$(now); "$BIN" import "$W/data.csv" --store "$W/p.sqlite" >/dev/null; t1=$(now)
  pal+=("$(echo "$t1 - $t0" | bc -l)")
  # The baseline: a plain table with one TEXT column per CSV column, same file, same WAL + synchronous=FULL settings.
  sqlite3 "$W/r.sqlite" "PRAGMA journal_mode=WAL; CREATE TABLE t ($(echo "$COLS" | sed 's/,/ TEXT,/g') TEXT);" >/dev/null
  t0=$(now); sqlite3 "$W/r.sqlite" -cmd "PRAGMA synchronous=FULL" ".mode csv" ".import --skip 1 $W/data.csv t"; t1=$(now)
  raw+=("$(echo "$t1 - $t0" | bc -l)")
done
P=$(printf '%s\n' "${pal[@]}" | median); S=$(printf '%s\n' "${raw[@]}" | median)
printf 'import %d records: palabre %.3f s (%.0f records/s), sqlite3 .import %.3f s (%.0f rows/s): palabre at %.0f%% of raw SQLite speed\n' \
  "$N" "$P" "$(echo "$N / $P" | bc -l)" "$S" "$(echo "$N / $S" | bc -l)" "$(echo "100 * $S / $P" | bc -l)"

rm -f "$W/a.sqlite"* "$W/b.sqlite"*
"$BIN" init --store "$W/a.sqlite" --lang en >/dev/null
sqlite3 "$W/b.sqlite" "PRAGMA journal_mode=WAL; CREATE TABLE session (id TEXT PRIMARY KEY, title TEXT, date TEXT, region TEXT, locality TEXT, format TEXT);" >/dev/null
t0=$(now)
for i in $(seq "$R"); do
  "$BIN" add session --store "$W/a.sqlite" --set title="Vestibule $i" --set date=2026-11-02 --set region=gao \
    --set locality=Bara --set format=youth >/dev/null
done
t1=$(now)
for i in $(seq "$R"); do
  sqlite3 "$W/b.sqlite" -cmd "PRAGMA synchronous=FULL" \
    "INSERT INTO session VALUES (lower(hex(randomblob(16))), 'Vestibule $i', '2026-11-02', 'gao', 'Bara', 'youth');"
done
t2=$(now)
A=$(echo "($t1 - $t0) * 1000 / $R" | bc -l); B=$(echo "($t2 - $t1) * 1000 / $R" | bc -l)
printf 'one add: palabre %.1f ms, sqlite3 insert %.1f ms (each a whole process, mean of %d): ratio %.2fx\n' "$A" "$B" "$R" "$(echo "$A / $B" | bc -l)"
