/// An owned, 64-byte aligned array of bfloat16 values: the bf16 copies that mixed-precision ops
/// read and keep for their backward pass. Large blocks come from `AlignedMemory`'s cache.
public final class BFloat16Buffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<BFloat16.Bits>
    public let count: Int
    private let floats: UnsafeMutablePointer<Float>

    /// Uninitialised storage for `count` values.
    public init(count: Int) {
        self.count = count
        floats = AlignedMemory.allocate(count: Self.floatCount(count))
        pointer = UnsafeMutableRawPointer(floats).bindMemory(to: BFloat16.Bits.self, capacity: max(1, count))
    }

    /// `count` floats rounded to bfloat16.
    public convenience init(rounding source: UnsafePointer<Float>, count: Int) {
        self.init(count: count)
        BFloat16.round(source, into: pointer, count: count)
    }

    deinit {
        AlignedMemory.release(floats, count: Self.floatCount(count))
    }

    private static func floatCount(_ count: Int) -> Int { (count + 1) / 2 }
}
