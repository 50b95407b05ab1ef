/// Dense symmetric positive semi-definite solves by Cholesky, in double precision, for the small
/// systems of the implicit gradient.
enum CholeskySolver {
    /// Pivots below this fraction of the largest diagonal entry count as zero.
    static let relativePivotTolerance = 1e-12

    /// Overwrites `rightHandSide` with x such that A x = b, where A is the row-major size x size
    /// `matrix` (overwritten by its factor). A pivot that vanishes marks a direction A does not
    /// see; its unknown is set to 0 and the rest of the system is solved without it.
    static func solveInPlace(_ matrix: UnsafeMutablePointer<Double>, size: Int, rightHandSide: UnsafeMutablePointer<Double>) {
        var largestDiagonal = 0.0
        for index in 0..<size { largestDiagonal = max(largestDiagonal, matrix[index * size + index]) }
        let tolerance = largestDiagonal * relativePivotTolerance
        // Lower factor L in the lower triangle; a zero diagonal marks a dropped unknown.
        for column in 0..<size {
            var pivot = matrix[column * size + column]
            for inner in 0..<column { pivot -= matrix[column * size + inner] * matrix[column * size + inner] }
            guard pivot > tolerance else {
                for row in column..<size { matrix[row * size + column] = 0 }
                continue
            }
            let root = pivot.squareRoot()
            matrix[column * size + column] = root
            for row in (column + 1)..<size {
                var value = matrix[row * size + column]
                for inner in 0..<column { value -= matrix[row * size + inner] * matrix[column * size + inner] }
                matrix[row * size + column] = value / root
            }
        }
        // L z = b, then L^T x = z.
        for row in 0..<size {
            let diagonal = matrix[row * size + row]
            guard diagonal != 0 else { rightHandSide[row] = 0; continue }
            var value = rightHandSide[row]
            for inner in 0..<row { value -= matrix[row * size + inner] * rightHandSide[inner] }
            rightHandSide[row] = value / diagonal
        }
        for row in stride(from: size - 1, through: 0, by: -1) {
            let diagonal = matrix[row * size + row]
            guard diagonal != 0 else { rightHandSide[row] = 0; continue }
            var value = rightHandSide[row]
            for inner in (row + 1)..<size { value -= matrix[inner * size + row] * rightHandSide[inner] }
            rightHandSide[row] = value / diagonal
        }
    }
}
