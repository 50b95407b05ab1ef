import Foundation

/// The one-process group: every collective is the identity. What `World.start()` returns when
/// the program was not launched by `mpirun`, so single-process runs never touch MPI.
public final class LocalCommunicator: Communicator {
    public init() {}

    public var rank: Int { 0 }
    public var size: Int { 1 }

    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>, label: StaticString) {}
    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Double>, label: StaticString) {}
    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int, label: StaticString) {}
    public func barrier(label: StaticString) {}
    public func allgather(_ values: [Double], label: StaticString) -> [[Double]] { [values] }
    public func duplicated() -> any Communicator { self }

    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("mpw: \(message)\n".utf8))
        exit(code)
    }
}
