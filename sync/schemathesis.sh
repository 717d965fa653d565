#!/usr/bin/env bash
# Schemathesis (https://schemathesis.io, from PyPI) against the running service's own contract, with a facilitator's,
# an analyst's and a coordinator's token (who may publish forms and resolve conflicts), all its checks: every answer
# must be one the contract describes, with its schema, and input the contract forbids must be refused. Builds nothing: give the built service (default .build/debug/palabre-server).
#
# Usage: sync/schemathesis.sh [PALABRE_SERVER] [--max-examples N]
#   SCHEMATHESIS=/path/to/schemathesis to use one already installed; otherwise a venv under .build-schemathesis.
# Exit status: 0 when every role passes, 1 when schemathesis found a failure (its report says which), 2 on setup.
set -euo pipefail
cd "$(dirname "$0")/.."
server=${1:-.build/debug/palabre-server}
examples=25
[[ "${2:-}" == "--max-examples" ]] && examples=$3
[[ -x "$server" ]] || { echo "schemathesis.sh: no service binary at $server (swift build first)" >&2; exit 2; }
st=${SCHEMATHESIS:-}
if [[ -z "$st" ]]; then
  venv=.build-schemathesis
  if [[ ! -x "$venv/bin/schemathesis" ]]; then
    python3 -m venv "$venv" && "$venv/bin/pip" install --quiet 'schemathesis>=4,<5' || { echo "schemathesis.sh: cannot install schemathesis" >&2; exit 2; }
  fi
  st="$venv/bin/schemathesis"
fi
work=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
db="$work/central.sqlite"
"$server" project create p --name "Projet p" --database "$db" >/dev/null
facilitator=$("$server" enroll --role facilitator --name fac --project p --database "$db")
analyst=$("$server" enroll --role analyst --name analyst --project p --database "$db")
coordinator=$("$server" enroll --role coordinator --name coord --project p --database "$db")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$server" serve --database "$db" --host 127.0.0.1 --port "$port" --forms forms --log-level error > "$work/service.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { echo "schemathesis.sh: the service did not start:" >&2; cat "$work/service.log" >&2; exit 2; }
status=0
for role in facilitator analyst coordinator; do
  token=${!role}
  echo "== schemathesis, $role token, $examples examples per operation"
  # The contract as the service serves it (the one built in); the dashboard's HTML pages are not in it.
  "$st" --config-file sync/schemathesis.toml run "http://127.0.0.1:$port/openapi.yaml" --checks all --max-examples "$examples" --workers 1 \
    --header "Authorization: Bearer $token" --suppress-health-check all --seed 1 || status=1
done
if grep -q "Fatal error\|backtrace" "$work/service.log"; then
  echo "schemathesis.sh: the service crashed:" >&2; cat "$work/service.log" >&2; status=1
fi
kill -0 "$pid" 2>/dev/null || { echo "schemathesis.sh: the service is no longer running" >&2; status=1; }
exit $status
