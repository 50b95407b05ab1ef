import Kernels

/// Elementwise iteration over two operands broadcast to a common shape (NumPy rules).
///
/// Size-1 axes are dropped and adjacent axes that are contiguous in both operands are merged, so
/// common cases become a flat loop (same shape), a row against a vector ([N, C] + [C]) or a block
/// against a scalar per block ([N, C, H, W] * [1, C, 1, 1]).
@usableFromInline
struct BroadcastPlan {
    @usableFromInline var sizes: [Int] = []
    @usableFromInline var stridesA: [Int] = []
    @usableFromInline var stridesB: [Int] = []

    @usableFromInline
    init(output: [Int], a: [Int], b: [Int]) {
        let rank = output.count
        let paddedA = [Int](repeating: 1, count: rank - a.count) + a
        let paddedB = [Int](repeating: 1, count: rank - b.count) + b
        let rowA = Shape.strides(paddedA), rowB = Shape.strides(paddedB)
        for axis in 0..<rank where output[axis] != 1 {
            let strideA = paddedA[axis] == 1 ? 0 : rowA[axis]
            let strideB = paddedB[axis] == 1 ? 0 : rowB[axis]
            if let last = sizes.indices.last,
               stridesA[last] == strideA * output[axis], stridesB[last] == strideB * output[axis] {
                sizes[last] *= output[axis]
                stridesA[last] = strideA
                stridesB[last] = strideB
            } else {
                sizes.append(output[axis])
                stridesA.append(strideA)
                stridesB.append(strideB)
            }
        }
    }

    /// out[i] = f(a[ia], b[ib]) over the whole broadcast shape.
    @inlinable
    func apply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
               _ f: (FloatVector, FloatVector) -> FloatVector) {
        let inner = sizes.last ?? 1
        let innerA = stridesA.last ?? 0, innerB = stridesB.last ?? 0
        let total = sizes.reduce(1, *)
        let rows = total / max(inner, 1)
        let outerSizes = Array(sizes.dropLast()), outerA = Array(stridesA.dropLast()), outerB = Array(stridesB.dropLast())
        let grain = max(1, VectorLoops.parallelThreshold / max(inner, 1))
        withoutActuallyEscaping(f) { f in
        let work = { (range: Range<Int>) in
            var index = [Int](repeating: 0, count: outerSizes.count)
            var remainder = range.lowerBound
            var offsetA = 0, offsetB = 0
            for axis in stride(from: outerSizes.count - 1, through: 0, by: -1) {
                index[axis] = remainder % outerSizes[axis]
                remainder /= outerSizes[axis]
                offsetA += index[axis] * outerA[axis]
                offsetB += index[axis] * outerB[axis]
            }
            for row in range {
                BroadcastPlan.row(a + offsetA, innerA, b + offsetB, innerB, out + row * inner, inner, f)
                var axis = outerSizes.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    offsetA += outerA[axis]
                    offsetB += outerB[axis]
                    if index[axis] < outerSizes[axis] { break }
                    offsetA -= outerA[axis] * outerSizes[axis]
                    offsetB -= outerB[axis] * outerSizes[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
        if total < VectorLoops.parallelThreshold { work(0..<rows) } else { Parallel.forRanges(rows, minimumChunk: grain, work) }
        }
    }

    @inlinable @inline(__always)
    static func row(_ a: UnsafePointer<Float>, _ strideA: Int, _ b: UnsafePointer<Float>, _ strideB: Int,
                    _ out: UnsafeMutablePointer<Float>, _ count: Int, _ f: (FloatVector, FloatVector) -> FloatVector) {
        let width = FloatVector.scalarCount
        let scalarA = FloatVector(repeating: a[0]), scalarB = FloatVector(repeating: b[0])
        var i = 0
        while i + width <= count {
            let x = strideA == 0 ? scalarA : VectorLoops.load(a + i)
            let y = strideB == 0 ? scalarB : VectorLoops.load(b + i)
            VectorLoops.store(f(x, y), out + i)
            i += width
        }
        if i < count {
            let rest = count - i
            let x = strideA == 0 ? scalarA : VectorLoops.loadPartial(a + i, rest)
            let y = strideB == 0 ? scalarB : VectorLoops.loadPartial(b + i, rest)
            VectorLoops.storePartial(f(x, y), out + i, rest)
        }
    }
}

extension Tensor {
    /// f applied elementwise after broadcasting; the result is contiguous unless both operands
    /// share shape and format. Not recorded by autodiff.
    @inlinable
    public func broadcasted(with other: Tensor, op: String, _ f: (FloatVector, FloatVector) -> FloatVector) -> Tensor {
        if shape == other.shape && format == other.format { return zipped(other, f) }
        guard let output = Shape.broadcast(shape, other.shape) else {
            preconditionFailure("\(op): shapes \(Shape.describe(shape)) and \(Shape.describe(other.shape)) do not broadcast")
        }
        let a = contiguous(), b = other.contiguous()
        let result = Tensor(uninitializedShape: output)
        BroadcastPlan(output: output, a: a.shape, b: b.shape).apply(a.storage.pointer, b.storage.pointer, result.storage.pointer, f)
        return result
    }

    /// Sums a broadcast gradient back down to `target` (the shape of the operand it belongs to).
    public func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let extra = rank - target.count
        precondition(extra >= 0, "summed(toShape:): cannot reduce \(Shape.describe(shape)) to \(Shape.describe(target))")
        var axes = Array(0..<extra)
        for (i, size) in target.enumerated() where size == 1 && shape[extra + i] != 1 { axes.append(extra + i) }
        return sum(axes: axes).reshaped(target)
    }

    /// This tensor broadcast to a larger shape, materialised. Differentiable.
    public func expanded(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(Shape.broadcast(shape, target) == target,
                     "expanded(to:): \(Shape.describe(shape)) does not broadcast to \(Shape.describe(target))")
        let source = contiguous()
        let result = Tensor(uninitializedShape: target)
        let zero = Tensor(0)
        BroadcastPlan(output: target, a: source.shape, b: []).apply(source.storage.pointer, zero.storage.pointer, result.storage.pointer) { x, _ in x }
        return .differentiable("expanded", input: self, output: result) { $0.summed(toShape: self.shape) }
    }
}
