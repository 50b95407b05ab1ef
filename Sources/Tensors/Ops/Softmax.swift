import Kernels

extension Tensor {
    /// exp(x) / sum(exp(x)) along an axis.
    public func softmax(axis: Int = -1) -> Tensor {
        let y = withoutGradients { softmaxValues(axis: axis) }
        return .differentiable("softmax", input: self, output: y) { g in
            let dot = (g * y).sum(axis: axis, keepDims: true)
            return (y * (g - dot)).converted(to: self.format)
        }
    }

    /// x - logSumExp(x) along an axis.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let y: Tensor = withoutGradients { self - logSumExp(axis: axis, keepDims: true) }
        return .differentiable("logSoftmax", input: self, output: y) { g in
            (g - y.exp() * g.sum(axis: axis, keepDims: true)).converted(to: self.format)
        }
    }

    /// Row softmax with one pass per row for the common last-axis case.
    private func softmaxValues(axis: Int) -> Tensor {
        let resolved = Shape.axis(axis, rank: rank, op: "softmax")
        guard resolved == rank - 1 else {
            let shifted = self - self.max(axis: resolved, keepDims: true)
            let e = shifted.exp()
            return e / e.sum(axis: resolved, keepDims: true)
        }
        let source = contiguous()
        let columns = shape.last ?? 1
        let rows = count / Swift.max(columns, 1)
        let result = Tensor(uninitializedShape: shape)
        let src = source.storage.pointer, dst = result.storage.pointer
        Parallel.forRanges(rows, minimumChunk: Swift.max(1, 8192 / Swift.max(columns, 1))) { range in
            for row in range {
                Softmax.row(src + row * columns, dst + row * columns, count: columns)
            }
        }
        return result
    }
}

/// Single-row softmax kernels shared by the tensor ops and the fused losses.
public enum Softmax {
    /// out = softmax(x) over `count` elements; returns log(sum(exp(x - max))) + max.
    @inlinable @discardableResult
    public static func row(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) -> Float {
        let peak = VectorLoops.max(x, count: count)
        let shift = peak.isFinite ? peak : 0
        let width = FloatVector.scalarCount
        var total = FloatVector()
        var i = 0
        while i + width <= count {
            let e = VectorMath.exp(VectorLoops.load(x + i) - shift)
            VectorLoops.store(e, out + i)
            total += e
            i += width
        }
        if i < count {
            let rest = count - i
            var e = VectorMath.exp(VectorLoops.loadPartial(x + i, rest) - shift)
            for lane in rest..<width { e[lane] = 0 }
            VectorLoops.storePartial(e, out + i, rest)
            total += e
        }
        let sum = VectorMath.sum(total)
        let inverse = 1 / sum
        i = 0
        while i + width <= count {
            VectorLoops.store(VectorLoops.load(out + i) * inverse, out + i)
            i += width
        }
        while i < count {
            out[i] *= inverse
            i += 1
        }
        return ScalarMath.log(sum) + shift
    }
}

