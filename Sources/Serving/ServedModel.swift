import Foundation
import Training

/// One loaded version of a model: the checkpoint, the batcher whose thread runs it, and the
/// requests using it. A version replaced on disk or unloaded is retired: it leaves the
/// repository at once, but its batcher runs until the last request that found it is answered,
/// so that a swap never fails a request.
///
/// `TrainedModel` holds reference-typed modules, so it is not `Sendable` by itself; nothing
/// mutates it once loaded, and only the batcher's thread runs it.
final class ServedModel: @unchecked Sendable {
    let name: String
    let version: String
    let model: TrainedModel
    let file: CheckpointFile
    let batcher: InferenceBatcher
    let statistics: InferenceStatistics

    private let lock = NSLock()
    private var requests = 0
    private var retired = false

    init(name: String, version: String, model: TrainedModel, file: CheckpointFile, settings: ServerSettings,
         metrics: ServerMetrics, statistics: InferenceStatistics) {
        self.name = name
        self.version = version
        self.model = model
        self.file = file
        self.statistics = statistics
        self.batcher = InferenceBatcher(model: model, settings: settings, metrics: metrics, statistics: statistics)
        batcher.start()
    }

    /// Counts a request that found this version; the repository calls it under its own lock,
    /// so that no request can begin on a version after it is retired.
    func begin() {
        lock.lock()
        requests += 1
        lock.unlock()
    }

    func end() {
        lock.lock()
        requests -= 1
        let last = retired && requests == 0
        lock.unlock()
        if last { stopInBackground() }
    }

    /// Leaves service: the batcher stops once no request uses this version any more.
    func retire() {
        lock.lock()
        retired = true
        let idle = requests == 0
        lock.unlock()
        if idle { stopInBackground() }
    }

    /// Stopping joins the batcher's thread, which may still be answering; no caller waits for it.
    private func stopInBackground() {
        let batcher = batcher
        Thread.detachNewThread { batcher.stop() }
    }

    /// "model + head, dataset", as the page and the start line describe it.
    var summary: String {
        let configuration = model.checkpoint.configuration
        return "\(configuration.model) + \(configuration.head.kind), \(configuration.dataset)"
    }
}
