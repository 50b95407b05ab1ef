import Kernels
import ModelGraph

extension Tensor {
    /// The same elements in row-major order under a new shape; one dimension may be -1.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let hole = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != hole }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0,
                         "reshaped: cannot infer -1 in \(Shape.describe(newShape)) for \(count) elements")
            resolved[hole] = count / known
        }
        precondition(Shape.count(resolved) == count,
                     "reshaped: shape \(Shape.describe(shape)) (\(count) elements) cannot become \(Shape.describe(newShape))")
        if resolved == shape { return self }
        let plain = contiguous()
        let output = Tensor(shape: resolved, storage: plain.storage)
        return .differentiable("reshaped", input: plain, output: output) { $0.reshaped(plain.shape) }
    }

    /// Collapses the axes from `startAxis` on into one.
    public func flattened(startAxis: Int = 1) -> Tensor {
        let start = Shape.axis(startAxis, rank: rank, op: "flattened")
        let flat = { reshaped(Array(shape[..<start]) + [Shape.count(Array(shape[start...]))]) }
        return start == 1 ? Tensor.traced(.flatten, [self], compute: flat) : flat()
    }

    /// Inserts a size-1 axis.
    public func expandingShape(at axis: Int) -> Tensor {
        let position = axis < 0 ? axis + rank + 1 : axis
        precondition(position >= 0 && position <= rank, "expandingShape: axis \(axis) out of range for rank \(rank)")
        var newShape = shape
        newShape.insert(1, at: position)
        return reshaped(newShape)
    }

    /// Removes size-1 axes (all of them, or the ones given).
    public func squeezed(axes: [Int]? = nil) -> Tensor {
        let drop = Set((axes ?? shape.indices.filter { shape[$0] == 1 }).map { Shape.axis($0, rank: rank, op: "squeezed") })
        for axis in drop { precondition(shape[axis] == 1, "squeezed: axis \(axis) has size \(shape[axis]), not 1") }
        return reshaped(shape.indices.filter { !drop.contains($0) }.map { shape[$0] })
    }

    /// Axes reordered: result axis i is input axis `permutation[i]`.
    public func permuted(_ permutation: [Int]) -> Tensor {
        let output = permutedWithoutGradient(permutation)
        var inverse = [Int](repeating: 0, count: permutation.count)
        for (position, axis) in permutation.enumerated() { inverse[axis] = position }
        return .differentiable("permuted", input: self, output: output) { g in
            g.permutedWithoutGradient(inverse).converted(to: self.format)
        }
    }

    /// Swaps two axes (the last two by default: the matrix transpose).
    public func transposed(_ first: Int = -2, _ second: Int = -1) -> Tensor {
        var permutation = Array(0..<rank)
        permutation.swapAt(Shape.axis(first, rank: rank, op: "transposed"), Shape.axis(second, rank: rank, op: "transposed"))
        return permuted(permutation)
    }

    func permutedWithoutGradient(_ permutation: [Int]) -> Tensor {
        precondition(permutation.sorted() == Array(0..<rank),
                     "permuted: \(permutation) is not a permutation of the axes of \(Shape.describe(shape))")
        let source = contiguous()
        if permutation == Array(0..<rank) { return source.detached() }
        let newShape = permutation.map { shape[$0] }
        let result = Tensor(uninitializedShape: newShape)
        let sourceStrides = Shape.strides(shape)
        // Merge the permutation into (batch, rows, columns) when it is a batched 2-D transpose.
        if let last = permutation.last, permutation.dropLast(2) == Array(0..<(rank - 2)),
           permutation[rank - 2] == rank - 1, last == rank - 2 {
            let rows = shape[rank - 2], columns = shape[rank - 1]
            Transpose.batched(source.storage.pointer, batch: count / Swift.max(rows * columns, 1), rows: rows, columns: columns,
                              into: result.storage.pointer)
            return result
        }
        let strides = permutation.map { sourceStrides[$0] }
        let inner = newShape.last ?? 1, innerStride = strides.last ?? 1
        let rows = count / Swift.max(inner, 1)
        let src = source.storage.pointer, dst = result.storage.pointer
        let outerShape = Array(newShape.dropLast()), outerStrides = Array(strides.dropLast())
        Parallel.forRanges(rows, minimumChunk: Swift.max(1, 4096 / Swift.max(inner, 1))) { range in
            var outer = StridedOdometer(shape: outerShape, strides: outerStrides, startingAt: range.lowerBound)
            for row in range {
                let out = dst + row * inner, offset = outer.offset
                for i in 0..<inner { out[i] = src[offset + i * innerStride] }
                outer.advance()
            }
        }
        return result
    }

    /// Elements `range` along `axis`.
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = Shape.axis(axis, rank: rank, op: "sliced")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis],
                     "sliced: range \(range) is outside axis \(axis) of size \(shape[axis])")
        let source = contiguous()
        var newShape = shape
        newShape[axis] = range.count
        let outer = Shape.count(Array(shape[..<axis])), inner = Shape.count(Array(shape[(axis + 1)...]))
        let result = Tensor(uninitializedShape: newShape)
        let rowIn = shape[axis] * inner, rowOut = range.count * inner
        for o in 0..<outer {
            (result.storage.pointer + o * rowOut).update(from: source.storage.pointer + o * rowIn + range.lowerBound * inner, count: rowOut)
        }
        return .differentiable("sliced", input: self, output: result) { g in
            var full = Tensor.zeros(self.shape)
            let gradient = g.contiguous()
            full.withUnsafeMutableBufferPointer { out in
                for o in 0..<outer {
                    (out.baseAddress! + o * rowIn + range.lowerBound * inner).update(from: gradient.storage.pointer + o * rowOut, count: rowOut)
                }
            }
            return full.converted(to: self.format)
        }
    }

    /// Joins tensors along an existing axis; all other dimensions must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate: needs at least one tensor")
        let first = tensors[0]
        let axis = Shape.axis(axis, rank: first.rank, op: "concatenate")
        for tensor in tensors {
            var a = tensor.shape, b = first.shape
            precondition(a.count == b.count, "concatenate: ranks differ: \(Shape.describe(first.shape)) and \(Shape.describe(tensor.shape))")
            a[axis] = 0; b[axis] = 0
            precondition(a == b, "concatenate: shapes \(Shape.describe(first.shape)) and \(Shape.describe(tensor.shape)) differ off axis \(axis)")
        }
        let sizes = tensors.map { $0.shape[axis] }
        var newShape = first.shape
        newShape[axis] = sizes.reduce(0, +)
        let outer = Shape.count(Array(first.shape[..<axis])), inner = Shape.count(Array(first.shape[(axis + 1)...]))
        let result = Tensor(uninitializedShape: newShape)
        let rowOut = newShape[axis] * inner
        var offset = 0
        for tensor in tensors {
            let source = tensor.contiguous()
            let rowIn = tensor.shape[axis] * inner
            for o in 0..<outer {
                (result.storage.pointer + o * rowOut + offset).update(from: source.storage.pointer + o * rowIn, count: rowIn)
            }
            offset += rowIn
        }
        return .differentiable("concatenate", inputs: tensors, output: result) { g, needs in
            var start = 0
            return zip(sizes, needs).map { size, needed in
                defer { start += size }
                return needed ? g.sliced(axis: axis, start..<(start + size)) : nil
            }
        }
    }

    /// Joins equally shaped tensors along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack: needs at least one tensor")
        return concatenate(tensors.map { $0.expandingShape(at: axis) }, axis: axis)
    }
}
