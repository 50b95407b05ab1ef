#if canImport(COpenMP)
import COpenMP
#endif
#if canImport(COpenBLAS)
import COpenBLAS
#endif
import Foundation
import Synchronization

/// The one thread-count setting of the process. It drives our own parallel loops, OpenBLAS and
/// oneDNN together, because two pools spinning on the same cores cost far more than they gain.
public enum Threads {
    private static let configured = Atomic<Int>(0)

    /// Cores this process may run on (Foundation reads the affinity mask and cgroup limits).
    public static let available: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// The current thread count; `available` until `set(_:)` is called.
    public static var count: Int {
        let value = configured.load(ordering: .relaxed)
        if value > 0 { return value }
        set(available)
        return available
    }

    /// Sets the thread count for every pool in the process.
    public static func set(_ count: Int) {
        precondition(count >= 1, "Threads.set: the thread count must be at least 1, got \(count)")
        configured.store(count, ordering: .relaxed)
        #if canImport(COpenMP)
        omp_set_num_threads(Int32(count))
        #endif
        #if canImport(COpenBLAS)
        openblas_set_num_threads(Int32(count))
        #endif
    }

    /// How OpenBLAS was built to thread: "openmp" shares our pool; "pthreads" brings a second one.
    public static var blasThreading: String {
        #if canImport(COpenBLAS)
        switch openblas_get_parallel() {
        case 0: return "sequential"
        case 1: return "pthreads"
        case 2: return "openmp"
        default: return "unknown"
        }
        #else
        return "accelerate"
        #endif
    }
}
