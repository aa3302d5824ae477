public import CancelgateCore
internal import CoreMetrics
internal import Foundation
internal import Hummingbird
public import Prometheus
internal import CurlClient

/// The Prometheus side of `GatewayMetrics`: one registry per application (so two gateways in one
/// process never mix their counts) and a swift-metrics factory over it that gives each
/// cancelgate metric its `# HELP` line. The text format is swift-prometheus's own.
public struct PrometheusMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let metrics: GatewayMetrics

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.metrics = GatewayMetrics(factory: DescribedMetricsFactory(registry: registry))
    }

    /// `GET /metrics`.
    func response() -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
}

/// `PrometheusMetricsFactory` registers metrics without help text; this one names each with the
/// help of `GatewayMetrics.help` and uses `GatewayMetrics.durationBuckets` for timers.
///
/// Each handler is made once per name and labels and kept: the registry would hand back the same
/// one, but only after checking the name and scanning the help text again, on every request.
final class DescribedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    private let plain: PrometheusMetricsFactory
    private let made = HandlerCache()

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.plain = PrometheusMetricsFactory(registry: registry)
    }

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: GatewayMetrics.help[label] ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        made.counter(label, dimensions) { registry.makeCounter(descriptor: descriptor(label), labels: dimensions) }
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        made.counter(label, dimensions) { registry.makeCounter(descriptor: descriptor(label), labels: dimensions) }
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        aggregate
            ? made.histogram(label, dimensions) {
                registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: plain.defaultValueHistogramBuckets)
            }
            : made.gauge(label, dimensions) { registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        made.gauge(label, dimensions) { registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        made.durationHistogram(label, dimensions) {
            registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: GatewayMetrics.durationBuckets)
        }
    }

    func destroyCounter(_ handler: any CounterHandler) { plain.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { plain.destroyFloatingPointCounter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { plain.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { plain.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { plain.destroyTimer(handler) }
}

/// Counts every answered request by route template, method and status, and the requests in
/// flight. Outermost, so problem answers (401, 404, 422…) are counted with their real status.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        metrics.requestStarted()
        defer { metrics.requestEnded() }
        do {
            let response = try await next(request, context)
            metrics.httpRequest(route: context.endpointPath ?? "unmatched", method: Self.method(request), status: response.status.code)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.httpRequest(route: context.endpointPath ?? "unmatched", method: Self.method(request), status: status)
            throw error
        }
    }

    /// A caller may send any method token: only the standard ones become label values.
    static func method(_ request: Request) -> String {
        switch request.method {
        case .get, .head, .post, .put, .delete, .patch, .options: request.method.rawValue
        default: "other"
        }
    }
}

/// The registry's handlers by kind, name and labels (label sets are bounded: see GatewayMetrics).
final class HandlerCache: Sendable {
    private struct Key: Hashable {
        let label: String
        let dimensions: [String]

        init(_ label: String, _ dimensions: [(String, String)]) {
            self.label = label
            var flat: [String] = []
            flat.reserveCapacity(dimensions.count * 2)
            for (name, value) in dimensions {
                flat.append(name)
                flat.append(value)
            }
            self.dimensions = flat
        }
    }

    private struct Handlers {
        var counters: [Key: Prometheus.Counter] = [:]
        var gauges: [Key: Prometheus.Gauge] = [:]
        var histograms: [Key: Prometheus.ValueHistogram] = [:]
        var durationHistograms: [Key: Prometheus.DurationHistogram] = [:]
    }

    private let handlers = Locked(Handlers())

    private func cached<H: Sendable>(
        _ path: WritableKeyPath<Handlers, [Key: H]>, _ label: String, _ dimensions: [(String, String)], make: () -> H
    ) -> H {
        let key = Key(label, dimensions)
        if let found = handlers.withLock({ $0[keyPath: path][key] }) { return found }
        // Made outside the lock: the registry has its own, and returns the same handler for the
        // same name and labels, so two threads racing here store the same object.
        let made = make()
        handlers.withLock { $0[keyPath: path][key] = made }
        return made
    }

    func counter(_ label: String, _ dimensions: [(String, String)], make: () -> Prometheus.Counter) -> Prometheus.Counter {
        cached(\.counters, label, dimensions, make: make)
    }

    func gauge(_ label: String, _ dimensions: [(String, String)], make: () -> Prometheus.Gauge) -> Prometheus.Gauge {
        cached(\.gauges, label, dimensions, make: make)
    }

    func histogram(
        _ label: String, _ dimensions: [(String, String)], make: () -> Prometheus.ValueHistogram
    ) -> Prometheus.ValueHistogram {
        cached(\.histograms, label, dimensions, make: make)
    }

    func durationHistogram(
        _ label: String, _ dimensions: [(String, String)], make: () -> Prometheus.DurationHistogram
    ) -> Prometheus.DurationHistogram {
        cached(\.durationHistograms, label, dimensions, make: make)
    }
}
