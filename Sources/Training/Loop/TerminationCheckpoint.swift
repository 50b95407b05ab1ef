#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation
import Tensors

/// Saves a run that mpirun is about to kill. mpirun gives its ranks two seconds between the first
/// signal and SIGKILL (see `InterruptSignal`), too little to finish a step and agree to stop. So
/// the trainer publishes where it stands after every finished step, with a snapshot of what the
/// next forward pass changes before the next step finishes (BatchNorm's running statistics, the
/// dropout generators); the weights and momentum change only inside `commit`. On a notice, a
/// thread of its own writes that state to last.safetensors (rank 0), and on SIGINT or SIGTERM it
/// then ends the process.
/// Its state is guarded by `lock`.
final class TerminationCheckpoint: @unchecked Sendable {
    /// A finished step as a checkpoint needs it.
    struct Step {
        var state: TrainingState
        var buffers: [String: Tensor]
    }

    private let lock = NSLock()
    private var published: Step
    private var savedState: TrainingState?
    private let isLeader: Bool
    private let write: (Step) throws -> Void
    private let directory: String

    /// `write` puts a step in the run directory (called with the lock held, on rank 0 only).
    init(initial: Step, isLeader: Bool, directory: String, write: @escaping (Step) throws -> Void) {
        published = initial
        self.isLeader = isLeader
        self.directory = directory
        self.write = write
    }

    /// Runs `body`, which moves the run to a new finished step, and publishes the step it returns.
    func commit(_ body: () throws -> Step) rethrows {
        lock.lock()
        defer { lock.unlock() }
        published = try body()
    }

    /// Runs a regular checkpoint write; a notice waits for it rather than writing the same file at once.
    func whileWriting<R>(_ state: TrainingState, _ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        let result = try body()
        savedState = state
        return result
    }

    /// Starts the thread that answers notices.
    func start() {
        let thread = Thread { [self] in
            while true { answer(InterruptSignal.waitForNotice()) }
        }
        thread.name = "mpw termination checkpoint"
        thread.start()
    }

    private func answer(_ notice: InterruptSignal.Notice) {
        lock.lock()
        let step = published
        var failure: String?
        if isLeader && savedState != step.state {
            do {
                try write(step)
                savedState = step.state
            } catch {
                failure = "\(error)"
            }
        }
        lock.unlock()
        guard notice.contains(.terminate) else { return }
        // Rank 0 alone ends here; the others keep their collectives open so that rank 0's write is
        // not cut short by an aborting peer, and mpirun's SIGKILL ends them.
        guard isLeader else { return }
        let message = failure.map { "mpw: interrupted; the checkpoint could not be written: \($0)" }
            ?? "mpw: \(TrainingStop.interrupted(epoch: step.state.epoch, batch: step.state.batch, directory: directory))"
        fflush(nil)
        FileHandle.standardError.write(Data(("\n" + message + "\n").utf8))
        _exit(130)
    }
}
