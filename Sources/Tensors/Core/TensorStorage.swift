import Kernels

/// The float buffer behind one or more tensors. Tensors share it until one of them writes,
/// which then copies (copy-on-write), so `Tensor` behaves as a value.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Uninitialised storage; every creator writes all `count` elements before reading.
    public init(uninitializedCount count: Int) {
        self.count = count
        pointer = AlignedMemory.allocate(count: count)
    }

    public convenience init(repeating value: Float, count: Int) {
        self.init(uninitializedCount: count)
        VectorLoops.fill(pointer, count: count, with: value)
    }

    public func copy() -> TensorStorage {
        let result = TensorStorage(uninitializedCount: count)
        VectorLoops.copy(pointer, to: result.pointer, count: count)
        return result
    }

    deinit { AlignedMemory.release(pointer, count: count) }
}
