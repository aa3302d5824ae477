"""Benchmarks/run: builds, starts fakes and the gateway on loopback, runs the scenarios, stops
everything, prints one line per figure and a final JSON object."""
import argparse
import atexit
import datetime
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time

from . import c1token
from . import callgrind
from . import http
from . import nginx
from . import procs as processes
from . import scenarios
from . import setup
from .figures import Figures
from .ids import FreshIDs
from .plan import check_report
from .procs import BenchError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROVIDERS = ("kubiya", "skyvern", "meibel", "c1")

FULL = {
    "sizes": [1000, 10000], "reps": {1000: 5, 10000: 3}, "latency_ms": 20,
    "burst": (16, 1000), "burst_reps": 3, "wrk": (10, 64, 2), "callgrind": ([1, 1000], 2), "callgrind_single": 200,
    "store_sizes": [1000, 10000], "store_reps": {1000: 5, 10000: 3}, "store_wrk": (5, 64, 2),
    "job_size": 100000, "job_chunk": 1000,
}
SMOKE = {
    "sizes": [100, 400], "reps": {100: 1, 400: 1}, "latency_ms": 20,
    "burst": (2, 100), "burst_reps": 1, "wrk": (2, 64, 2), "callgrind": ([1, 10], 1), "callgrind_single": 5,
    "store_sizes": [100], "store_reps": {100: 1}, "store_wrk": (1, 16, 2),
    "job_size": 400, "job_chunk": 100,
}


def say(text):
    print("# " + text, flush=True)


class Bench:
    """What the scenarios share: settings, processes, the gateway and the fakes."""

    def __init__(self, settings, binary, workdir):
        self.settings = settings
        self.binary = binary
        self.workdir = workdir
        self.procs = processes.Procs(workdir)
        self.ids = FreshIDs()
        self.latency_ms = settings["latency_ms"]
        self.reason = "Cancelled via cancelgate"
        self.retries = 0
        self.curl_baseline = True

    def start_fakes(self, name, latency_ms):
        routes = os.path.join(self.workdir, f"routes-{name}.json")
        proc = self.procs.start(name, [self.binary, "fakes", "--port", "0", "--latency-ms", str(latency_ms), "--auto-create",
                                       "--write-routes", routes, "--log-level", "warning"])
        match = processes.wait_for_line(proc, r"fakes listening on http://127\.0\.0\.1:(\d+)", 60)
        with open(routes) as file:
            return {"proc": proc, "port": int(match.group(1)), "routes": json.load(file)}

    def gateway_config(self):
        """Each provider on its own fakes process (its own host:port, as real upstreams are, so
        libcurl's per-host connection cap applies per upstream), default concurrency, plus
        `kubiya_single` (single mode) on the zero-latency fakes for scenario 3."""
        config = json.loads(json.dumps(self.fakes["kubiya"]["routes"]))
        largest = max(self.settings["sizes"] + [self.settings["burst"][1]])
        config["server"].update({"max_items": max(1000, largest), "max_body_bytes": max(1 << 20, 64 * largest)})
        config["upstreams"] = {p: self.fakes[p]["routes"]["upstreams"][p] for p in PROVIDERS}
        single = dict(self.zero_fakes["routes"]["upstreams"]["kubiya"], mode="single")
        config["upstreams"]["kubiya_single"] = single
        # Scenario 3's fair baseline: Kubiya single mode on an nginx answering its 200 to anything.
        config["upstreams"]["kubiya_static"] = dict(single, base_url=f"http://127.0.0.1:{self.static_upstream[1]}")
        config.pop("clients", None)
        # Scenarios 1-5 measure the gateway without its store (figures comparable with earlier
        # runs); the store scenario measures memory, SQLite and PostgreSQL against each other.
        config["store"] = {"type": "memory"}
        for upstream in config["upstreams"].values():
            upstream.pop("concurrency", None)
        path = os.path.join(self.workdir, "gateway-routes.json")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(config, file, indent=2)
        self.upstreams = config["upstreams"]
        return path

    def start_gateway(self, config):
        self.gateway = self.procs.start("gateway", [self.binary, "serve", "--config", config, "--host", "127.0.0.1",
                                                    "--port", "0", "--log-level", "info"])
        # The gateway's own `listening` line: `server.address=127.0.0.1:PORT` in the text log format.
        match = processes.wait_for_line(self.gateway, r"server\.address=127\.0\.0\.1:(\d+)", 60)
        self.gateway_url = f"http://127.0.0.1:{match.group(1)}"
        processes.wait_ready(self.gateway, self.gateway_url + "/readyz", 60)
        status, listing = http.get_json(self.gateway_url + "/v1/upstreams")
        if status != 200:
            raise BenchError(f"GET /v1/upstreams answered {status}")
        self.concurrency = {u["name"]: u["concurrency"] for u in listing["upstreams"]}

    def warm_up(self):
        """Opens connections and fetches the C1 token once, as a gateway in service would have."""
        ids = self.ids.mixed(32)
        status, report, _ = http.post_json(self.gateway_url + "/v1/cancel", {"ids": ids})
        if status != 200:
            raise BenchError(f"warm-up answered {status}")
        check_report(report, ids, "warm-up")


