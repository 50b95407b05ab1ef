#if canImport(Glibc)
import Glibc
#endif

/// Settings that libgomp and OpenBLAS read once, when they load, before any Swift code runs: the
/// only way for a program to choose them is to set the variables and re-execute itself.
public enum LibraryEnvironment {
    /// Re-executes the current program once with the variables below set, unless the user set
    /// them. Returns only when no re-execution happened (or it failed).
    /// - `GOMP_SPINCOUNT`: bounded spinning (`SpinPolicy`), unless OMP_WAIT_POLICY is set.
    /// - `OPENBLAS_CORETYPE`: the CPU's vector width when OpenBLAS fell back below AVX2.
    public static func relaunchWithTunedLibraries() {
        #if os(Linux)
        var changed: [String] = []
        if getenv("OMP_WAIT_POLICY") == nil, getenv("GOMP_SPINCOUNT") == nil {
            setenv("GOMP_SPINCOUNT", SpinPolicy.boundedSpinCount, 1)
            changed.append("GOMP_SPINCOUNT")
        }
        if getenv("OPENBLAS_CORETYPE") == nil, let openBLAS = NativeLibraries.openBLAS, openBLAS.fellBackBelowAVX2,
           let core = openBLAS.suggestedCoreType {
            setenv("OPENBLAS_CORETYPE", core, 1)
            changed.append("OPENBLAS_CORETYPE")
        }
        guard !changed.isEmpty else { return }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv only returns on failure: carry on with the libraries' defaults.
        for name in changed { unsetenv(name) }
        #endif
    }
}
