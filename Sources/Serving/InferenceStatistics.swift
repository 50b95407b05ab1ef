import Foundation

/// Triton's per-model inference statistics (GET /v2/models/NAME/stats, the statistics
/// extension): requests that succeeded or failed and their time, time waiting for a batch, the
/// model's compute time, images inferred and batches run.
final class InferenceStatistics: @unchecked Sendable {
    struct Duration: Encodable {
        var count = 0
        var ns: UInt64 = 0

        mutating func add(_ duration: Swift.Duration, count: Int = 1) {
            self.count += count
            ns += UInt64(max(0, duration.components.seconds)) * 1_000_000_000 + UInt64(max(0, duration.components.attoseconds) / 1_000_000_000)
        }
    }

    struct Stages: Encodable {
        var success = Duration()
        var fail = Duration()
        var queue = Duration()
        var computeInput = Duration()
        var computeInfer = Duration()
        var computeOutput = Duration()

        enum CodingKeys: String, CodingKey {
            case success, fail, queue, computeInput = "compute_input", computeInfer = "compute_infer", computeOutput = "compute_output"
        }
    }

    struct ModelStatistics: Encodable {
        let name: String
        let version: String
        let lastInference: UInt64
        let inferenceCount: Int
        let executionCount: Int
        let inferenceStats: Stages
        let batchStats: [String]

        enum CodingKeys: String, CodingKey {
            case name, version, lastInference = "last_inference", inferenceCount = "inference_count", executionCount = "execution_count"
            case inferenceStats = "inference_stats", batchStats = "batch_stats"
        }
    }

    private let lock = NSLock()
    private var stages = Stages()
    private var inferences = 0
    private var executions = 0
    private var lastInference: UInt64 = 0

    /// A request to the model answered (or failed) after `duration`.
    func recordRequest(succeeded: Bool, duration: Swift.Duration) {
        lock.lock()
        defer { lock.unlock() }
        if succeeded { stages.success.add(duration) } else { stages.fail.add(duration) }
    }

    /// One batch of `images` from `queued` requests, which waited `waits` in all, computed in `compute`.
    func recordBatch(images: Int, requests: Int, waits: Swift.Duration, compute: Swift.Duration) {
        lock.lock()
        defer { lock.unlock() }
        inferences += images
        executions += 1
        stages.queue.add(waits, count: requests)
        stages.computeInfer.add(compute, count: requests)
        lastInference = UInt64(Date().timeIntervalSince1970 * 1000)
    }

    func snapshot(name: String, version: String) -> ModelStatistics {
        lock.lock()
        defer { lock.unlock() }
        return ModelStatistics(name: name, version: version, lastInference: lastInference, inferenceCount: inferences,
                               executionCount: executions, inferenceStats: stages, batchStats: [])
    }
}
