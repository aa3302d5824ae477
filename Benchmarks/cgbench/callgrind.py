"""Scenario 5's instruction count: `cancelgate serve` under callgrind with instrumentation off until
`callgrind_control -i on` just before a dry run and off after it, so start-up and idle time are
excluded; every measured request is dumped on its own (`callgrind_control -d`, which zeroes the
counters). Instructions per item = (Ir of an N-ID dry run − Ir of a 1-ID dry run) / (N − 1).
Instructions per single cancel: a batch of single-ID cancels that really reach an upstream (the
static nginx of scenario 3's fair baseline, Kubiya single mode), over one keep-alive connection as
wrk's are, divided by the batch: the repeatable face of scenario 3's requests/s, which varies
±15 % from run to run on these machines."""
import glob
import json
import urllib.parse
import os
import re
import shutil
import subprocess
from http.client import HTTPConnection

from . import http
from . import procs as processes
from .procs import BenchError


def _control(args, pid, env):
    done = subprocess.run(["callgrind_control", *args, str(pid)], capture_output=True, env=env, timeout=120)
    if done.returncode != 0:
        raise BenchError(f"callgrind_control {' '.join(args)} failed: {done.stdout.decode(errors='replace')[-300:]}")


def _total_ir(path):
    """The dump's `totals:` line (its `summary:` line reads 0 when instrumentation started late)."""
    with open(path) as file:
        for line in file:
            if line.startswith("totals:"):
                return int(line.split()[1])
    raise BenchError(f"{path}: no instruction total")


def measure(procs, binary, config, ids_for, sizes, reps, timeout, annotate_to=None, single=None):
    """Starts a gateway under callgrind; returns {size: [Ir of each rep]} and the dump of the largest
    size's last rep (annotated into `annotate_to` if given). With `single` = (upstream, id factory,
    count), also {"single": [Ir per single-ID cancel of each rep]}."""
    directory = os.path.join(procs.workdir, "callgrind")
    os.makedirs(directory, exist_ok=True)
    # Valgrind 3.19 (Debian 12) gives up on the DWARF 5 that Swift's toolchain writes ("unhandled dwarf2
    # abbrev form code 0x25"): profile a copy without debug info; the symbol table still names functions.
    stripped = os.path.join(directory, "cancelgate")
    done = subprocess.run(["objcopy", "--strip-debug", binary, stripped], capture_output=True)
    if done.returncode != 0:
        raise BenchError("objcopy --strip-debug failed: " + done.stderr.decode(errors="replace")[-300:])
    binary = stripped
    shim = _sigsuspend_shim(directory)
    argv = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={directory}/callgrind.out.%p",
            binary, "serve", "--config", config, "--host", "127.0.0.1", "--port", "0", "--log-level", "info"]
    proc = procs.start("gateway-callgrind", argv, {"LD_PRELOAD": shim})
    match = processes.wait_for_line(proc, r"server\.address=127\.0\.0\.1:(\d+)", timeout)
    base = f"http://127.0.0.1:{match.group(1)}"
    processes.wait_ready(proc, base + "/readyz", timeout)
    # Warm-up, not counted: first-use costs (lazy globals, caches) are start-up, not per item.
    for size in sizes:
        _dry_run(base, ids_for(size), timeout)
    counts = {size: [] for size in sizes}
    last_dump = None

    def counted(name, work):
        before = set(glob.glob(f"{directory}/callgrind.out.*"))
        _control(["-i", "on"], proc.pid, procs.env)
        work()
        _control(["-i", "off"], proc.pid, procs.env)
        _control(["-d", name], proc.pid, procs.env)
        new = sorted(set(glob.glob(f"{directory}/callgrind.out.*")) - before)
        if not new:
            raise BenchError("callgrind wrote no dump")
        return sum(_total_ir(path) for path in new), new[-1]

    for _ in range(reps):
        for size in sizes:
            ids = ids_for(size)
            total, last_dump = counted(f"dry-run-{size}", lambda: _dry_run(base, ids, timeout))
            counts[size].append(total)
    if single:
        upstream, new_id, count = single
        connection = HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=timeout)
        # Warm-up: the gateway's connection to the upstream, first-use costs.
        _single_cancels(connection, upstream, [new_id() for _ in range(count)])
        counts["single"] = []
        for _ in range(reps):
            ids = [new_id() for _ in range(count)]
            total, _ = counted("single", lambda: _single_cancels(connection, upstream, ids))
            counts["single"].append(total / count)
        connection.close()
    procs.stop(proc, timeout=60)
    if annotate_to and last_dump:
        done = subprocess.run(["callgrind_annotate", last_dump], capture_output=True, timeout=120)
        with open(annotate_to, "w") as file:
            file.write(_strip_paths(done.stdout.decode(errors="replace")))
    return counts


def _sigsuspend_shim(directory):
    """Builds Benchmarks/valgrind/sigsuspend-copy.c (see there why valgrind needs it)."""
    source = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "valgrind", "sigsuspend-copy.c")
    library = os.path.join(directory, "sigsuspend-copy.so")
    compiler = shutil.which("cc") or shutil.which("clang") or "/opt/swift/usr/bin/clang"
    done = subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", library, source], capture_output=True)
    if done.returncode != 0:
        raise BenchError("could not build the valgrind sigsuspend shim: " + done.stderr.decode(errors="replace")[-300:])
    return library


def _strip_paths(text):
    """Shortens build-directory prefixes so the saved profile is readable."""
    return re.sub(r"/[^\s:]*/(checkouts|Sources)/", r"\1/", text)


def _single_cancels(connection, upstream, ids):
    for run_id in ids:
        connection.request("POST", "/v1/cancel", json.dumps({"ids": [run_id], "upstream": upstream}),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        report = json.loads(response.read())
        if response.status != 200 or [r.get("outcome") for r in report.get("results", [])] != ["cancelled"]:
            raise BenchError(f"callgrind: a single cancel on {upstream} answered {response.status}: {str(report)[:200]}")


def _dry_run(base, ids, timeout):
    status, report, _ = http.post_json(base + "/v1/cancel?dry_run=true", {"ids": ids}, timeout=timeout)
    if status != 200 or len(report.get("results", [])) != len(ids):
        raise BenchError(f"callgrind: the {len(ids)}-ID dry run answered {status}")
    if any(result.get("outcome") != "planned" for result in report["results"]):
        raise BenchError(f"callgrind: the {len(ids)}-ID dry run has items that are not planned")
