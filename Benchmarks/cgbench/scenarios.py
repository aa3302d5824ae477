"""The five scenarios of issue #5. Each takes the running `Bench` (gateway, fakes, settings) and adds
its figures; each raises BenchError on an incomplete report or a failed call."""
import os
import subprocess
import statistics
import threading
import time
import json
import urllib.parse

from . import curlbaseline
from . import http
from . import nginx
from . import postgres
from . import plan as plans
from . import procs as processes
from . import wrk
from .procs import BenchError


def _dry_run_plan(bench, ids):
    status, report, _ = http.post_json(bench.gateway_url + "/v1/cancel?dry_run=true", {"ids": ids})
    if status != 200 or report is None or "plan" not in report:
        raise BenchError(f"dry run of {len(ids)} IDs answered {status}")
    if len(report["results"]) != len(ids) or any(r["outcome"] != "planned" for r in report["results"]):
        raise BenchError(f"dry run of {len(ids)} IDs: not every item is planned")
    return report["plan"]


def _cancel(bench, ids, what):
    status, report, elapsed = http.post_json(bench.gateway_url + "/v1/cancel", {"ids": ids}, timeout=300)
    if status != 200:
        raise BenchError(f"{what}: the gateway answered {status}: {str(report)[:300]}")
    bench.retries += plans.check_report(report, ids, what)
    return elapsed


def fanout_and_curl(bench, fig):
    """Scenario 1, and scenario 2 interleaved with it (one gateway run, then one curl run of a plan of
    the same shape, per repetition), so both see the same machine; plus scenario 5's CPU and memory
    figures of scenario 1."""
    pid = bench.gateway.pid
    bench.fanout_wall = {}
    for size in bench.settings["sizes"]:
        reps = bench.settings["reps"][size]
        walls, curl_walls, cpu, curl_cpu = [], [], 0.0, 0.0
        peak_reset = processes.reset_peak_rss(pid)
        rss_samples = []
        for rep in range(reps):
            ids = bench.ids.mixed(size)
            plan = _dry_run_plan(bench, ids)
            ideal = plans.ideal_ms(plan, bench.concurrency, bench.latency_ms)
            before = processes.cpu_seconds(pid)
            walls.append(_cancel(bench, ids, f"fan-out {size} IDs") * 1000)
            cpu += processes.cpu_seconds(pid) - before
            rss_samples.append(processes.status_kib(pid, "VmRSS"))
            if bench.curl_baseline:
                curl_plan = _dry_run_plan(bench, bench.ids.mixed(size))
                batch = curlbaseline.Batch(curl_plan, bench.upstreams, bench.concurrency, bench.c1_token, bench.reason,
                                           bench.workdir, f"{size}-{rep}")
                elapsed, used = batch.run(bench.procs.env)
                curl_walls.append(elapsed * 1000)
                curl_cpu += used
        peak = processes.status_kib(pid, "VmHWM") if peak_reset else max(rss_samples)
        wall = statistics.median(walls)
        calls = plans.calls_per_upstream(plan)
        key = f"fanout_{size}"
        fig.add(f"{key}.calls", sum(calls.values()), "calls", ", ".join(f"{u} {n}" for u, n in sorted(calls.items())))
        fig.add(f"{key}.wall_ms", wall, "ms", f"median of {reps}: " + ", ".join(f"{w:.0f}" for w in walls))
        fig.add(f"{key}.ideal_ms", float(ideal), "ms", f"max over upstreams of ceil(calls/concurrency) x {bench.latency_ms} ms")
        fig.add(f"{key}.wall_over_ideal", wall / ideal, "ratio")
        fig.add(f"{key}.cpu_us_per_item", cpu / (size * reps) * 1e6, "us", "gateway user+sys CPU / items (/proc, 10 ms ticks)")
        fig.add(f"{key}.peak_rss_mib", peak / 1024, "MiB", "gateway VmHWM during these requests" if peak_reset else "max sampled VmRSS")
        bench.fanout_wall[size] = wall
        if bench.curl_baseline:
            curl_wall = statistics.median(curl_walls)
            key = f"vs_curl_{size}"
            fig.add(f"{key}.curl_wall_ms", curl_wall, "ms", f"median of {reps}: " + ", ".join(f"{w:.0f}" for w in curl_walls))
            fig.add(f"{key}.curl_over_ideal", curl_wall / ideal, "ratio")
            fig.add(f"{key}.gateway_over_curl", wall / curl_wall, "ratio", "cancelgate wall / curl wall (medians)")
            fig.add(f"{key}.curl_cpu_us_per_item", curl_cpu / (size * reps) * 1e6, "us", "the curl processes' user+sys CPU / items")
            fig.add(f"{key}.gateway_cpu_over_curl_cpu", cpu / curl_cpu, "ratio")


