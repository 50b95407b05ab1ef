/// The collectives data-parallel training needs, over a fixed group of processes (ranks).
///
/// Every rank must call the same collectives in the same order with the same element counts;
/// that is the contract of MPI and of this protocol. A communicator may be used from one thread
/// at a time; `duplicated()` gives an independent one for a second thread (collectives on the two
/// never match each other), which is how gradients travel on a communication thread while the
/// main thread synchronises BatchNorm statistics.
public protocol Communicator: AnyObject, Sendable {
    /// This process's index, in 0..<size.
    var rank: Int { get }
    /// The number of ranks.
    var size: Int { get }

    /// Replaces every element by its sum over the ranks (the same result on every rank).
    func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>, label: StaticString)
    /// Replaces every element by its sum over the ranks.
    func allreduceSum(_ values: UnsafeMutableBufferPointer<Double>, label: StaticString)
    /// Copies `bytes` of rank `root` into `bytes` of every other rank.
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, from root: Int, label: StaticString)
    /// Returns when every rank has called it.
    func barrier(label: StaticString)
    /// Every rank's `values` (the same count on every rank), by rank.
    func allgather(_ values: [Double], label: StaticString) -> [[Double]]
    /// An independent communicator over the same ranks, for use on another thread.
    func duplicated() -> any Communicator
    /// Ends every rank of the job at once, after printing `message` (one line) on this one.
    func abort(_ message: String, code: Int32) -> Never
}

extension Communicator {
    /// Rank 0 writes the run directory and prints progress.
    public var isLeader: Bool { rank == 0 }

    public var isDistributed: Bool { size > 1 }

    public func allreduceSum(_ values: inout [Double], label: StaticString) {
        values.withUnsafeMutableBufferPointer { allreduceSum($0, label: label) }
    }

    public func allreduceSum(_ values: inout [Float], label: StaticString) {
        values.withUnsafeMutableBufferPointer { allreduceSum($0, label: label) }
    }

    /// Rank `root`'s byte string on every rank (its length travels first).
    public func broadcast(_ bytes: [UInt8], from root: Int, label: StaticString) -> [UInt8] {
        var length = [Double(bytes.count)]
        length.withUnsafeMutableBytes { broadcast($0, from: root, label: label) }
        var result = rank == root ? bytes : [UInt8](repeating: 0, count: Int(length[0]))
        result.withUnsafeMutableBytes { broadcast($0, from: root, label: label) }
        return result
    }
}
