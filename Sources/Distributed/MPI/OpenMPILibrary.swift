#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Open MPI's C API, loaded at run time with dlopen (as MLX does) instead of linked: the package
/// then builds, and runs on one process, where MPI is not installed, and Swift never has to import
/// `mpi.h`, whose handles are macros. Open MPI's handles are the addresses of global objects
/// (`MPI_COMM_WORLD` is `&ompi_mpi_comm_world`, `MPI_FLOAT` is `&ompi_mpi_float`, ...), so dlsym
/// gives them directly; `MPI_IN_PLACE` is `(void *)1`. This ties the module to Open MPI's ABI
/// (MPICH's handles are integers), which is the implementation the project installs.
final class OpenMPILibrary: @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer

    /// `MPI_THREAD_MULTIPLE`: several threads may call MPI at once.
    static let threadMultiple: Int32 = 3
    static var inPlace: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: 1)! }

    let initThread: @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutableRawPointer?, Int32, UnsafeMutablePointer<Int32>) -> Int32
    let finalize: @convention(c) () -> Int32
    let commRank: @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    let commSize: @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    let commDup: @convention(c) (Handle, UnsafeMutablePointer<Handle?>) -> Int32
    let allreduce: @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    let bcast: @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    let barrier: @convention(c) (Handle) -> Int32
    let allgather: @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Handle) -> Int32
    let abort: @convention(c) (Handle, Int32) -> Int32

    let commWorld: Handle
    let float: Handle
    let double: Handle
    let byte: Handle
    let sum: Handle

    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    init() throws {
        var library: UnsafeMutableRawPointer?
        // RTLD_GLOBAL: Open MPI's plugins (its transports) resolve their symbols against libmpi.
        for name in ["libmpi.so.40", "libmpi.so", "libmpi.dylib", "libmpi.40.dylib"] {
            library = dlopen(name, RTLD_NOW | RTLD_GLOBAL)
            if library != nil { break }
        }
        guard let library else {
            throw LoadError(description: "running under mpirun but Open MPI's libmpi cannot be loaded (install libopenmpi-dev / openmpi-bin): \(String(cString: dlerror()))")
        }
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let address = dlsym(library, name) else { throw LoadError(description: "libmpi has no symbol \(name): not Open MPI?") }
            return address
        }
        func function<T>(_ name: String, as type: T.Type) throws -> T { unsafeBitCast(try symbol(name), to: type) }
        initThread = try function("MPI_Init_thread", as: type(of: initThread))
        finalize = try function("MPI_Finalize", as: type(of: finalize))
        commRank = try function("MPI_Comm_rank", as: type(of: commRank))
        commSize = try function("MPI_Comm_size", as: type(of: commSize))
        commDup = try function("MPI_Comm_dup", as: type(of: commDup))
        allreduce = try function("MPI_Allreduce", as: type(of: allreduce))
        bcast = try function("MPI_Bcast", as: type(of: bcast))
        barrier = try function("MPI_Barrier", as: type(of: barrier))
        allgather = try function("MPI_Allgather", as: type(of: allgather))
        abort = try function("MPI_Abort", as: type(of: abort))
        commWorld = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        double = try symbol("ompi_mpi_double")
        byte = try symbol("ompi_mpi_byte")
        sum = try symbol("ompi_mpi_op_sum")
    }
}
