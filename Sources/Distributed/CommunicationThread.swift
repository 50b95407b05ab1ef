import Foundation

/// One thread that runs collectives in the order they were submitted.
///
/// Open MPI makes no progress on a non-blocking collective while the caller computes, so
/// gradients are reduced with blocking calls on this thread while the main thread carries on with
/// the backward pass. Submission order is program order, the same on every rank, which keeps the
/// collectives matched.
public final class CommunicationThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var running = false
    private var busySeconds = 0.0

    public init(name: String = "mpw-communication") {
        let thread = Thread { [self] in serve() }
        thread.name = name
        thread.start()
    }

    /// Queues `job`; returns at once.
    public func submit(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Waits until every submitted job has finished; returns the seconds the thread spent
    /// running jobs since the previous call.
    @discardableResult
    public func waitUntilIdle() -> Double {
        condition.lock()
        while running || !jobs.isEmpty { condition.wait() }
        let busy = busySeconds
        busySeconds = 0
        condition.unlock()
        return busy
    }

    private func serve() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            running = true
            condition.unlock()
            let start = DispatchTime.now().uptimeNanoseconds
            job()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            condition.lock()
            busySeconds += seconds
            running = false
            condition.broadcast()
            condition.unlock()
        }
    }
}
