#!/usr/bin/env bash
# Keeps Sources/CancelgateServer/Resources/openapi.json true, two ways:
#  1. the test suite runs with CANCELGATE_RECORD_RESPONSES and every answer it got from the
#     gateway is validated against the document (.ci/validate-responses.py, openapi-core);
#  2. schemathesis fuzzes a live gateway (fakes behind it) from the document it serves: no 5xx,
#     and every answer's status, media type, headers and body must be the documented ones.
# Assumes the debug build with tests is there (swift build --build-tests). About 2 minutes.
# SCHEMATHESIS_MAX_EXAMPLES (default 300) bounds the generated cases per operation and phase.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check 'schemathesis>=4,<5' 'openapi-core>=0.19' >/dev/null

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

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
.build/debug/cancelgate serve --config "$routes" --host 127.0.0.1 --port "$port" --log-level warning >"$work/gateway.log" 2>&1 &
pids+=("$!")
base="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
    curl -fsS --max-time 1 "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "${pids[1]}" 2>/dev/null || fail "cancelgate serve exited"
    sleep 0.1
done
curl -fsS --max-time 1 "$base/readyz" >/dev/null || fail "the gateway never became ready"

# With `clients` in the generated routes.json, call as its first client (the token is not printed).
auth=()
token="$(python3 -c 'import json, sys; c = json.load(open(sys.argv[1])).get("clients") or []; print(c[0]["token"] if c else "")' "$routes")"
[ -n "$token" ] && auth=(--header "Authorization: Bearer $token")

schemathesis run "$base/openapi.json" "${auth[@]}" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-300}" \
    --workers 2 \
    --request-timeout 20 \
    --output-sanitize true ||
    fail "schemathesis found answers that break openapi.json (see above)"

curl -fsS --max-time 1 "$base/healthz" >/dev/null || fail "the gateway did not survive the run"
echo "ok: openapi.json matches the test suite's answers and a schemathesis run"
