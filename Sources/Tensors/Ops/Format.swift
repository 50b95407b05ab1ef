import Kernels
import ModelGraph

extension Tensor {
    /// The same tensor with its elements in row-major order; free when already contiguous.
    public func contiguous() -> Tensor {
        converted(to: .contiguous)
    }

    /// The same tensor with its elements in the given memory order. Differentiable.
    public func converted(to target: MemoryFormat) -> Tensor {
        if format == target { return self }
        let output = reordered(to: target)
        return tracedAlias(.differentiable("converted(to:)", input: self, output: output) { gradient in
            gradient.reordered(to: self.format)
        })
    }

    /// Element reorder between contiguous NCHW and channels-last NHWC, without autodiff.
    func reordered(to target: MemoryFormat) -> Tensor {
        if format == target { return detached() }
        precondition(rank == 4, "converted(to:): memory formats differ only for rank-4 tensors, shape is \(Shape.describe(shape))")
        let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
        let result = Tensor(uninitializedShape: shape, format: target)
        if target == .channelsLast {
            Transpose.batched(storage.pointer, batch: n, rows: c, columns: hw, into: result.storage.pointer)
        } else {
            Transpose.batched(storage.pointer, batch: n, rows: hw, columns: c, into: result.storage.pointer)
        }
        return result
    }
}

extension Tensor {
    /// An (N, C, H, W) tensor's feature vectors as a contiguous (N, H·W, C) tensor: row j of
    /// sample n is the C-vector at spatial position j (row-major over H, W). This is exactly the
    /// channels-last memory, so no copy is made when the tensor is already channels-last.
    public func spatialVectors() -> Tensor {
        precondition(rank == 4, "spatialVectors: needs (N, C, H, W), got \(Shape.describe(shape))")
        let source = converted(to: .channelsLast)
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let output = Tensor(shape: [n, h * w, c], storage: source.storage)
        return .differentiable("spatialVectors", input: source, output: output) { g in
            Tensor(shape: [n, c, h, w], storage: g.contiguous().storage, format: .channelsLast)
        }
    }
}
