/// A float matrix somewhere in memory: entry (i, j) is `base[i * rowStride + j * columnStride]`.
///
/// The per-problem kernels read and write through these so that a caller can hand them a block
/// of a larger buffer in place, without copying it out first: row-major blocks (column stride 1,
/// e.g. one class's columns of a (HW, classes x proxies) product) and column-major ones (row
/// stride 1, e.g. M contiguous rows of HW entries of a (classes x proxies, HW) product, which the
/// kernels load fastest since they iterate column by column).
public struct MatrixView {
    public var base: UnsafePointer<Float>
    public var rowStride: Int
    public var columnStride: Int

    public init(_ base: UnsafePointer<Float>, rowStride: Int, columnStride: Int = 1) {
        self.base = base
        self.rowStride = rowStride
        self.columnStride = columnStride
    }

    /// A column-major view: column j is the `rows` contiguous entries at `base + j * columnStride`.
    public init(_ base: UnsafePointer<Float>, columnStride: Int) {
        self.init(base, rowStride: 1, columnStride: columnStride)
    }

    /// True when each column is contiguous.
    var isColumnMajor: Bool { rowStride == 1 && columnStride != 1 }

    @inline(__always)
    subscript(row: Int, column: Int) -> Float { base[row * rowStride + column * columnStride] }
}

/// The writable form of `MatrixView`.
public struct MutableMatrixView {
    public var base: UnsafeMutablePointer<Float>
    public var rowStride: Int
    public var columnStride: Int

    public init(_ base: UnsafeMutablePointer<Float>, rowStride: Int, columnStride: Int = 1) {
        self.base = base
        self.rowStride = rowStride
        self.columnStride = columnStride
    }

    /// A column-major view: column j is the `rows` contiguous entries at `base + j * columnStride`.
    public init(_ base: UnsafeMutablePointer<Float>, columnStride: Int) {
        self.init(base, rowStride: 1, columnStride: columnStride)
    }

    public var readOnly: MatrixView { MatrixView(base, rowStride: rowStride, columnStride: columnStride) }

    var isColumnMajor: Bool { rowStride == 1 && columnStride != 1 }
}
