import Foundation
import Synchronization

/// The process group a command runs in: Open MPI's world when launched by `mpirun` (the
/// environment says so), else the one-process group, and then MPI is never loaded.
public enum World {
    /// Seconds a collective may wait for the other ranks before the job is aborted.
    public static let defaultTimeout = 60.0

    private static let started = Mutex<(any Communicator)?>(nil)
    private nonisolated(unsafe) static var finalizer: (@Sendable () -> Void)?

    /// The world communicator, started on first use (MPI_Init_thread with MPI_THREAD_MULTIPLE,
    /// MPI_Finalize at exit). Later calls return the same communicator and ignore `timeout`.
    /// Throws when mpirun launched the process but Open MPI cannot be loaded or cannot provide
    /// the thread level the communication thread needs.
    public static func start(timeout: Double = defaultTimeout) throws -> any Communicator {
        try started.withLock { current in
            if let current { return current }
            let communicator: any Communicator
            if let launch = LaunchEnvironment.current(), launch.size > 1 {
                communicator = try startMPI(timeout: timeout)
            } else {
                communicator = LocalCommunicator()
            }
            current = communicator
            return communicator
        }
    }

    private static func startMPI(timeout: Double) throws -> any Communicator {
        let library = try OpenMPILibrary()
        var provided: Int32 = -1
        guard library.initThread(nil, nil, OpenMPILibrary.threadMultiple, &provided) == 0 else {
            throw OpenMPILibrary.LoadError(description: "MPI_Init_thread failed")
        }
        guard provided >= OpenMPILibrary.threadMultiple else {
            _ = library.finalize()
            throw OpenMPILibrary.LoadError(description: "Open MPI provides thread level \(provided), mpw needs MPI_THREAD_MULTIPLE (3): use an Open MPI built with thread support")
        }
        let box = AbortTarget()
        let watchdog = CollectiveWatchdog(timeout: .milliseconds(Int64(timeout * 1000))) { message in
            box.communicator?.abort(message, code: 1)
        }
        let world = MPICommunicator(library: library, handle: library.commWorld, watchdog: watchdog)
        box.communicator = world
        finalizer = { _ = library.finalize() }
        atexit { World.finalizer?() }
        return world
    }

    /// Lets the watchdog reach the world communicator created after it.
    private final class AbortTarget: @unchecked Sendable {
        var communicator: MPICommunicator?
    }
}
