#!/usr/bin/env bash
# The real binary, as an operator runs it: `cancelgate serve` with fakes behind it, JSON logs,
# a scrape of /metrics checked by promtool, and SIGHUP reloads (a valid file applies, an invalid
# one is refused and the old configuration stays), and `cancelgate cancel` and `status` against it. Needs .build/debug/cancelgate, curl, jq, promtool.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/.build/debug/cancelgate"
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

poll() { # poll <what> <command...>: up to 15 s
    local what=$1; shift
    for _ in $(seq 150); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "timed out waiting for $what" >&2; return 1
}

"$bin" fakes --port 0 --auto-create --write-routes "$work/routes.json" --log-level warning >"$work/fakes.log" 2>&1 &
pids+=($!)
poll "the fakes' routes.json" test -s "$work/routes.json"
# In the work directory: the embedded SQLite store (cancelgate.db) is created there, and the
# demo below, in a directory of its own, does not meet this process's lock on it.
mkdir -p "$work/serve" "$work/demo"
env -C "$work/serve" "$bin" serve --config "$work/routes.json" --host 127.0.0.1 --port 0 --log-format json --log-level info >"$work/serve.log" 2>&1 &
serve=$!
pids+=($serve)
# Port 0: the gateway's own `listening` line names the address it bound.
listening() { grep '"message":"listening"' "$work/serve.log" | jq -er '.["server.address"]'; }
poll "the listening line" listening
base=http://$(listening)
poll "/readyz" curl -sf "$base/readyz"

curl -sf -X POST "$base/v1/cancel" -H 'Content-Type: application/json' -H 'X-Request-ID: smoke-1' \
    -d '{"ids": ["tsk_1001", "bex_1002", "1003", "3f0c1e9a-1111-4222-8333-444455556666", "unknown-1"]}' >"$work/report.json"
jq -e '.summary.total == 5' "$work/report.json" >/dev/null

echo "-- /metrics through promtool check metrics"
curl -sf "$base/metrics" >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt"
grep -q 'cancelgate_items_total{upstream="none",outcome="unroutable"} 1' "$work/metrics.txt"

echo "-- JSON logs: the request's line, found by its request ID"
poll "the request's log line" grep -q '"request.id":"smoke-1"' "$work/serve.log"
grep '"request.id":"smoke-1"' "$work/serve.log" | jq -e 'select(.message == "cancel request finished") | .["item.count"] == "5"' >/dev/null

echo "-- cancelgate cancel against it: piped IDs, CSV, exit statuses"
printf '# smoke\ntsk_2001\nbex_2002   # meibel\n2003\n' | "$bin" cancel --server "$base" --csv >"$work/cancel.csv"
test "$(wc -l <"$work/cancel.csv")" -eq 4
grep -q 'bex_2002' "$work/cancel.csv"
status=0; "$bin" cancel --server "$base" unknown-2004 >/dev/null || status=$?
test "$status" -eq 1   # an unroutable item
status=0; "$bin" cancel --server "$base" --bogus 2>/dev/null || status=$?
test "$status" -eq 2   # a usage error
status=0; "$bin" cancel --server http://127.0.0.1:1 tsk_1 2>/dev/null || status=$?
test "$status" -eq 2   # a connection error

echo "-- cancelgate status and cancel --confirm: what is true now (the fakes' C1 and Meibel runs stop 0.5 s after the cancel)"
"$bin" cancel --server "$base" --confirm --json 2005 bex_2006 >"$work/confirm.json"
jq -e '[.results[] | .outcome == "cancelled" and .confirmed == true] == [true, true]' "$work/confirm.json" >/dev/null
printf '2005\nbex_2006\ntsk_2007\n' | "$bin" status --server "$base" --json >"$work/status.json"
jq -e '[.results[].state] == ["cancelled", "cancelled", "running"]' "$work/status.json" >/dev/null
jq -e '.results[0].provider_status == "AUTOMATION_EXECUTION_STATE_TERMINATE"' "$work/status.json" >/dev/null
status=0; "$bin" status --server "$base" unknown-2008 >/dev/null || status=$?
test "$status" -eq 1   # unroutable: not read

echo "-- SIGHUP with a valid file: applies"
jq '.upstreams.meibel.concurrency = 3' "$work/routes.json" >"$work/next.json" && mv "$work/next.json" "$work/routes.json"
kill -HUP "$serve"
poll "meibel concurrency 3" sh -c "curl -sf $base/v1/upstreams | jq -e '.upstreams[] | select(.name == \"meibel\") | .concurrency == 3'"

echo "-- SIGHUP with an invalid file: refused, old configuration stays"
cp "$work/routes.json" "$work/good.json"
jq '.routes[0].upstream = "nowhere"' "$work/good.json" >"$work/routes.json"
kill -HUP "$serve"
poll "the refusal in the log" grep -q 'reload refused' "$work/serve.log"
grep 'reload refused' "$work/serve.log" | jq -e '.["config.errors"] | contains("/routes/0/upstream")' >/dev/null
curl -sf "$base/v1/upstreams" | jq -e '.upstreams[] | select(.name == "meibel") | .concurrency == 3' >/dev/null
kill -0 "$serve"
# Read whole before grep: `grep -q` exits at its match, and curl, still writing the page's later
# parts into the closed pipe, then exits 23, which pipefail made this script's failure (seen once).
curl -sf "$base/metrics" >"$work/metrics-after-reload.txt"
grep -q 'cancelgate_config_reloads_total{result="refused"} 1' "$work/metrics-after-reload.txt"
echo "-- demo with standard output not a terminal: the report shows while it still serves"
# A file is buffered by stdio as a pipe is (`make demo | tee demo.txt`): unflushed, nothing would show until exit.
env -C "$work/demo" "$bin" demo --port 0 --log-level warning >"$work/demo.txt" 2>"$work/demo.err" &
demo=$!
pids+=($demo)
poll "the demo's report before it stops" grep -q 'Press Ctrl-C to stop' "$work/demo.txt"
grep -q 'cancel_requested' "$work/demo.txt"
kill "$demo" 2>/dev/null || true
echo "serve smoke: ok"
