import Kernels

/// A reduction seen as (outer, reduced, inner) over a contiguous tensor whose reduced axes have
/// been brought together (by a permutation when they were not adjacent).
struct ReductionLayout {
    let source: Tensor
    let outer: Int
    let reduced: Int
    let inner: Int
    /// The shape of the result with reduced axes kept as size 1, and with them dropped.
    let keptShape: [Int]
    let droppedShape: [Int]

    init(_ tensor: Tensor, axes: [Int], op: String) {
        let rank = tensor.rank
        let resolved = Set(axes.map { Shape.axis($0, rank: rank, op: op) })
        precondition(resolved.count == axes.count, "\(op): repeated axis in \(axes)")
        let sorted = resolved.sorted()
        let shape = tensor.shape
        keptShape = shape.indices.map { resolved.contains($0) ? 1 : shape[$0] }
        droppedShape = shape.indices.filter { !resolved.contains($0) }.map { shape[$0] }
        let plain = tensor.contiguous()
        if let first = sorted.first, let last = sorted.last, last - first + 1 == sorted.count {
            source = plain
            outer = Shape.count(Array(shape[..<first]))
            reduced = Shape.count(Array(shape[first...last]))
            inner = Shape.count(Array(shape[(last + 1)...]))
        } else if sorted.isEmpty {
            source = plain
            outer = Shape.count(shape)
            reduced = 1
            inner = 1
        } else {
            let kept = shape.indices.filter { !resolved.contains($0) }
            source = plain.permutedWithoutGradient(kept + sorted)
            outer = Shape.count(kept.map { shape[$0] })
            reduced = Shape.count(sorted.map { shape[$0] })
            inner = 1
        }
    }

    /// dst[o, i] = sum over k of src[o, k, i].
    func reduceSum(into destination: UnsafeMutablePointer<Float>) {
        let src = source.storage.pointer
        let (outer, reduced, inner) = (outer, reduced, inner)
        if inner == 1 {
            let rowWork = { (range: Range<Int>) in
                for o in range { destination[o] = VectorLoops.sum(src + o * reduced, count: reduced) }
            }
            if outer * reduced < VectorLoops.parallelThreshold { rowWork(0..<outer) }
            else { Parallel.forRanges(outer, minimumChunk: Swift.max(1, VectorLoops.parallelThreshold / Swift.max(reduced, 1)), rowWork) }
            return
        }
        let blockWork = { (o: Int, columns: Range<Int>) in
            let out = destination + o * inner + columns.lowerBound
            out.initialize(repeating: 0, count: columns.count)
            for k in 0..<reduced {
                let row = src + (o * reduced + k) * inner + columns.lowerBound
                VectorLoops.accumulateSerial(row, into: out, count: columns.count)
            }
        }
        if outer * reduced * inner < VectorLoops.parallelThreshold {
            for o in 0..<outer { blockWork(o, 0..<inner) }
        } else if outer >= Threads.count {
            Parallel.forRanges(outer) { range in for o in range { blockWork(o, 0..<inner) } }
        } else {
            for o in 0..<outer {
                Parallel.forRanges(inner, minimumChunk: 256) { columns in blockWork(o, columns) }
            }
        }
    }

    /// dst[o, i] = max over k of src[o, k, i], and the first k attaining it.
    func reduceMax(into destination: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>) {
        let src = source.storage.pointer
        let (outer, reduced, inner) = (outer, reduced, inner)
        Parallel.forRanges(outer * inner, minimumChunk: Swift.max(1, VectorLoops.parallelThreshold / Swift.max(reduced, 1))) { range in
            for position in range {
                let o = position / inner, i = position % inner
                let base = src + o * reduced * inner + i
                var best = base[0], bestIndex = 0
                if best == best {
                    for k in 1..<Swift.max(reduced, 1) {
                        let value = base[k * inner]
                        if value > best || value != value { best = value; bestIndex = k; if value != value { break } }
                    }
                }
                destination[position] = best
                indices[position] = Int32(bestIndex)
            }
        }
    }
}

extension VectorLoops {
    /// accumulator[i] += source[i] on the calling thread only.
    @inlinable
    public static func accumulateSerial(_ source: UnsafePointer<Float>, into accumulator: UnsafeMutablePointer<Float>, count: Int) {
        let width = FloatVector.scalarCount
        var i = 0
        while i + width <= count {
            store(load(accumulator + i) + load(source + i), accumulator + i)
            i += width
        }
        while i < count {
            accumulator[i] += source[i]
            i += 1
        }
    }
}

