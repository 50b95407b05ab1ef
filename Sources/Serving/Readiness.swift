import Foundation

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
