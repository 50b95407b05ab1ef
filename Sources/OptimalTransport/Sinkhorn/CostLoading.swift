import Kernels

/// Moves matrices between the caller's row-major memory and the scratch layout (column-major,
/// rows padded to whole vectors), and forms what each domain iterates on from the cost.
enum CostLoading {
    /// Copies an n x m view into `destination` column by column, with `padding` in padding rows.
    static func loadColumns(_ view: MatrixView, rows: Int, columns: Int, paddedRows: Int, padding: Float,
                            into destination: UnsafeMutablePointer<Float>) {
        if view.isColumnMajor {
            for column in 0..<columns {
                let line = destination + column * paddedRows
                line.update(from: view.base + column * view.columnStride, count: rows)
                (line + rows).update(repeating: padding, count: paddedRows - rows)
            }
            return
        }
        if columns == 4 && view.columnStride == 1 {
            var first = 0
            while first < paddedRows {
                let block = FourColumnBlocks.transposed(FourColumnBlocks.loadRows(view, first: first, rows: rows, padding: padding))
                VectorLoops.store(block.0, destination + first)
                VectorLoops.store(block.1, destination + paddedRows + first)
                VectorLoops.store(block.2, destination + 2 * paddedRows + first)
                VectorLoops.store(block.3, destination + 3 * paddedRows + first)
                first += FloatVector.scalarCount
            }
            return
        }
        for row in 0..<rows {
            for column in 0..<columns { destination[column * paddedRows + row] = view[row, column] }
        }
        for column in 0..<columns {
            for row in rows..<paddedRows { destination[column * paddedRows + row] = padding }
        }
    }

    /// Copies the real rows of a column-major padded matrix into an n x m view.
    static func storeRows(_ source: UnsafePointer<Float>, rows: Int, columns: Int, paddedRows: Int,
                          into view: MutableMatrixView) {
        if view.isColumnMajor {
            for column in 0..<columns { (view.base + column * view.columnStride).update(from: source + column * paddedRows, count: rows) }
            return
        }
        if columns == 4 && view.columnStride == 1 {
            var first = 0
            while first < rows {
                let block = (VectorLoops.load(source + first), VectorLoops.load(source + paddedRows + first),
                             VectorLoops.load(source + 2 * paddedRows + first), VectorLoops.load(source + 3 * paddedRows + first))
                FourColumnBlocks.storeRows(FourColumnBlocks.untransposed(block), view, first: first, rows: rows)
                first += FloatVector.scalarCount
            }
            return
        }
        for row in 0..<rows {
            for column in 0..<columns { view.base[row * view.rowStride + column * view.columnStride] = source[column * paddedRows + row] }
        }
    }

    /// Copies the cost into `destination` column by column and returns its smallest and largest
    /// entries. Padding rows hold a copy of a real cost (so the vector minimum and maximum need
    /// no mask) until `formKernel` / `formScaledCost` replace them.
    static func transpose(_ problem: SinkhornProblem, into destination: UnsafeMutablePointer<Float>,
                          paddedRows: Int) -> (minimum: Float, maximum: Float) {
        loadColumns(problem.cost, rows: problem.rows, columns: problem.columns, paddedRows: paddedRows,
                    padding: problem.cost[0, 0], into: destination)
        var minimum = FloatVector(repeating: .infinity), maximum = FloatVector(repeating: -.infinity)
        var start = 0
        while start < paddedRows * problem.columns {
            let values = VectorLoops.load(destination + start)
            minimum = minimum.lanewiseMinimum(values)
            maximum = maximum.lanewiseMaximum(values)
            start += FloatVector.scalarCount
        }
        return (minimum.smallestLane, maximum.largestLane)
    }

    /// In place, K = exp(-(C - shift) / lambda). Padding rows get K = 1, which with their zero
    /// source mass gives alpha = 0 there: they add nothing to K^T alpha and never divide by 0.
    static func formKernel(_ matrix: UnsafeMutablePointer<Float>, rows: Int, paddedRows: Int, columns: Int,
                           shift: Float, lambda: Float) {
        for column in 0..<columns {
            (matrix + column * paddedRows + rows).update(repeating: shift, count: paddedRows - rows)
        }
        TransportKernels.active.formKernel(matrix, count: paddedRows * columns, shift: shift, lambda: lambda)
    }

    /// In place, C~ = (C - shift) / lambda, the cost in units of lambda. Padding rows get 0.
    static func formScaledCost(_ matrix: UnsafeMutablePointer<Float>, rows: Int, paddedRows: Int, columns: Int,
                               shift: Float, lambda: Float) {
        let scale = FloatVector(repeating: 1 / lambda)
        let offset = FloatVector(repeating: shift)
        for column in 0..<columns {
            let line = matrix + column * paddedRows
            for row in rows..<paddedRows { line[row] = shift }
            var start = 0
            while start < paddedRows {
                VectorLoops.store((VectorLoops.load(line + start) - offset) * scale, line + start)
                start += FloatVector.scalarCount
            }
        }
    }

    /// The source masses, zero on padding rows.
    static func sourceMasses(_ problem: SinkhornProblem, into destination: UnsafeMutablePointer<Float>, paddedRows: Int) {
        if let masses = problem.sourceMarginal {
            destination.update(from: masses, count: problem.rows)
        } else {
            destination.update(repeating: 1 / Float(problem.rows), count: problem.rows)
        }
        (destination + problem.rows).update(repeating: 0, count: paddedRows - problem.rows)
    }

    /// The target masses.
    static func targetMasses(_ problem: SinkhornProblem, into destination: UnsafeMutablePointer<Float>) {
        if let masses = problem.targetMarginal {
            destination.update(from: masses, count: problem.columns)
        } else {
            destination.update(repeating: 1 / Float(problem.columns), count: problem.columns)
        }
    }
}