def burst(bench, fig):
    """Scenario 4: N concurrent requests of M IDs each, all sent at once; repeated, median."""
    count, size = bench.settings["burst"]
    reps = bench.settings["burst_reps"]
    runs = [_burst_once(bench, count, size) for _ in range(reps)]
    middle = sorted(runs, key=lambda run: run["wall"])[len(runs) // 2]
    wall, ideal, cpu = middle["wall"], middle["ideal"], middle["cpu"]
    key = "burst"
    fig.add(f"{key}.requests", count, "requests", f"{size} IDs each, sent at once; every report complete")
    fig.add(f"{key}.wall_ms", wall, "ms", f"first send to last answer, median of {reps}: " + ", ".join(f"{r['wall']:.0f}" for r in runs))
    fig.add(f"{key}.ideal_ms", float(ideal), "ms", "all requests' calls sharing each upstream's gateway-wide concurrency")
    fig.add(f"{key}.wall_over_ideal", wall / ideal, "ratio")
    fig.add(f"{key}.gateway_cpu_share", cpu / (wall / 1000 * os.cpu_count()), "ratio",
            f"gateway CPU {cpu:.2f} s / (wall x {os.cpu_count()} cores)")
    if size in bench.fanout_wall:
        fig.add(f"{key}.wall_over_single_request", wall / bench.fanout_wall[size], "ratio", f"vs one {size}-ID request (scenario 1); ideal: {count}")
    fig.add(f"{key}.peak_rss_mib", max(r["peak"] for r in runs) / 1024, "MiB", "gateway peak RSS during the bursts")


def _burst_once(bench, count, size):
    pid = bench.gateway.pid
    requests = [bench.ids.mixed(size) for _ in range(count)]
    plans_of = [_dry_run_plan(bench, ids) for ids in requests]
    ideal = plans.ideal_ms_shared(plans_of, bench.concurrency, bench.latency_ms)
    bodies = [json.dumps({"ids": ids}).encode() for ids in requests]
    peak_reset = processes.reset_peak_rss(pid)
    barrier = threading.Barrier(count + 1)
    answers = [None] * count

    def send(index):
        barrier.wait()
        try:
            status, body = http.request("POST", bench.gateway_url + "/v1/cancel", bodies[index],
                                        {"Content-Type": "application/json"}, timeout=300)
            answers[index] = (status, body, time.perf_counter())
        except OSError as error:
            answers[index] = (None, str(error).encode(), time.perf_counter())

    threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    rss_samples = []
    cpu_before = processes.cpu_seconds(pid)
    barrier.wait()
    started = time.perf_counter()
    while any(thread.is_alive() for thread in threads):
        rss_samples.append(processes.status_kib(pid, "VmRSS"))
        next((t for t in threads if t.is_alive()), threads[0]).join(0.02)
    peak = processes.status_kib(pid, "VmHWM") if peak_reset else max(rss_samples)
    cpu = processes.cpu_seconds(pid) - cpu_before
    ends = []
    for index, (status, body, ended) in enumerate(answers):
        if status != 200:
            raise BenchError(f"burst request {index}: answered {status}: {body[:300]!r}")
        bench.retries += plans.check_report(json.loads(body), requests[index], f"burst request {index}")
        ends.append(ended)
    wall = (max(ends) - started) * 1000
    return {"wall": wall, "ideal": ideal, "cpu": cpu, "peak": peak}


def overhead(bench, fig):
    """Scenario 3: single-ID cancels under wrk, straight to an upstream, through nginx proxy_pass
    and through cancelgate, twice: the fair comparison first (`overhead.fair.*`, the headline: an
    nginx that answers Kubiya's single terminate 200 to anything, never the bottleneck), then in
    front of the project's fake (`overhead.*`, which caps nginx at the fake's own rate)."""
    static_proc, static_port = bench.static_upstream
    _three_ways(bench, fig, "overhead.fair", static_proc.pid, static_port, "", "", "kubiya_static", "static nginx")
    zero = bench.zero_fakes
    token = zero["routes"]["upstreams"]["kubiya"]["auth"]["token"]
    _three_ways(bench, fig, "overhead", zero["proc"].pid, zero["port"], "/kubiya", token, "kubiya_single", "fake")


def _three_ways(bench, fig, key, upstream_pid, upstream_port, prefix, token, gateway_upstream, upstream_name):
    """wrk against the upstream directly, nginx proxy_pass to it, and cancelgate's `gateway_upstream`
    (Kubiya single mode on it); figures under `key`."""
    seconds, connections, threads = bench.settings["wrk"]
    nginx_proc, nginx_port = nginx.start(bench.procs, upstream_port)
    label = key.replace(".", "-")
    targets = [
        ("direct", f"http://127.0.0.1:{upstream_port}", wrk.script(bench.workdir, f"wrk-{label}-direct", "direct", prefix, token, bench.reason)),
        ("nginx", f"http://127.0.0.1:{nginx_port}", wrk.script(bench.workdir, f"wrk-{label}-nginx", "proxy", prefix, token, bench.reason)),
        ("gateway", bench.gateway_url, wrk.script(bench.workdir, f"wrk-{label}-gateway", "gateway", upstream=gateway_upstream)),
    ]
    # CPU of the process in the middle (none when wrk hits the upstream directly) and of the upstream.
    middle = {"direct": lambda: 0.0, "nginx": lambda: processes.group_cpu_seconds(nginx_proc.pid),
              "gateway": lambda: processes.cpu_seconds(bench.gateway.pid)}
    results = {}
    for name, url, script in targets:
        wrk.run(url, script, 1, connections, threads, bench.procs.env, f"wrk warm-up {key} {name}")
        middle_before, upstream_before = middle[name](), processes.group_cpu_seconds(upstream_pid)
        switches_before = processes.context_switches(bench.gateway.pid) if name == "gateway" else 0
        results[name] = r = wrk.run(url, script, seconds, connections, threads, bench.procs.env, f"wrk {key} {name}")
        r["cpu_us"] = (middle[name]() - middle_before) / r["requests"] * 1e6
        if name == "gateway":
            # The thread hops a request costs (event loop, concurrency pool, curl's driver): steadier
            # from run to run than requests/s, and what most of the CPU per request goes to.
            switches = (processes.context_switches(bench.gateway.pid) - switches_before) / r["requests"]
            fig.add(f"{key}.gateway.context_switches_per_request", switches, "switches",
                    "the gateway's threads, voluntary + involuntary (/proc/PID/task/*/status)")
        upstream_cpu = (processes.group_cpu_seconds(upstream_pid) - upstream_before) / r["requests"] * 1e6
        fig.add(f"{key}.{name}.rps", r["rps"], "req/s", f"{r['requests']:,} single-ID cancels in {seconds} s, {connections} connections")
        fig.add(f"{key}.{name}.p50_ms", r["p50_ms"], "ms")
        fig.add(f"{key}.{name}.p99_ms", r["p99_ms"], "ms")
        if name != "direct":
            fig.add(f"{key}.{name}.cpu_us_per_request", r["cpu_us"], "us", f"{name} user+sys CPU / requests")
        fig.add(f"{key}.{name}.upstream_cpu_us_per_request", upstream_cpu, "us", f"the {upstream_name}'s CPU / requests (same work each time)")
    bench.procs.stop(nginx_proc)
    g, n, d = results["gateway"], results["nginx"], results["direct"]
    fig.add(f"{key}.gateway_over_nginx.rps", g["rps"] / n["rps"], "ratio", "> 1 is better for cancelgate")
    fig.add(f"{key}.gateway_over_nginx.p50", g["p50_ms"] / n["p50_ms"], "ratio", "< 1 is better for cancelgate")
    fig.add(f"{key}.gateway_over_nginx.p99", g["p99_ms"] / n["p99_ms"], "ratio")
    fig.add(f"{key}.gateway_over_nginx.cpu_per_request", g["cpu_us"] / n["cpu_us"], "ratio", "CPU each spends per request")
    fig.add(f"{key}.nginx_over_direct.rps", n["rps"] / d["rps"], "ratio", "what a plain proxy costs")
    fig.add(f"{key}.gateway_over_direct.rps", g["rps"] / d["rps"], "ratio")


def _start_gateway(bench, name, config):
    """A `cancelgate serve` of its own on `config`; (process, base URL) once it is ready."""
    path = os.path.join(bench.workdir, f"{name}-routes.json")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(config, file)
    gateway = bench.procs.start(name, [bench.binary, "serve", "--config", path, "--host", "127.0.0.1", "--port", "0",
                                       "--log-level", "info"])
    match = processes.wait_for_line(gateway, r"server\.address=127\.0\.0\.1:(\d+)", 60)
    url = f"http://127.0.0.1:{match.group(1)}"
    processes.wait_ready(gateway, url + "/readyz", 60)
    return gateway, url


def _with_store(bench, fig, base, kind, scenario, cluster):
    """(a copy of `base` with a `kind` store, the PostgreSQL cluster started for it or `cluster`);
    the config is None when PostgreSQL cannot start here (noted as a figure)."""
    config = json.loads(json.dumps(base))
    if kind == "memory":
        config["store"] = {"type": "memory"}
    elif kind == "sqlite":
        config["store"] = {"type": "sqlite", "path": os.path.join(bench.workdir, f"bench-{scenario}.db")}
    else:
        try:
            cluster = postgres.Cluster()
            config["store"] = {"type": "postgres", "url": cluster.start(), "pool_size": 8}
        except BenchError as error:
            fig.add(f"{scenario}.postgres.skipped", 1, "flag", str(error))
            return None, cluster
    return config, cluster


def store(bench, fig, config_path):
    """The store's cost (issue #11): the same fan-out and single-ID load on gateways whose store is
    memory, SQLite (a file in the work directory) and PostgreSQL (a private cluster, fsync on), as
    ratios to memory measured in the same run. Each gateway runs alone."""
    sizes = bench.settings["store_sizes"]
    reps = bench.settings["store_reps"]
    seconds, connections, threads = bench.settings["store_wrk"]
    with open(config_path) as file:
        base = json.load(file)
    cluster = None
    kinds = ["memory", "sqlite", "postgres"]
    results = {}
    try:
        for kind in kinds:
            config, cluster = _with_store(bench, fig, base, kind, "store", cluster)
            if config is None:
                continue
            gateway, url = _start_gateway(bench, f"gateway-{kind}", config)
            figures = {}
            ids = bench.ids.mixed(32)
            http.post_json(url + "/v1/cancel", {"ids": ids})
            for size in sizes:
                walls = []
                for _ in range(reps[size]):
                    ids = bench.ids.mixed(size)
                    status, report, elapsed = http.post_json(url + "/v1/cancel", {"ids": ids}, timeout=300)
                    if status != 200:
                        raise BenchError(f"store {kind}: fan-out of {size} answered {status}")
                    bench.retries += plans.check_report(report, ids, f"store {kind} fan-out {size}")
                    walls.append(elapsed * 1000)
                figures[f"fanout_{size}"] = statistics.median(walls)
                fig.add(f"store.{kind}.fanout_{size}.wall_ms", figures[f"fanout_{size}"], "ms",
                        f"median of {reps[size]}: " + ", ".join(f"{w:.0f}" for w in walls))
            script = wrk.script(bench.workdir, f"wrk-store-{kind}", "gateway")
            wrk.run(url, script, 1, connections, threads, bench.procs.env, f"wrk warm-up store {kind}")
            run = wrk.run(url, script, seconds, connections, threads, bench.procs.env, f"wrk store {kind}")
            figures["rps"] = run["rps"]
            fig.add(f"store.{kind}.single.rps", run["rps"], "req/s", f"{run['requests']:,} single-ID cancels in {seconds} s")
            fig.add(f"store.{kind}.single.p99_ms", run["p99_ms"], "ms")
            bench.procs.stop(gateway)
            results[kind] = figures
            if kind != "memory" and "memory" in results:
                memory = results["memory"]
                for size in sizes:
                    fig.add(f"store.{kind}_over_memory.fanout_{size}", figures[f"fanout_{size}"] / memory[f"fanout_{size}"], "ratio",
                            "goal <= 1.05")
                fig.add(f"store.{kind}_over_memory.single_rps", figures["rps"] / memory["rps"], "ratio", "goal >= 0.85")
    finally:
        if cluster is not None:
            cluster.stop()


def _histogram_sums(metrics_text, name):
    """{label value: (sum, count)} of a one-label Prometheus histogram in `/metrics` text."""
    found = {}
    for line in metrics_text.splitlines():
        for part, slot in (("_sum", 0), ("_count", 1)):
            prefix = name + part + "{"
            if line.startswith(prefix):
                label = line[len(prefix):].split('"')[1]
                pair = found.setdefault(label, [0.0, 0])
                pair[slot] = float(line.rsplit(" ", 1)[1])
    return {label: (total, int(count)) for label, (total, count) in found.items()}


def _job_results(url, job_id, ids, what):
    """Pages the job's results (10,000 a page) and checks them: one per ID, in order, succeeded."""
    results, cursor = [], None
    while True:
        query = "?limit=10000" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        status, page = http.get_json(f"{url}/v1/jobs/{job_id}/results{query}", timeout=120)
        if status != 200:
            raise BenchError(f"{what}: results answered {status}")
        results += page["results"]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return plans.check_report({"results": results}, ids, what)


def jobs(bench, fig, config_path):
    """Issue #13: one job of `job_size` IDs (100,000 in the full run) spread over the four providers,
    each call 20 ms at its fake, on a gateway alone with a SQLite store, then one with PostgreSQL.
    Wall time against the ideal (every upstream's calls over its concurrency × latency, the figure
    the issue asks for; and the sum of each chunk's own ideal, since a runner sends one chunk at a
    time), the gateway's RSS sampled while the job runs, and the runner's store time per chunk."""
    size, chunk = bench.settings["job_size"], bench.settings["job_chunk"]
    with open(config_path) as file:
        base = json.load(file)
    base["server"].update({"max_items": chunk, "max_job_items": max(size, 100000), "max_job_body_bytes": max(16 << 20, 48 * size)})
    ids = bench.ids.mixed(size)
    # The runner plans each chunk of `max_items` entries as /v1/cancel plans a request of them, so
    # dry runs of the same slices give its calls (IDs are fresh: a dry run sends nothing).
    calls, chunked_ideal = {}, 0
    for start in range(0, size, chunk):
        plan = _dry_run_plan(bench, ids[start:start + chunk])
        for upstream, count in plans.calls_per_upstream(plan).items():
            calls[upstream] = calls.get(upstream, 0) + count
        chunked_ideal += plans.ideal_ms(plan, bench.concurrency, bench.latency_ms)
    # Each job gateway runs alone: the dry runs' gateway stops here (idempotent if already stopped).
    bench.procs.stop(bench.gateway)
    ideal = max(-(-n // bench.concurrency[u]) * bench.latency_ms for u, n in calls.items())
    fig.add("jobs.ideal_s", ideal / 1000, "s", f"{size:,} IDs, {sum(calls.values()):,} upstream calls: max over upstreams of "
            f"ceil(calls / concurrency) x {bench.latency_ms} ms")
    fig.add("jobs.chunked_ideal_s", chunked_ideal / 1000, "s", f"sum over chunks of {chunk:,} of each chunk's ideal")
    cluster = None
    try:
        for kind in ("sqlite", "postgres"):
            config, cluster = _with_store(bench, fig, base, kind, "jobs", cluster)
            if config is None:
                continue
            gateway, url = _start_gateway(bench, f"gateway-jobs-{kind}", config)
            # Fresh IDs for each store, in the same pattern (so the same calls as the dry runs).
            job_ids = ids if kind == "sqlite" else bench.ids.mixed(size)
            rss_start = processes.status_kib(gateway.pid, "VmRSS")
            started = time.perf_counter()
            status, job, _ = http.post_json(url + "/v1/jobs", {"ids": job_ids}, timeout=300)
            if status != 202:
                raise BenchError(f"jobs {kind}: POST /v1/jobs answered {status}: {str(job)[:300]}")
            # Peaks by phase: submission (parse, plan, insert), the job itself, paging the results.
            peaks = {"submit": processes.status_kib(gateway.pid, "VmHWM")}
            processes.reset_peak_rss(gateway.pid)
            samples = []  # (done, VmRSS KiB)
            while True:
                status, job = http.get_json(f"{url}/v1/jobs/{job['job_id']}")
                if status != 200:
                    raise BenchError(f"jobs {kind}: GET /v1/jobs/ID answered {status}")
                samples.append((job["done"], processes.status_kib(gateway.pid, "VmRSS")))
                if job["state"] in ("completed", "cancelled"):
                    break
                time.sleep(0.2)
            wall = time.perf_counter() - started
            peaks["job"] = processes.status_kib(gateway.pid, "VmHWM")
            processes.reset_peak_rss(gateway.pid)
            if job["state"] != "completed" or job["done"] != size:
                raise BenchError(f"jobs {kind}: the job ended {job['state']} with {job['done']} of {size} done")
            paging_started = time.perf_counter()
            bench.retries += _job_results(url, job["job_id"], job_ids, f"jobs {kind}")
            paging = time.perf_counter() - paging_started
            status, metrics = http.request("GET", url + "/metrics")
            store_calls = _histogram_sums(metrics.decode(), "cancelgate_job_store_duration_seconds")
            peaks["paging"] = processes.status_kib(gateway.pid, "VmHWM")
            bench.procs.stop(gateway)

            def rss_at(fraction):
                return next(rss for done, rss in samples if done >= fraction * size)

            chunks = store_calls.get("commit", (0.0, 0))[1] or 1
            fig.add(f"jobs.{kind}.wall_s", wall, "s", "POST /v1/jobs to the job seen completed (polled every 0.2 s)")
            fig.add(f"jobs.{kind}.wall_over_ideal", wall * 1000 / ideal, "ratio", "the issue's ideal")
            fig.add(f"jobs.{kind}.wall_over_chunked_ideal", wall * 1000 / chunked_ideal, "ratio", "one chunk at a time")
            fig.add(f"jobs.{kind}.items_per_s", size / wall, "items/s")
            fig.add(f"jobs.{kind}.rss_start_mib", rss_start / 1024, "MiB", "VmRSS before the job")
            fig.add(f"jobs.{kind}.rss_10pct_mib", rss_at(0.1) / 1024, "MiB", "VmRSS when 10% was done")
            fig.add(f"jobs.{kind}.rss_90pct_mib", rss_at(0.9) / 1024, "MiB", "VmRSS when 90% was done")
            fig.add(f"jobs.{kind}.rss_growth_10_to_90", rss_at(0.9) / rss_at(0.1), "ratio", "flat is 1")
            fig.add(f"jobs.{kind}.peak_rss_submit_mib", peaks["submit"] / 1024, "MiB", "VmHWM up to the 202: parse, plan, insert the list")
            fig.add(f"jobs.{kind}.peak_rss_job_mib", peaks["job"] / 1024, "MiB", "VmHWM while the job ran; goal < 96")
            fig.add(f"jobs.{kind}.peak_rss_paging_mib", peaks["paging"] / 1024, "MiB", "VmHWM while its results were paged")
            fig.add(f"jobs.{kind}.chunks", chunks, "chunks", f"of at most {chunk:,} items")
            fig.add(f"jobs.{kind}.store_ms_per_chunk", sum(t for t, _ in store_calls.values()) * 1000 / chunks, "ms",
                    "the runner's store calls (renew, read, mark, commit) per chunk")
            for operation, (total, count) in sorted(store_calls.items()):
                fig.add(f"jobs.{kind}.store.{operation}_ms_per_chunk", total * 1000 / chunks, "ms", f"{count:,} calls")
            fig.add(f"jobs.{kind}.results_paging_s", paging, "s", f"all {size:,} results, 10,000 a page")
    finally:
        if cluster is not None:
            cluster.stop()


def components(bench, fig, binary, seconds):
    """The per-component benchmarks (Benchmarks/Components/main.swift): each part of a request in
    process, no sockets; median time per operation, and ReportJSON against JSONEncoder."""
    tool = os.path.join(os.path.dirname(binary), "cancelgate-components")
    if not os.access(tool, os.X_OK):
        raise BenchError(f"{tool} is missing: build it (`swift build --product cancelgate-components`)")
    done = subprocess.run([tool, "--json", "--seconds", str(seconds)], capture_output=True, env=bench.procs.env, timeout=600)
    if done.returncode != 0:
        raise BenchError("cancelgate-components failed: " + (done.stdout + done.stderr).decode(errors="replace")[-1000:])
    figures = {f["name"]: f for f in json.loads(done.stdout)}
    for name, f in figures.items():
        fig.add(f"components.{name}.median_us", f["median_ns"] / 1000, "us", f["what"])
    fig.add("components.jsonencoder_over_reportjson", figures["report.jsonencoder.1000"]["median_ns"] / figures["report.encode.1000"]["median_ns"],
            "ratio", "Foundation's JSONEncoder time / ReportJSON's for the same 1,000-result report")
    fig.add("components.http_single_over_pipeline_single", figures["http.cancel.single"]["median_ns"] / figures["pipeline.single"]["median_ns"],
            "ratio", "a single-ID cancel through the HTTP application / through CancelService alone")
