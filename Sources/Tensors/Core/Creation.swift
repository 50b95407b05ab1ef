import Kernels

extension Tensor {
    public static func zeros(_ shape: [Int], format: MemoryFormat = .contiguous) -> Tensor {
        full(shape, 0, format: format)
    }

    public static func ones(_ shape: [Int], format: MemoryFormat = .contiguous) -> Tensor {
        full(shape, 1, format: format)
    }

    public static func full(_ shape: [Int], _ value: Float, format: MemoryFormat = .contiguous) -> Tensor {
        Tensor(shape: shape, storage: TensorStorage(repeating: value, count: Shape.count(shape)), format: format)
    }

    /// zeros/ones/full with the shape and format of another tensor.
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape, format: other.format) }
    public static func full(like other: Tensor, _ value: Float) -> Tensor { full(other.shape, value, format: other.format) }

    /// 0, 1, ..., count - 1 as a vector; or `start, start + step, ...` below `end`.
    public static func arange(_ count: Int) -> Tensor {
        arange(from: 0, to: Float(count), step: 1)
    }

    public static func arange(from start: Float, to end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange: step must not be zero")
        let count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor((0..<count).map { start + Float($0) * step }, shape: [count])
    }

    /// Normal samples from the project's seeded generator.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                                    generator: inout RandomGenerator) -> Tensor {
        var result = Tensor(uninitializedShape: shape)
        result.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = mean + standardDeviation * generator.nextNormal() }
        }
        return result
    }

    /// Uniform samples in [lower, upper) from the project's seeded generator.
    public static func randomUniform(_ shape: [Int], lower: Float = 0, upper: Float = 1,
                                     generator: inout RandomGenerator) -> Tensor {
        var result = Tensor(uninitializedShape: shape)
        result.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = lower + (upper - lower) * generator.nextUniform() }
        }
        return result
    }
}
