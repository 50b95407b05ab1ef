import Prometheus

/// The server's Prometheus metrics, rendered in the text exposition format at GET /metrics.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let batchSizes: ValueHistogram
    private let queueDepth: Gauge

    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "mpw", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered, by route, method and status.")
    }
    static var latency: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "mpw", metricName: "http_request_duration", unitName: "seconds", helpText: "Time from request to response, by route.")
    }
    /// Latency buckets from 1 ms to 10 s: a small CPU model answers in milliseconds, a large one
    /// under load in seconds.
    static let latencyBuckets: [Duration] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000].map { .milliseconds($0) }

    public init(maxBatch: Int) {
        var buckets: [Double] = [1]
        while buckets.last! < Double(maxBatch) { buckets.append(buckets.last! * 2) }
        batchSizes = registry.makeValueHistogram(
            descriptor: MetricNameDescriptor(namespace: "mpw", metricName: "batch_size", unitName: "images", helpText: "Images per batch run by the model."),
            buckets: buckets)
        queueDepth = registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "mpw", metricName: "queue_depth", unitName: "images", helpText: "Images waiting for a batch."))
        queueDepth.set(Double(0))
    }

    /// Counts one answered request and its latency under the route's pattern (not its path, so
    /// model names and typos do not make new series).
    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: Self.latency, labels: [("route", route)], buckets: Self.latencyBuckets).record(duration)
    }

    func recordBatch(size: Int) {
        batchSizes.record(Double(size))
    }

    /// Every model's batcher adds the images it queues and takes away those it runs or drops:
    /// the gauge is the server's total.
    func changeQueueDepth(by images: Int) {
        queueDepth.increment(by: Double(images))
    }

    /// Every metric in Prometheus's text format.
    public func exposition() -> String {
        registry.emitToString()
    }
}
