"""Scenario 3's load: wrk with Benchmarks/wrk/single-cancel.lua, one fresh UUID per request."""
import json
import os
import subprocess

from .procs import BenchError

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "wrk", "single-cancel.lua")


def script(workdir, name, mode, prefix="", token="", reason="", upstream="kubiya_single"):
    with open(SCRIPT) as file:
        text = file.read()
    for key, value in {"MODE": mode, "PREFIX": prefix, "TOKEN": token, "REASON": reason, "UPSTREAM": upstream}.items():
        text = text.replace("{{" + key + "}}", value)
    path = os.path.join(workdir, name + ".lua")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
    return path


def run(url, script_path, seconds, connections, threads, env, what):
    """One wrk run; returns requests/s, p50 and p99 in ms, and the request count. Fails on any
    socket error or any answer that is not a successful cancellation."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script_path, url]
    done = subprocess.run(argv, capture_output=True, env=env, timeout=seconds + 60)
    output = done.stdout.decode(errors="replace")
    line = next((l for l in output.splitlines() if l.startswith("BENCHJSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"{what}: wrk failed ({done.returncode}): {output[-500:]} {done.stderr.decode(errors='replace')[-300:]}")
    figures = json.loads(line[len("BENCHJSON "):])
    errors = sum(figures["errors"].values())
    if figures["bad"] or errors or figures["good"] == 0:
        raise BenchError(f"{what}: {figures['bad']} answers that were not a cancellation, socket errors {figures['errors']}")
    return {
        "requests": figures["requests"],
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "mean_ms": figures["mean_us"] / 1000,
    }
