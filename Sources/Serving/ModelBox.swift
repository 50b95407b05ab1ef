import Foundation
import Training

/// The trained model shared by the handlers (which read its class names and shapes) and the
/// inference thread (the only one that runs it). `TrainedModel` holds reference-typed modules,
/// so it is not `Sendable` by itself; nothing mutates it once loaded.
final class ModelBox: @unchecked Sendable {
    let value: TrainedModel

    init(_ value: TrainedModel) {
        self.value = value
    }
}

/// False once the server starts shutting down, so /v2/health/ready tells load balancers to stop
/// sending requests while the ones in flight finish.
final class Readiness: @unchecked Sendable {
    private let lock = NSLock()
    private var ready = true

    var isReady: Bool {
        lock.lock()
        defer { lock.unlock() }
        return ready
    }

    func markShuttingDown() {
        lock.lock()
        ready = false
        lock.unlock()
    }
}
