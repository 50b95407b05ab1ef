import Foundation
import Synchronization

/// Ends the job when a collective waits too long. A rank that died, hangs or was stopped never
/// joins the next collective, and MPI would wait for it forever; the watchdog turns that into a
/// one-line message naming this rank and the collective, then a job-wide abort.
final class CollectiveWatchdog: Sendable {
    private struct Waiting {
        var label: StaticString
        var since: ContinuousClock.Instant
    }

    private let timeout: Duration
    private let waiting = Mutex<[Int: Waiting]>([:])
    private let nextToken = Atomic<Int>(0)
    private let onTimeout: @Sendable (String) -> Void

    /// `onTimeout` receives the message and must not return (it aborts the job).
    init(timeout: Duration, onTimeout: @escaping @Sendable (String) -> Void) {
        self.timeout = timeout
        self.onTimeout = onTimeout
        let thread = Thread { [self] in watch() }
        thread.name = "mpw-watchdog"
        thread.start()
    }

    /// Runs one collective under the watchdog.
    func guarding<R>(_ label: StaticString, _ body: () -> R) -> R {
        let token = nextToken.add(1, ordering: .relaxed).newValue
        waiting.withLock { $0[token] = Waiting(label: label, since: .now) }
        defer { _ = waiting.withLock { $0.removeValue(forKey: token) } }
        return body()
    }

    private func watch() {
        let poll = min(timeout / 4, .milliseconds(500))
        while true {
            Thread.sleep(forTimeInterval: Double(poll.components.seconds) + Double(poll.components.attoseconds) * 1e-18)
            let now = ContinuousClock.now
            let stuck = waiting.withLock { $0.values.first { now - $0.since > timeout } }
            if let stuck {
                let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) * 1e-18
                onTimeout("\(stuck.label) waited more than \(Self.format(seconds)) s for the other ranks (one of them died, hangs or was stopped); aborting the job")
            }
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
