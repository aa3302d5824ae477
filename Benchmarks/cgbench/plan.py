"""The ideal critical path of a dry run's plan, and checks that a report is complete."""
import collections
import math

from .procs import BenchError

SUCCESS = {"cancelled", "cancel_requested"}


def calls_per_upstream(plan):
    return dict(collections.Counter(call["upstream"] for call in plan))


def ideal_ms(plan, concurrency, latency_ms):
    """max over upstreams of ceil(calls / concurrency) × latency: what the calls cost if nothing but
    the upstreams' own latency and the configured concurrency limited them."""
    calls = calls_per_upstream(plan)
    return max(math.ceil(n / concurrency[upstream]) * latency_ms for upstream, n in calls.items())


# Sources/CurlClient/CurlClientConfiguration.swift: maxConnectionsPerHost (CURLMOPT_MAX_HOST_CONNECTIONS).
# Each upstream is its own host here, so this only matters for a concurrency above it.
CURL_MAX_HOST_CONNECTIONS = 64


def ideal_ms_shared(plans, concurrency, latency_ms):
    """The ideal of several concurrent requests: `concurrency` is gateway-wide per upstream
    (Dispatch/ConcurrencyLimitLayer.swift), so their calls share each upstream's slots:
    max over upstreams of ceil(all calls / min(concurrency, host cap)) × latency."""
    total = collections.Counter()
    for plan in plans:
        total.update(calls_per_upstream(plan))
    return max(math.ceil(n / min(concurrency[u], CURL_MAX_HOST_CONNECTIONS)) * latency_ms for u, n in total.items())


def check_report(report, ids, what):
    """One result per requested ID, in order, each a success; raises BenchError otherwise.
    Returns the number of upstream attempts beyond the first (retries)."""
    if not isinstance(report, dict) or "results" not in report:
        raise BenchError(f"{what}: no report: {str(report)[:300]}")
    results = report["results"]
    if len(results) != len(ids):
        raise BenchError(f"{what}: {len(results)} results for {len(ids)} IDs")
    retries = 0
    for index, (result, requested) in enumerate(zip(results, ids)):
        if result.get("index") != index or result.get("id") != requested:
            raise BenchError(f"{what}: result {index} is for {result.get('id')!r} (index {result.get('index')}), not {requested!r}")
        if result.get("outcome") not in SUCCESS:
            raise BenchError(f"{what}: {requested} ended {result.get('outcome')} ({result.get('error')})")
        retries += max(0, result.get("attempts", 1) - 1)
    return retries
