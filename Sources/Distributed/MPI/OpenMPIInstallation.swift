#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Foundation

/// Whether Open MPI is installed where data-parallel runs would load it, for `mpw doctor`.
public struct OpenMPIInstallation: Sendable {
    /// True when libmpi loads (the same names `OpenMPILibrary` tries) and is Open MPI.
    public let found: Bool
    /// The first line of MPI_Get_library_version, e.g. "Open MPI v4.1.4, package: Debian OpenMPI, ...".
    public let version: String?
    /// `mpirun` on the PATH.
    public let mpirun: String?
    /// Why libmpi was not found, from dlerror.
    public let problem: String?

    /// Loads libmpi (without initialising MPI) and asks its version.
    public static func detect() -> OpenMPIInstallation {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let mpirun = path.split(separator: ":").map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        var library: UnsafeMutableRawPointer?
        for name in ["libmpi.so.40", "libmpi.so", "libmpi.dylib", "libmpi.40.dylib"] {
            library = dlopen(name, RTLD_NOW | RTLD_GLOBAL)
            if library != nil { break }
        }
        guard let library else {
            return OpenMPIInstallation(found: false, version: nil, mpirun: mpirun, problem: String(cString: dlerror()))
        }
        // MPI_Get_library_version may be called before MPI_Init (MPI 3.0, section 8.1.1).
        typealias GetVersion = @convention(c) (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32
        var version: String?
        if let symbol = dlsym(library, "MPI_Get_library_version") {
            var buffer = [CChar](repeating: 0, count: 8192)
            var length: Int32 = 0
            if unsafeBitCast(symbol, to: GetVersion.self)(&buffer, &length) == 0 {
                version = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: "\n").first.map(String.init)
            }
        }
        let isOpenMPI = dlsym(library, "ompi_mpi_comm_world") != nil
        return OpenMPIInstallation(found: isOpenMPI, version: version, mpirun: mpirun,
                                   problem: isOpenMPI ? nil : "libmpi loaded but is not Open MPI (no ompi_mpi_comm_world)")
    }
}
