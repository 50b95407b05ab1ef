/// Out-of-place matrix transposition in cache-sized tiles.
public enum Transpose {
    /// destination (columns x rows) = transpose of source (rows x columns), both row-major.
    @inlinable
    public static func matrix(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into destination: UnsafeMutablePointer<Float>) {
        let tile = 32
        var r0 = 0
        while r0 < rows {
            let r1 = min(rows, r0 + tile)
            var c0 = 0
            while c0 < columns {
                let c1 = min(columns, c0 + tile)
                for r in r0..<r1 {
                    let line = source + r * columns
                    for c in c0..<c1 { destination[c * rows + r] = line[c] }
                }
                c0 = c1
            }
            r0 = r1
        }
    }

    /// Transposes `batch` stacked matrices, in parallel across the batch.
    @inlinable
    public static func batched(_ source: UnsafePointer<Float>, batch: Int, rows: Int, columns: Int,
                               into destination: UnsafeMutablePointer<Float>) {
        let size = rows * columns
        if batch == 1 || size * batch < VectorLoops.parallelThreshold {
            for b in 0..<batch { matrix(source + b * size, rows: rows, columns: columns, into: destination + b * size) }
            return
        }
        Parallel.forRanges(batch) { range in
            for b in range { matrix(source + b * size, rows: rows, columns: columns, into: destination + b * size) }
        }
    }
}
