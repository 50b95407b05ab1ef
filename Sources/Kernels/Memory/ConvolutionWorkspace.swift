/// The scratch memory of one forward pass's convolutions, planned as a single buffer the size of
/// the largest layer's need and reused by every layer in turn.
///
/// A Winograd convolution needs blocked copies of its source and destination and a scratchpad
/// holding the transformed input, together about four times the layer's activations. Drawn from
/// the block cache layer by layer, the sizes differ from stage to stage, the cache fills with
/// blocks of every size, and past its bound it gives the largest up and faults them in again on
/// the next batch (WRN-28-10 at batch 64: 600 MB of page faults per batch). One buffer per pass,
/// grown to the largest need during the first batch, costs that need once.
///
/// Bind one with `ConvolutionWorkspace.$current.withValue(_:)` around a forward pass; one pass
/// at a time uses a workspace. Without one, each call draws from the block cache.
public final class ConvolutionWorkspace: @unchecked Sendable {
    @TaskLocal public static var current: ConvolutionWorkspace?

    /// Floats held now: the largest need seen.
    public private(set) var count = 0
    private var buffer: UnsafeMutablePointer<Float>?

    public init() {}

    deinit {
        if let buffer { AlignedMemory.release(buffer, count: count) }
    }

    /// Consecutive parts of the given sizes, each 64-byte aligned, valid until the next call.
    func parts(_ sizes: [Int]) -> [UnsafeMutablePointer<Float>] {
        let rounded = sizes.map { ($0 + Self.alignmentFloats - 1) / Self.alignmentFloats * Self.alignmentFloats }
        let needed = max(rounded.reduce(0, +), Self.alignmentFloats)
        if needed > count {
            if let buffer { AlignedMemory.release(buffer, count: count) }
            buffer = AlignedMemory.allocate(count: needed)
            count = needed
        }
        var offset = 0
        return rounded.map { size in
            defer { offset += size }
            return buffer! + offset
        }
    }

    /// Buffers of the given sizes for one call: parts of the bound workspace, else from the block
    /// cache. Ask for all of a call's buffers at once: a second call may move the first's parts.
    static func withScratch(_ sizes: [Int], _ body: ([UnsafeMutablePointer<Float>]) -> Void) {
        if let workspace = current {
            body(workspace.parts(sizes))
            return
        }
        let buffers = sizes.map { AlignedMemory.allocate(count: max($0, 1)) }
        defer { for (buffer, size) in zip(buffers, sizes) { AlignedMemory.release(buffer, count: max(size, 1)) } }
        body(buffers)
    }

    private static let alignmentFloats = AlignedMemory.alignment / MemoryLayout<Float>.stride
}
