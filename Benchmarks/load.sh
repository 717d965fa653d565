#!/usr/bin/env bash
# Load: 200 simulated laptops syncing concurrently against a running service (palabre-bench load), on SQLite, on
# PostgreSQL, and on PostgreSQL through two instances; each next to its ceiling, the same clients calling GET /healthz
# of the same service. Every load run ends with the exactness check (nothing lost, nothing duplicated).
# Usage: Benchmarks/load.sh [LAPTOPS=200] [SECONDS=60]
#   PostgreSQL runs need PALABRE_BENCH_POSTGRES=postgres://USER:PASSWORD@HOST:PORT/DATABASE (a schema of their own
#   is made in it); without it only SQLite runs.
set -euo pipefail
cd "$(dirname "$0")/.."
LAPTOPS=${1:-200}
SECONDS_=${2:-60}
swift build -c release --product palabre-server >/dev/null
swift build -c release --product palabre-bench >/dev/null
BIN=$(swift build -c release --show-bin-path)
W=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"' EXIT

serve() { # DATABASE PORT
  "$BIN/palabre-server" serve --database "$1" --port "$2" --log-level error --max-connections 16 >/dev/null 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$2/healthz" >/dev/null && return; sleep 0.1; done
  echo "the service on port $2 did not start" >&2; exit 1
}
stop() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; PIDS=(); }

PORT=$((20000 + RANDOM % 20000))
echo "== SQLite (one instance)"
serve "$W/central.sqlite" "$PORT"
"$BIN/palabre-bench" load --url "http://127.0.0.1:$PORT" --ceiling --laptops "$LAPTOPS" --duration 10
"$BIN/palabre-bench" load --url "http://127.0.0.1:$PORT" --database "$W/central.sqlite" --laptops "$LAPTOPS" --duration "$SECONDS_"
stop

if [ -n "${PALABRE_BENCH_POSTGRES:-}" ]; then
  SEP='?'; case "$PALABRE_BENCH_POSTGRES" in *\?*) SEP='&';; esac
  PG="$PALABRE_BENCH_POSTGRES${SEP}search_path=bench_$(date +%s)"
  echo "== PostgreSQL (one instance)"
  serve "$PG" "$PORT"
  "$BIN/palabre-bench" load --url "http://127.0.0.1:$PORT" --ceiling --laptops "$LAPTOPS" --duration 10
  "$BIN/palabre-bench" load --url "http://127.0.0.1:$PORT" --database "$PG" --laptops "$LAPTOPS" --duration "$SECONDS_"
  stop
  echo "== PostgreSQL (two instances, laptops split between them)"
  serve "$PG" "$PORT"
  serve "$PG" "$((PORT + 1))"
  "$BIN/palabre-bench" load --url "http://127.0.0.1:$PORT" --url "http://127.0.0.1:$((PORT + 1))" --database "$PG" \
    --laptops "$LAPTOPS" --duration "$SECONDS_"
  stop
else
  echo "(PostgreSQL skipped: set PALABRE_BENCH_POSTGRES to run it)"
fi
