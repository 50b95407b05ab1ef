import Kernels

/// Moves 16 x 4 blocks between row-major memory (rows of four floats at any stride) and four
/// column vectors, with whole-vector shuffles instead of 64 scalar moves.
///
/// For m = 4 (the head's proxies) every problem is loaded and stored this way several times per
/// forward and backward, which would otherwise cost more than a few Sinkhorn iterations.
enum FourColumnBlocks {
    typealias Block = (FloatVector, FloatVector, FloatVector, FloatVector)

    /// Transposes a 16 x 4 block held as four vectors of four consecutive rows each (64 floats in
    /// row-major order) into its four columns, by two rounds of even/odd lane selection.
    @inline(__always)
    static func transposed(_ block: Block) -> Block {
        let evens01 = evenLanes(block.0, block.1), odds01 = oddLanes(block.0, block.1)
        let evens23 = evenLanes(block.2, block.3), odds23 = oddLanes(block.2, block.3)
        return (evenLanes(evens01, evens23), evenLanes(odds01, odds23), oddLanes(evens01, evens23), oddLanes(odds01, odds23))
    }

    /// The even lanes of `first` then those of `second`. Written as a lane loop that the
    /// compiler turns into one two-source permute; the standard library's `SIMD32.evenHalf`
    /// does the same but is not reliably inlined, and then costs a call and scalar moves.
    @inline(__always)
    static func evenLanes(_ first: FloatVector, _ second: FloatVector) -> FloatVector {
        var result = FloatVector()
        for lane in 0..<8 {
            result[lane] = first[2 * lane]
            result[lane + 8] = second[2 * lane]
        }
        return result
    }

    /// The odd lanes of `first` then those of `second`.
    @inline(__always)
    static func oddLanes(_ first: FloatVector, _ second: FloatVector) -> FloatVector {
        var result = FloatVector()
        for lane in 0..<8 {
            result[lane] = first[2 * lane + 1]
            result[lane + 8] = second[2 * lane + 1]
        }
        return result
    }

    /// The inverse of `transposed`: columns back to rows. The 64-element permutation is a
    /// rotation of the index bits by two places, whose inverse is itself applied twice.
    @inline(__always)
    static func untransposed(_ columns: Block) -> Block {
        transposed(transposed(columns))
    }

    /// Rows first..<first+16 (those below `rows`; `padding` beyond) as four row-major vectors.
    @inline(__always)
    static func loadRows(_ view: MatrixView, first: Int, rows: Int, padding: Float) -> Block {
        func line(_ index: Int) -> SIMD4<Float> {
            let row = first + index
            guard row < rows else { return SIMD4(repeating: padding) }
            return UnsafeRawPointer(view.base + row * view.rowStride).loadUnaligned(as: SIMD4<Float>.self)
        }
        func vector(_ start: Int) -> FloatVector {
            FloatVector(lowHalf: SIMD8(lowHalf: line(start), highHalf: line(start + 1)),
                        highHalf: SIMD8(lowHalf: line(start + 2), highHalf: line(start + 3)))
        }
        return (vector(0), vector(4), vector(8), vector(12))
    }

    /// Writes the rows of a row-major block below `rows` to the view.
    @inline(__always)
    static func storeRows(_ block: Block, _ view: MutableMatrixView, first: Int, rows: Int) {
        func store(_ line: SIMD4<Float>, _ index: Int) {
            let row = first + index
            guard row < rows else { return }
            UnsafeMutableRawPointer(view.base + row * view.rowStride).storeBytes(of: line, as: SIMD4<Float>.self)
        }
        func store(_ vector: FloatVector, _ index: Int) {
            store(vector.lowHalf.lowHalf, index)
            store(vector.lowHalf.highHalf, index + 1)
            store(vector.highHalf.lowHalf, index + 2)
            store(vector.highHalf.highHalf, index + 3)
        }
        store(block.0, 0)
        store(block.1, 4)
        store(block.2, 8)
        store(block.3, 12)
    }
}