def parse(argv):
    parser = argparse.ArgumentParser(prog="Benchmarks/run", description=__doc__)
    parser.add_argument("--smoke", action="store_true",
                        help="seconds, not minutes: the debug binary, tiny sizes, results to a temp file")
    parser.add_argument("--binary", help="cancelgate binary to test (default: build release, or the debug build with --smoke)")
    parser.add_argument("--out", help="where to write the JSON (default: Benchmarks/results/latest.json; a temp file with --smoke)")
    parser.add_argument("--skip-callgrind", action="store_true", help="leave out the callgrind instruction count")
    parser.add_argument("--callgrind", action="store_true", help="with --smoke: do the callgrind count too (tiny input)")
    parser.add_argument("--keep-workdir", action="store_true", help="keep the logs and generated files")
    parser.add_argument("--only", choices=["fanout", "overhead", "store", "jobs", "callgrind", "components"],
                        help="run only scenarios 1 and 2 (fan-out wall, curl, CPU and peak RSS per size), "
                             "scenario 3's single-ID load (fair baseline and fake), the store scenario, the jobs one, "
                             "the callgrind count or the per-component benchmarks "
                             "(results to Benchmarks/results/ONLY.json)")
    return parser.parse_args(argv)


def main(argv):
    args = parse(argv)
    settings = SMOKE if args.smoke else FULL
    run_callgrind = (not args.skip_callgrind) and (not args.smoke or args.callgrind)
    started = time.monotonic()
    scratch = os.environ.get("CANCELGATE_SCRATCH", ".build")
    workdir = tempfile.mkdtemp(prefix="cancelgate-bench-")
    bench = None
    ok = False

    def cleanup():
        if bench is not None:
            bench.procs.stop_all()
        if ok and not args.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"# logs and generated files kept in {workdir}", file=sys.stderr)

    atexit.register(cleanup)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, frame: sys.exit(128 + number))

    try:
        tools = ["wrk", "nginx", "curl", "openssl"] + (["valgrind", "callgrind_control", "objcopy"] if run_callgrind else [])
        setup.ensure_tools(tools, say)
        if args.binary:
            binary = os.path.abspath(args.binary)
        elif args.smoke:
            binary = os.path.join(REPO, scratch, "debug", "cancelgate")
        else:
            binary = setup.release_binary(REPO, scratch, say)
        if not os.access(binary, os.X_OK):
            raise BenchError(f"{binary} is missing: build it first (`make test` builds the debug one)")
        fig = Figures()
        load_before = os.getloadavg()
        say(f"binary {os.path.relpath(binary, REPO)}; load average {load_before[0]:.2f} on {os.cpu_count()} cores")

        bench = Bench(settings, binary, workdir)
        bench.fakes = {p: bench.start_fakes("fakes-" + p, settings["latency_ms"]) for p in PROVIDERS}
        bench.zero_fakes = bench.start_fakes("fakes-zero-latency", 0)
        bench.static_upstream = nginx.start(bench.procs, name="nginx-static")
        bench.start_gateway(bench.gateway_config())
        idle_rss = processes.status_kib(bench.gateway.pid, "VmHWM")
        fig.add("memory.idle_peak_rss_mib", idle_rss / 1024, "MiB", "gateway VmHWM after start, before any request")
        bench.warm_up()
        bench.c1_token = c1token.fetch(bench.upstreams["c1"], workdir)

        routes = os.path.join(workdir, "gateway-routes.json")
        if args.only == "store":
            bench.procs.stop(bench.gateway)
            say("store: fan-out and single-ID load with memory, SQLite and PostgreSQL stores")
            scenarios.store(bench, fig, routes)
            run_callgrind = False
        elif args.only == "callgrind":
            run_callgrind = True
        elif args.only == "fanout":
            say(f"scenarios 1 and 2: fan-out, {settings['latency_ms']} ms per upstream call, and the same calls with curl --parallel")
            scenarios.fanout_and_curl(bench, fig)
            run_callgrind = False
        elif args.only == "overhead":
            say("scenario 3: per-request overhead (wrk)")
            scenarios.overhead(bench, fig)
            run_callgrind = False
        elif args.only == "jobs":
            say(f"jobs: one job of {settings['job_size']:,} IDs on SQLite, then on PostgreSQL")
            scenarios.jobs(bench, fig, routes)
            run_callgrind = False
        elif args.only == "components":
            say("components: each part of a request in process (Benchmarks/Components)")
            scenarios.components(bench, fig, binary, 0.05 if args.smoke else 1.0)
            run_callgrind = False
        else:
            say(f"scenarios 1 and 2: fan-out, {settings['latency_ms']} ms per upstream call, and the same calls with curl --parallel")
            scenarios.fanout_and_curl(bench, fig)
            say("scenario 4: burst")
            scenarios.burst(bench, fig)
            say("scenario 3: per-request overhead (wrk)")
            rss_before = processes.status_kib(bench.gateway.pid, "VmRSS")
            scenarios.overhead(bench, fig)
            rss_after = processes.status_kib(bench.gateway.pid, "VmRSS")
            fig.add("memory.rss_before_overhead_mib", rss_before / 1024, "MiB", "gateway VmRSS after scenarios 1, 2 and 4")
            fig.add("memory.rss_after_overhead_mib", rss_after / 1024, "MiB", "gateway VmRSS after scenario 3")
            fig.add("memory.rss_after_overhead_over_before", rss_after / rss_before, "ratio", "growth during scenario 3's requests")
            fig.add("memory.rss_after_overhead_over_idle", rss_after / idle_rss, "ratio", "growth since start")
            say(f"jobs: one job of {settings['job_size']:,} IDs on SQLite, then on PostgreSQL")
            scenarios.jobs(bench, fig, routes)
            say("store: fan-out and single-ID load with memory, SQLite and PostgreSQL stores")
            scenarios.store(bench, fig, routes)
            say("components: each part of a request in process (Benchmarks/Components)")
            scenarios.components(bench, fig, binary, 0.05 if args.smoke else 1.0)
            fig.add("upstream_retries", bench.retries, "attempts", "retries seen in reports (0 expected)")

        if run_callgrind:
            sizes, reps = settings["callgrind"]
            say(f"scenario 5: instructions of dry runs under callgrind ({sizes[0]} and {sizes[-1]} IDs)")
            annotate = os.path.join(REPO, "Benchmarks", "results", f"callgrind-dry-run-{sizes[-1]}.txt") if not args.smoke else None
            single = ("kubiya_static", lambda: bench.ids.one("kubiya"), settings["callgrind_single"])
            counts = callgrind.measure(bench.procs, binary, os.path.join(workdir, "gateway-routes.json"), bench.ids.mixed,
                                       sizes, reps, 300, annotate, single)
            small, large = statistics.median(counts[sizes[0]]), statistics.median(counts[sizes[-1]])
            fig.add("callgrind.ir_dry_run_small", int(small), "instr", f"{sizes[0]}-ID dry run, median of {reps}")
            fig.add("callgrind.ir_dry_run_large", int(large), "instr", f"{sizes[-1]}-ID dry run, median of {reps}")
            fig.add("callgrind.ir_per_item", (large - small) / (sizes[-1] - sizes[0]), "instr", "difference / extra items")
            fig.add("callgrind.ir_per_single_cancel", int(statistics.median(counts["single"])), "instr",
                    f"one single-ID cancel through a real upstream call (static nginx, keep-alive), "
                    f"batches of {settings['callgrind_single']}, median of {reps}")
            if annotate:
                say(f"callgrind profile of the {sizes[-1]}-ID dry run: {os.path.relpath(annotate, REPO)}")

        load_after = os.getloadavg()
        result = {
            "suite": "cancelgate benchmarks (issue #5)",
            "mode": "smoke" if args.smoke else "full",
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "binary": os.path.relpath(binary, REPO),
            "machine": setup.machine(REPO),
            "load_average_1m": {"start": round(load_before[0], 2), "end": round(load_after[0], 2)},
            "settings": {k: (list(v) if isinstance(v, tuple) else v) for k, v in settings.items()},
            "duration_s": round(time.monotonic() - started, 1),
            "figures": fig.data,
        }
        if args.out:
            out = args.out
        elif args.smoke:
            fd, out = tempfile.mkstemp(prefix="cancelgate-bench-smoke-", suffix=".json")
            os.close(fd)
        else:
            out = os.path.join(REPO, "Benchmarks", "results", f"{args.only}.json" if args.only else "latest.json")
        text = json.dumps(result, indent=2)
        with open(out, "w") as file:
            file.write(text + "\n")
        print(text)
        say(f"results written to {out}; {result['duration_s']} s")
        ok = True
        return 0
    except BenchError as error:
        print(f"Benchmarks/run: {error}", file=sys.stderr)
        return 1
