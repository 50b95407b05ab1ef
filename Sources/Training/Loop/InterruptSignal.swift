#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Synchronization

/// SIGINT and SIGTERM ask a training run to stop after its current step: the trainer saves a
/// checkpoint and returns, instead of the process dying with up to an epoch of work lost.
/// SIGUSR1 does the same: it is the signal Open MPI's mpirun forwards to every rank at once
/// (on SIGINT and SIGTERM it sends the ranks SIGCONT, then SIGTERM only after
/// `odls_base_sigkill_timeout` seconds, then SIGKILL).
public enum InterruptSignal {
    private static let requested = Atomic<Bool>(false)

    /// Routes SIGINT and SIGTERM to the flag (a second SIGINT still only sets the flag: the step in
    /// progress finishes either way, and it takes at most a few seconds).
    public static func install() {
        requested.store(false, ordering: .relaxed)
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        signal(SIGUSR1, handler)
    }

    /// Restores the default behaviour of the signals.
    public static func uninstall() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        signal(SIGUSR1, SIG_DFL)
    }

    public static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Raises the flag as a signal would (tests, and embedders with their own signal handling).
    public static func request() { requested.store(true, ordering: .relaxed) }

    public static func clear() { requested.store(false, ordering: .relaxed) }

    private static let handler: @convention(c) (Int32) -> Void = { _ in
        InterruptSignal.requested.store(true, ordering: .relaxed)
    }
}