extension Tensor {
    /// The sum of all elements, as a rank-0 tensor.
    public func sum() -> Tensor { sum(axes: Array(0..<rank)) }

    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(axes: [axis], keepDims: keepDims) }

    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor {
        let layout = ReductionLayout(self, axes: axes, op: "sum")
        let result = Tensor(uninitializedShape: keepDims ? layout.keptShape : layout.droppedShape)
        layout.reduceSum(into: result.storage.pointer)
        return .differentiable("sum", input: self, output: result) { g in
            g.reshaped(layout.keptShape).expanded(to: self.shape).converted(to: self.format)
        }
    }

    public func mean() -> Tensor { mean(axes: Array(0..<rank)) }

    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(axes: [axis], keepDims: keepDims) }

    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor {
        let reduced = ReductionLayout(self, axes: axes, op: "mean").reduced
        return sum(axes: axes, keepDims: keepDims) * (1 / Float(Swift.max(reduced, 1)))
    }

    /// The maximum along axes. The gradient goes to the first position attaining it.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor { max(axes: [axis], keepDims: keepDims) }

    public func max(axes: [Int], keepDims: Bool = false) -> Tensor {
        let layout = ReductionLayout(self, axes: axes, op: "max")
        let shape = keepDims ? layout.keptShape : layout.droppedShape
        let result = Tensor(uninitializedShape: shape)
        var indices = [Int32](repeating: 0, count: result.count)
        indices.withUnsafeMutableBufferPointer { layout.reduceMax(into: result.storage.pointer, indices: $0.baseAddress!) }
        return .differentiable("max", input: self, output: result) { g in
            // Scatter into the (outer, reduced, inner) arrangement, then undo any permutation.
            var scattered = Tensor.zeros(layout.source.shape)
            let gradient = g.contiguous()
            scattered.withUnsafeMutableBufferPointer { out in
                for position in 0..<indices.count {
                    let o = position / layout.inner, i = position % layout.inner
                    out[(o * layout.reduced + Int(indices[position])) * layout.inner + i] = gradient.storage.pointer[position]
                }
            }
            return scattered.undoingReductionPermutation(of: self, axes: axes).converted(to: self.format)
        }
    }

    /// The maximum over all elements.
    public func max() -> Tensor { max(axes: Array(0..<rank)) }

    /// Indices of the maxima along an axis (as floats, exact below 2^24; the first wins ties).
    public func argmax(axis: Int, keepDims: Bool = false) -> Tensor {
        let layout = ReductionLayout(self, axes: [axis], op: "argmax")
        let values = Tensor(uninitializedShape: layout.droppedShape)
        var indices = [Int32](repeating: 0, count: values.count)
        indices.withUnsafeMutableBufferPointer { layout.reduceMax(into: values.storage.pointer, indices: $0.baseAddress!) }
        return Tensor(indices.map(Float.init), shape: keepDims ? layout.keptShape : layout.droppedShape)
    }

    /// log(sum(exp(x))) along axes, computed stably around the maximum.
    public func logSumExp(axes: [Int], keepDims: Bool = false) -> Tensor {
        let layout = ReductionLayout(self, axes: axes, op: "logSumExp")
        let result: Tensor = withoutGradients {
            // Rows whose maximum is infinite or NaN are shifted by 0 so the result stays IEEE-correct.
            let peak = self.max(axes: axes, keepDims: true).mapped { $0.replacing(with: 0, where: .!(VectorMath.abs($0) .< .infinity)) }
            let total = (self - peak).exp().sum(axes: axes, keepDims: true)
            return (total.log() + peak).reshaped(keepDims ? layout.keptShape : layout.droppedShape)
        }
        return .differentiable("logSumExp", input: self, output: result) { g in
            let kept = result.reshaped(layout.keptShape)
            return (g.reshaped(layout.keptShape) * (self - kept).exp()).converted(to: self.format)
        }
    }

    public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor { logSumExp(axes: [axis], keepDims: keepDims) }

    /// Variance along axes, dividing by (n - correction): 1 is the unbiased estimate (PyTorch's
    /// default), 0 the population variance that batch normalisation uses.
    public func variance(axes: [Int], correction: Int = 1, keepDims: Bool = false) -> Tensor {
        let layout = ReductionLayout(self, axes: axes, op: "variance")
        let divisor = Float(Swift.max(layout.reduced - correction, 0))
        let centered: Tensor = withoutGradients { self - self.mean(axes: axes, keepDims: true) }
        let result = withoutGradients { centered.squared().sum(axes: axes, keepDims: keepDims) / divisor }
        return .differentiable("variance", input: self, output: result) { g in
            (g.reshaped(layout.keptShape) * centered * (2 / divisor)).converted(to: self.format)
        }
    }

    public func variance(axis: Int, correction: Int = 1, keepDims: Bool = false) -> Tensor {
        variance(axes: [axis], correction: correction, keepDims: keepDims)
    }

    /// Inverse of the permutation `ReductionLayout` applies for non-adjacent axes.
    fileprivate func undoingReductionPermutation(of original: Tensor, axes: [Int]) -> Tensor {
        let resolved = Set(axes.map { Shape.axis($0, rank: original.rank, op: "max") })
        let sorted = resolved.sorted()
        guard let first = sorted.first, let last = sorted.last, last - first + 1 != sorted.count else {
            return reshaped(original.shape)
        }
        let kept = original.shape.indices.filter { !resolved.contains($0) }
        let permutation = kept + sorted
        let permutedShape = permutation.map { original.shape[$0] }
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (position, axis) in permutation.enumerated() { inverse[axis] = position }
        return reshaped(permutedShape).permutedWithoutGradient(inverse)
    }
}
