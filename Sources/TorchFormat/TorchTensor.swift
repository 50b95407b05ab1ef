/// One tensor as read from a torch.save file, contiguous (row-major): floating-point types as
/// Float32, integer types and bool as Int64; `dtype` records the type it was stored as.
public struct TorchTensor: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case floats([Float])
        case integers([Int64])
    }

    public let dtype: TorchDType
    public let shape: [Int]
    public let values: Values

    public init(dtype: TorchDType, shape: [Int], values: Values) {
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }

    /// The values as Float32, whatever the stored type.
    public var floats: [Float] {
        switch values {
        case .floats(let floats): return floats
        case .integers(let integers): return integers.map(Float.init)
        }
    }
}
