#if canImport(Glibc)
import Glibc
#endif

/// How long idle pool threads spin before they sleep.
///
/// libgomp's default is to spin for about 300,000 iterations after every parallel region. On an
/// idle machine that saves a wake-up; on a busy one (other jobs, or our own data-loading threads)
/// a spinning thread burns the timeslice its partner needs and a training step can run five
/// times slower. A bound of 10,000 spins (about 10 µs) keeps the idle-machine speed within a few
/// percent and the busy-machine speed close to that of pure sleeping.
///
/// libgomp reads its settings when the library loads, before any Swift code runs, so the only way
/// for a program to choose them is to set the variable and re-execute itself.
public enum SpinPolicy {
    public static let boundedSpinCount = "10000"

    /// Re-executes the current program with GOMP_SPINCOUNT set, unless the user chose a policy
    /// (OMP_WAIT_POLICY or GOMP_SPINCOUNT in the environment) or the platform has no libgomp.
    /// Returns only when no re-execution happened.
    public static func applyBoundedSpinningByRelaunching() {
        #if os(Linux)
        guard getenv("OMP_WAIT_POLICY") == nil, getenv("GOMP_SPINCOUNT") == nil else { return }
        setenv("GOMP_SPINCOUNT", boundedSpinCount, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv only returns on failure: carry on with libgomp's defaults.
        unsetenv("GOMP_SPINCOUNT")
        #endif
    }
}
