/// A row-major float matrix somewhere in memory: entry (i, j) is `base[i * rowStride + j]`.
///
/// The per-problem kernels read and write through these so that a caller can hand them a block
/// of a larger buffer in place, for example one class's columns of a (HW, classes x proxies)
/// product, without copying it out first.
public struct MatrixView {
    public var base: UnsafePointer<Float>
    public var rowStride: Int

    public init(_ base: UnsafePointer<Float>, rowStride: Int) {
        self.base = base
        self.rowStride = rowStride
    }
}

/// The writable form of `MatrixView`.
public struct MutableMatrixView {
    public var base: UnsafeMutablePointer<Float>
    public var rowStride: Int

    public init(_ base: UnsafeMutablePointer<Float>, rowStride: Int) {
        self.base = base
        self.rowStride = rowStride
    }

    public var readOnly: MatrixView { MatrixView(base, rowStride: rowStride) }
}
