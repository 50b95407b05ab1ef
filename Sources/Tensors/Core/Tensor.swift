import Kernels

/// An n-dimensional array of `Float` with value semantics and reverse-mode autodiff.
///
/// Copies share storage until one of them writes (copy-on-write). A tensor that takes part in a
/// differentiable computation carries a node of the autodiff graph; see `requiringGradient()`,
/// `backward()` and `gradients(of:withRespectTo:)`.
public struct Tensor: @unchecked Sendable {
    /// The logical shape, outermost axis first (NCHW for images).
    public let shape: [Int]
    /// How the elements are ordered in memory.
    public let format: MemoryFormat
    public internal(set) var storage: TensorStorage
    /// The autodiff node, for tensors that require a gradient.
    var node: GradientNode?

    /// Wraps existing storage. The storage must hold exactly the shape's element count.
    public init(shape: [Int], storage: TensorStorage, format: MemoryFormat = .contiguous) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(Shape.describe(shape))")
        precondition(Shape.count(shape) == storage.count,
                     "Tensor: shape \(Shape.describe(shape)) needs \(Shape.count(shape)) elements, storage has \(storage.count)")
        precondition(format == .contiguous || shape.count == 4, "Tensor: channels-last needs rank 4, got \(Shape.describe(shape))")
        self.shape = shape
        self.storage = storage
        self.format = format
    }

    /// A tensor with the given elements in row-major order.
    public init(_ scalars: [Float], shape: [Int]) {
        precondition(Shape.count(shape) == scalars.count,
                     "Tensor: \(scalars.count) scalars do not fill shape \(Shape.describe(shape))")
        let storage = TensorStorage(uninitializedCount: scalars.count)
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { storage.pointer.update(from: base, count: scalars.count) }
        }
        self.init(shape: shape, storage: storage)
    }

    /// A rank-0 tensor.
    public init(_ scalar: Float) {
        self.init([scalar], shape: [])
    }

    /// An uninitialised tensor, for ops that write every element.
    public init(uninitializedShape shape: [Int], format: MemoryFormat = .contiguous) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: Shape.count(shape)), format: format)
    }

    public var rank: Int { shape.count }
    public var count: Int { storage.count }

    /// The elements in memory order (row-major for contiguous tensors).
    public var scalars: [Float] {
        let tensor = contiguous()
        return Array(UnsafeBufferPointer(start: tensor.storage.pointer, count: tensor.count))
    }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "Tensor.item: needs exactly one element, shape is \(Shape.describe(shape))")
        return storage.pointer[0]
    }

    /// Reads the elements in memory order without copying.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Writes the elements in place, first copying storage that other tensors share. The autodiff
    /// node is kept: this is how optimizers update parameters.
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// True when the storage is not shared with another tensor.
    public mutating func isUniquelyReferenced() -> Bool {
        isKnownUniquelyReferenced(&storage)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(Shape.describe(shape)), [\(preview)\(count > 8 ? ", ..." : "")])"
    }
}
