import Foundation
import Synchronization

/// A communicator over Open MPI (MPI_COMM_WORLD or a duplicate of it). Every collective runs
/// under the job's watchdog. MPI's default error handler aborts the job on any MPI error, so the
/// calls have no error path of their own.
final class MPICommunicator: Communicator, @unchecked Sendable {
    let rank: Int
    let size: Int
    private let library: OpenMPILibrary
    private let handle: OpenMPILibrary.Handle
    private let watchdog: CollectiveWatchdog
    /// MPI counts are 32-bit: longer buffers go in pieces of this many elements.
    private static let maximumCount = 1 << 30

    init(library: OpenMPILibrary, handle: OpenMPILibrary.Handle, watchdog: CollectiveWatchdog) {
        self.library = library
        self.handle = handle
        self.watchdog = watchdog
        var value: Int32 = 0
        _ = library.commRank(handle, &value)
        rank = Int(value)
        _ = library.commSize(handle, &value)
        size = Int(value)
    }

    func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>, label: StaticString) {
        reduce(values.baseAddress, count: values.count, stride: MemoryLayout<Float>.stride, type: library.float, label: label)
    }

    func allreduceSum(_ values: UnsafeMutableBufferPointer<Double>, label: StaticString) {
        reduce(values.baseAddress, count: values.count, stride: MemoryLayout<Double>.stride, type: library.double, label: label)
    }

    private func reduce(_ base: UnsafeMutableRawPointer?, count: Int, stride: Int, type: OpenMPILibrary.Handle, label: StaticString) {
        guard let base, count > 0 else { return }
        watchdog.guarding(label) {
            var offset = 0
            while offset < count {
                let piece = min(Self.maximumCount, count - offset)
                _ = library.allreduce(OpenMPILibrary.inPlace, base + offset * stride, Int32(piece), type, library.sum, handle)
                offset += piece
            }
        }
    }

    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int, label: StaticString) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        watchdog.guarding(label) {
            var offset = 0
            while offset < bytes.count {
                let piece = min(Self.maximumCount, bytes.count - offset)
                _ = library.bcast(base + offset, Int32(piece), library.byte, Int32(root), handle)
                offset += piece
            }
        }
    }

    func barrier(label: StaticString) {
        watchdog.guarding(label) { _ = library.barrier(handle) }
    }

    func allgather(_ values: [Double], label: StaticString) -> [[Double]] {
        var gathered = [Double](repeating: 0, count: values.count * size)
        guard !values.isEmpty else { return Array(repeating: [], count: size) }
        values.withUnsafeBytes { send in
            gathered.withUnsafeMutableBytes { receive in
                watchdog.guarding(label) {
                    _ = library.allgather(send.baseAddress, Int32(values.count), library.double,
                                          receive.baseAddress, Int32(values.count), library.double, handle)
                }
            }
        }
        return (0..<size).map { Array(gathered[($0 * values.count)..<(($0 + 1) * values.count)]) }
    }

    func duplicated() -> any Communicator {
        var copy: OpenMPILibrary.Handle?
        watchdog.guarding("MPI_Comm_dup") { _ = library.commDup(handle, &copy) }
        return MPICommunicator(library: library, handle: copy!, watchdog: watchdog)
    }

    func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("mpw: rank \(rank): \(message)\n".utf8))
        _ = library.abort(library.commWorld, code)
        exit(code)
    }
}
