#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Synchronization

/// SIGINT and SIGTERM ask a training run to stop after its current step: the trainer saves a
/// checkpoint and returns, instead of the process dying with up to an epoch of work lost.
/// SIGUSR1 does the same, and is the graceful stop under mpirun, which forwards it to every rank.
///
/// On Ctrl-C or SIGTERM, Open MPI 4.1's mpirun does not wait for a step: it sends every rank
/// SIGCONT, SIGTERM one second later and SIGKILL one second after that
/// (`odls_base_sigkill_timeout`). Under mpirun `installTerminationNotices` therefore also turns
/// SIGCONT, SIGINT and SIGTERM into notices that `TerminationCheckpoint` waits for.
public enum InterruptSignal {
    private static let requested = Atomic<Bool>(false)
    private static let pending = Atomic<Int>(0)
    private static let noticesArmed = Atomic<Bool>(false)
    /// Posted from signal handlers (sem_post is async-signal-safe); never freed.
    nonisolated(unsafe) private static let wake: UnsafeMutablePointer<sem_t> = {
        let semaphore = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        sem_init(semaphore, 0, 0)
        return semaphore
    }()

    /// What a notice asks for: write the state of the last finished step, or also end the process.
    public struct Notice: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let checkpoint = Notice(rawValue: 1)
        public static let terminate = Notice(rawValue: 2)
    }

    /// Routes SIGINT, SIGTERM and SIGUSR1 to the flag (a second SIGINT still only sets the flag: the
    /// step in progress finishes either way, and it takes at most a few seconds).
    public static func install() {
        requested.store(false, ordering: .relaxed)
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        signal(SIGUSR1, stopHandler)
    }

    /// Also makes SIGCONT a notice to checkpoint, and SIGINT and SIGTERM notices to checkpoint and end.
    public static func installTerminationNotices() {
        _ = wake
        pending.store(0, ordering: .relaxed)
        noticesArmed.store(true, ordering: .relaxed)
        signal(SIGCONT, continueHandler)
        unblock([SIGINT, SIGTERM, SIGUSR1, SIGCONT])
    }

    /// Restores the default behaviour of the signals.
    public static func uninstall() {
        noticesArmed.store(false, ordering: .relaxed)
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        signal(SIGUSR1, SIG_DFL)
        signal(SIGCONT, SIG_DFL)
    }

    public static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Raises the flag as a signal would (tests, and embedders with their own signal handling).
    public static func request() { requested.store(true, ordering: .relaxed) }

    public static func clear() { requested.store(false, ordering: .relaxed) }

    /// Blocks until a notice arrives, and returns every notice since the last call.
    public static func waitForNotice() -> Notice {
        while true {
            while sem_wait(wake) != 0 {}
            let notice = Notice(rawValue: pending.exchange(0, ordering: .acquiringAndReleasing))
            if !notice.isEmpty { return notice }
        }
    }

    /// Posts a notice as a signal would (tests).
    public static func post(_ notice: Notice) {
        pending.bitwiseOr(notice.rawValue, ordering: .acquiringAndReleasing)
        sem_post(wake)
    }

    /// A launcher may start its children with signals blocked; a blocked SIGTERM would let mpirun's
    /// SIGKILL arrive with nothing saved.
    private static func unblock(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    private static let stopHandler: @convention(c) (Int32) -> Void = { _ in
        InterruptSignal.requested.store(true, ordering: .relaxed)
    }

    private static let handler: @convention(c) (Int32) -> Void = { _ in
        InterruptSignal.requested.store(true, ordering: .relaxed)
        if InterruptSignal.noticesArmed.load(ordering: .relaxed) { InterruptSignal.post([.checkpoint, .terminate]) }
    }

    private static let continueHandler: @convention(c) (Int32) -> Void = { _ in
        if InterruptSignal.noticesArmed.load(ordering: .relaxed) { InterruptSignal.post(.checkpoint) }
    }
}
