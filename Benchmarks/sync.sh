#!/usr/bin/env bash
# Sync benchmarks, each against a baseline measured in the same run:
#  1. applying pushed changes on the service vs plain SQLite inserts of the same rows (palabre-bench);
#  2. bytes on the wire to sync the samples data set (push from the laptop that holds it, pull by a fresh laptop)
#     vs the gzip size of the same records as plain CSV (one file per form), and what that means on a 2G link;
#  3. bytes on the wire for forms: a sync with nothing new (forms current), and one after a coordinator publishes a
#     new follow-up version, vs the gzip size of the project's form files.
# Usage: Benchmarks/sync.sh [N=100000]     (builds release binaries first; needs curl and python3)
#   With PALABRE_BENCH_POSTGRES=postgres://… the apply measure also runs on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
swift build -c release --product palabre >/dev/null
swift build -c release --product palabre-server >/dev/null
swift build -c release --product palabre-bench >/dev/null
BIN=$(swift build -c release --show-bin-path)
W=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$W"' EXIT

"$BIN/palabre-bench" apply --records "$N"
# The same on PostgreSQL, against plain INSERTs of the same rows, when a database is given.
if [ -n "${PALABRE_BENCH_POSTGRES:-}" ]; then "$BIN/palabre-bench" apply --records "$N" --postgres "$PALABRE_BENCH_POSTGRES"; fi

DB="$W/central.sqlite"
PORT=$((20000 + RANDOM % 20000))
"$BIN/palabre-server" project create bench --name Bench --database "$DB" >/dev/null
TA=$("$BIN/palabre-server" enroll --project bench --role facilitator --name laptop-a --database "$DB" 2>/dev/null)
TB=$("$BIN/palabre-server" enroll --project bench --role facilitator --name laptop-b --database "$DB" 2>/dev/null)
"$BIN/palabre-server" serve --database "$DB" --port "$PORT" --log-level error >/dev/null 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

P="$BIN/palabre"
$P init --store "$W/a.sqlite" --project bench --lang en >/dev/null
$P remote set "http://127.0.0.1:$PORT" --token "$TA" --store "$W/a.sqlite" >/dev/null
$P import samples/demo.jsonl --store "$W/a.sqlite" >/dev/null
PUSH=$($P sync --json --store "$W/a.sqlite")
$P init --store "$W/b.sqlite" --project bench --lang en >/dev/null
$P remote set "http://127.0.0.1:$PORT" --token "$TB" --store "$W/b.sqlite" >/dev/null
PULL=$($P sync --json --store "$W/b.sqlite")
# Forms: nothing new, then a new version of one form.
IDLE=$($P sync --json --store "$W/b.sqlite")
sed -e 's/^version: 1/version: 2/' -e 's/^  - name: notes$/  - name: visitor\n    type: text\n    label: {fr: "Visiteur", en: "Visitor"}\n  - name: notes/' \
  forms/followup.yaml > "$W/followup.yaml"
"$BIN/palabre-server" forms publish "$W/followup.yaml" --project bench --database "$DB" >/dev/null
UPDATE=$($P sync --json --store "$W/b.sqlite")
FORMS_GZ=$(cat forms/*.yaml "$W/followup.yaml" | gzip -9 | wc -c)
# The whole HTTP exchange of the forms request of a current laptop (request and response, headers included), by curl.
TAG=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $TB" -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT/v1/forms" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
EXCHANGE=$(curl -s -o /dev/null -w '%{size_request} %{size_header} %{size_download} %{http_code}' -H "Authorization: Bearer $TB" \
  -H 'Accept-Encoding: gzip' -H "If-None-Match: $TAG" "http://127.0.0.1:$PORT/v1/forms")

python3 - "$IDLE" "$UPDATE" "$FORMS_GZ" "$EXCHANGE" <<'PY'
import json, sys
idle, update, forms_gz = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
req, head, body, code = sys.argv[4].split()
print(f"forms request of a current laptop, whole HTTP exchange: {int(req) + int(head) + int(body)} bytes (request {req}, answer {code}: headers {head}, body {body})")
i = idle["bytes_sent"] + idle["bytes_received"]
u = update["bytes_sent"] + update["bytes_received"]
print(f"forms: gzip of every version's YAML {forms_gz} bytes")
print(f"  a sync with nothing new (forms current, a bodiless 304): {i} bytes on the wire (compressed bodies)")
print(f"  a sync after a new follow-up version ({', '.join(update['forms_received'])}): {u} bytes ({u / forms_gz:.2f}x the gzip YAML), {u / 12500:.2f} s at 100 kbit/s")
PY

python3 - "$PUSH" "$PULL" <<'PY'
import csv, gzip, io, json, sys
push, pull = json.loads(sys.argv[1]), json.loads(sys.argv[2])
forms = {}
for line in open("samples/demo.jsonl", encoding="utf-8"):
    r = json.loads(line)
    forms.setdefault(r["form"], []).append(r)
csv_gz = 0
for form, rows in forms.items():
    cols = []
    for r in rows:
        for k in r["values"]:
            if k not in cols: cols.append(k)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["id"] + cols)
    for r in rows:
        w.writerow([r["id"]] + [" ".join(v) if isinstance(v, list) and all(isinstance(x, str) for x in v)
                                else (f"{v[0]} {v[1]}" if isinstance(v, list) else v) for v in (r["values"].get(c, "") for c in cols)])
    csv_gz += len(gzip.compress(out.getvalue().encode("utf-8"), 9))
n = sum(len(v) for v in forms.values())
up = push["bytes_sent"] + push["bytes_received"]
down = pull["bytes_sent"] + pull["bytes_received"]
edge = 100_000 / 8  # bytes per second on a 100 kbit/s 2G (EDGE) link
print(f"samples ({n} records): gzip CSV baseline {csv_gz} bytes")
print(f"  push from the laptop that holds them: {up} bytes on the wire ({up / csv_gz:.2f}x the gzip CSV), {up / edge:.1f} s at 100 kbit/s")
print(f"  pull by a fresh laptop:               {down} bytes on the wire ({down / csv_gz:.2f}x the gzip CSV), {down / edge:.1f} s at 100 kbit/s")
PY
