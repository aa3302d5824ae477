#!/usr/bin/env bash
# Keeps Sources/CancelgateServer/Resources/openapi.json true, two ways:
#  1. the test suite runs with CANCELGATE_RECORD_RESPONSES and every answer it got from the
#     gateway is validated against the document (.ci/validate-responses.py, openapi-core);
#  2. schemathesis fuzzes a live gateway (fakes behind it) from the document it serves: no 5xx,
#     and every answer's status, media type, headers and body must be the documented ones; once
#     without caller authentication, once with a (non-admin) client, where requests without its
#     token must be refused.
# Assumes the debug build with tests is there (swift build --build-tests). About 1.5 minutes.
# SCHEMATHESIS_MAX_EXAMPLES (default 300) bounds the generated cases per operation and phase.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore 'schemathesis>=4,<5' 'openapi-core>=0.19' >/dev/null

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "openapi-check: $1" >&2
    for log in "$work"/*.log; do
        [ -s "$log" ] && { echo "--- $(basename "$log") (last lines)" >&2; tail -20 "$log" >&2; }
    done
    exit 1
}

echo "== openapi.json against the answers of the test suite"
records="$work/answers.jsonl"
CANCELGATE_RECORD_RESPONSES="$records" swift test --skip-build --filter CancelgateServerTests >"$work/tests.log" 2>&1 ||
    fail "swift test failed"
python3 .ci/validate-responses.py "$records"

echo "== schemathesis against a live gateway with the fakes behind it"
routes="$work/routes.json"
.build/debug/cancelgate fakes --port 0 --auto-create --write-routes "$routes" --log-level warning >"$work/fakes.log" 2>&1 &
pids+=("$!")
# The fakes write routes.json once they listen: poll for it (and for them dying).
for _ in $(seq 1 300); do
    [ -s "$routes" ] && break
    kill -0 "${pids[0]}" 2>/dev/null || fail "cancelgate fakes exited"
    sleep 0.1
done
[ -s "$routes" ] || fail "cancelgate fakes did not write $routes"

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance

# fuzz ROUTES [TOKEN]: serve ROUTES on a free loopback port, run schemathesis against the document
# it serves (as the client of TOKEN, if given; the token is not printed), stop the gateway.
fuzz() {
    local routes="$1" token="${2:-}" address="" base pid
    .build/debug/cancelgate serve --config "$routes" --host 127.0.0.1 --port 0 --log-level info >"$work/gateway.log" 2>&1 &
    pid="$!"
    pids+=("$pid")
    # Port 0: the gateway's own `listening` line (text format: `server.address=HOST:PORT`) names it.
    for _ in $(seq 1 300); do
        address="$(grep -o 'server\.address=[0-9.]*:[0-9]*' "$work/gateway.log" | head -n 1 | cut -d= -f2)" || true
        [ -n "$address" ] && break
        kill -0 "$pid" 2>/dev/null || fail "cancelgate serve exited"
        sleep 0.1
    done
    [ -n "$address" ] || fail "the gateway never logged its listening line"
    base="http://$address"
    for _ in $(seq 1 300); do
        curl -fsS --max-time 1 "$base/readyz" >/dev/null 2>&1 && break
        kill -0 "$pid" 2>/dev/null || fail "cancelgate serve exited"
        sleep 0.1
    done
    curl -fsS --max-time 1 "$base/readyz" >/dev/null || fail "the gateway never became ready"
    local auth=() extra=""
    if [ -n "$token" ]; then
        auth=(--header "Authorization: Bearer $token")
        extra=",ignored_auth"  # sends some requests without the token: they must be refused (401)
    fi
    # One worker: with two, Python 3.11's ast.parse (hypothesis describing its filters) is run on
    # two threads at once and can fail with "AST constructor recursion depth mismatch".
    schemathesis run "$base/openapi.json" "${auth[@]}" \
        --checks "$checks$extra" \
        --phases examples,coverage,fuzzing \
        --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-300}" \
        --workers 1 \
        --request-timeout 20 \
        --output-sanitize true ||
        fail "schemathesis found answers that break openapi.json (see above)"
    # Still ours and alive: a gateway that failed to bind would have left another server answering.
    if ! kill -0 "$pid" 2>/dev/null || ! curl -fsS --max-time 1 "$base/healthz" >/dev/null; then
        fail "the gateway did not survive the run"
    fi
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pids=("${pids[0]}")  # only the fakes are left to stop
}

first_token() {
    python3 -c 'import json, sys; c = json.load(open(sys.argv[1])).get("clients") or []; print(c[0]["token"] if c else "")' "$1"
}

echo "-- as the generated routes.json says (no clients: callers not authenticated), on the embedded SQLite store"
python3 - "$routes" "$work/routes-sqlite.json" "$work/fuzz.db" <<'PY'
import json, sys
routes = json.load(open(sys.argv[1]))
routes["store"] = {"type": "sqlite", "path": sys.argv[3]}
json.dump(routes, open(sys.argv[2], "w"))
PY
fuzz "$work/routes-sqlite.json" "$(first_token "$routes")"

echo "-- callers authenticated: the same routes plus one client that is not admin (SQLite too: jobs need a store that keeps them)"
python3 - "$routes" "$work/routes-clients.json" "$work/fuzz-clients.db" <<'PY'
import json, secrets, sys
routes = json.load(open(sys.argv[1]))
routes["clients"] = [{"name": "fuzzer", "token": secrets.token_hex(16), "upstreams": ["kubiya", "skyvern"]}]
routes["store"] = {"type": "sqlite", "path": sys.argv[3]}
json.dump(routes, open(sys.argv[2], "w"))
PY
fuzz "$work/routes-clients.json" "$(first_token "$work/routes-clients.json")"

echo "ok: openapi.json matches the test suite's answers and two schemathesis runs"
