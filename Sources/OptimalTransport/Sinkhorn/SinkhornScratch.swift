import Kernels

/// The regions of a caller's scratch buffer, for one problem at a time.
///
/// Everything a solve or a backward pass works on lives here while it runs, laid out for SIMD
/// loops over rows: matrices are stored column by column with the rows padded to whole vectors
/// (`paddedRows`, a multiple of 16), so a column is `paddedRows / 16` vector loads and the padding
/// lanes are arranged to carry no mass. Besides the float regions there are a few double
/// vectors for the log domain's potentials (see `withDoubleVectors`). For the sizes the head uses
/// (n <= 64, m = 4) the whole buffer is about 6.5 KB and stays in L1 for all the iterations of the
/// problem.
struct SinkhornScratch {
    static let matrixRegions = 3
    static let rowVectorRegions = 5
    static let columnVectorRegions = 4
    static let doubleRowVectorRegions = 3
    static let doubleColumnVectorRegions = 3

    let base: UnsafeMutablePointer<Float>
    let rows: Int
    let columns: Int
    let paddedRows: Int
    let paddedColumns: Int

    init(_ base: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        self.base = base
        self.rows = rows
        self.columns = columns
        paddedRows = Self.padded(rows)
        paddedColumns = Self.padded(columns)
    }

    static func padded(_ count: Int) -> Int {
        let width = FloatVector.scalarCount
        return (count + width - 1) / width * width
    }

    /// Floats of the float regions, then room for the double regions and for aligning them.
    static func count(rows: Int, columns: Int) -> Int {
        floatCount(paddedRows: padded(rows), paddedColumns: padded(columns), columns: columns)
            + 2 * doubleCount(paddedRows: padded(rows), paddedColumns: padded(columns)) + 2
    }

    private static func floatCount(paddedRows: Int, paddedColumns: Int, columns: Int) -> Int {
        matrixRegions * paddedRows * columns + rowVectorRegions * paddedRows + columnVectorRegions * paddedColumns
    }

    private static func doubleCount(paddedRows: Int, paddedColumns: Int) -> Int {
        doubleRowVectorRegions * paddedRows + doubleColumnVectorRegions * paddedColumns
    }

    /// A column-major paddedRows x columns matrix region, `index` in 0..<3.
    func matrix(_ index: Int) -> UnsafeMutablePointer<Float> {
        base + index * paddedRows * columns
    }

    /// A paddedRows vector region, `index` in 0..<5.
    func rowVector(_ index: Int) -> UnsafeMutablePointer<Float> {
        base + Self.matrixRegions * paddedRows * columns + index * paddedRows
    }

    /// A paddedColumns vector region, `index` in 0..<4.
    func columnVector(_ index: Int) -> UnsafeMutablePointer<Float> {
        base + Self.matrixRegions * paddedRows * columns + Self.rowVectorRegions * paddedRows + index * paddedColumns
    }

    /// The double regions: three paddedRows vectors and three paddedColumns vectors.
    struct DoubleVectors {
        let base: UnsafeMutablePointer<Double>
        let paddedRows: Int
        let paddedColumns: Int

        func row(_ index: Int) -> UnsafeMutablePointer<Double> { base + index * paddedRows }

        func column(_ index: Int) -> UnsafeMutablePointer<Double> {
            base + SinkhornScratch.doubleRowVectorRegions * paddedRows + index * paddedColumns
        }
    }

    /// Runs `body` with the double regions, which follow the float regions at the next 8-byte
    /// boundary and are bound to Double only for the duration of the call.
    func withDoubleVectors<Result>(_ body: (DoubleVectors) -> Result) -> Result {
        let start = base + Self.floatCount(paddedRows: paddedRows, paddedColumns: paddedColumns, columns: columns)
        let aligned = Int(bitPattern: start) % MemoryLayout<Double>.alignment == 0 ? start : start + 1
        let count = Self.doubleCount(paddedRows: paddedRows, paddedColumns: paddedColumns)
        return aligned.withMemoryRebound(to: Double.self, capacity: count) { doubles in
            body(DoubleVectors(base: doubles, paddedRows: paddedRows, paddedColumns: paddedColumns))
        }
    }
}
