#!/usr/bin/env bash
# CI: a short run of the benchmark suite (Benchmarks/run --smoke), so the harness cannot rot. It
# uses the debug binary that `make test` built, tiny sizes and 2-second wrk runs; it fails if any
# process does not start or any report is incomplete. It asserts no timing.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 Benchmarks/run --smoke --callgrind
