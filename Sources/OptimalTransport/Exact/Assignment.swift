/// Minimum-cost perfect matching of a square cost matrix: the exact transport plan between two
/// uniform distributions of the same size (by Birkhoff's theorem an optimal plan is a permutation
/// scaled by 1/n).
///
/// The shortest-augmenting-path form of the Hungarian method, as in Jonker and Volgenant: rows
/// enter one at a time, and each entry runs a Dijkstra-like search over reduced costs
/// c_ij - u_i - v_j >= 0 for the cheapest alternating path to a free column, updating the dual
/// potentials so reduced costs stay non-negative, then flips the path. O(n^3) in the worst case,
/// exact in double precision.
public enum Assignment {
    /// For a size x size row-major `cost`, the column assigned to each row.
    public static func minimumCost(cost: [Double], size: Int) -> [Int] {
        precondition(cost.count == size * size, "Assignment: \(cost.count) costs do not fill \(size) x \(size)")
        guard size > 0 else { return [] }
        // Columns are numbered 1...size; column 0 is a virtual column that holds the row being
        // inserted, so a search always starts from "column 0 matched to the new row".
        var rowPotential = [Double](repeating: 0, count: size + 1)
        var columnPotential = [Double](repeating: 0, count: size + 1)
        var rowOfColumn = [Int](repeating: 0, count: size + 1)
        var cameFrom = [Int](repeating: 0, count: size + 1)
        var slack = [Double](repeating: 0, count: size + 1)
        var reached = [Bool](repeating: false, count: size + 1)
        for newRow in 1...size {
            rowOfColumn[0] = newRow
            for column in 0...size {
                slack[column] = .infinity
                reached[column] = false
            }
            var column = 0
            repeat {
                reached[column] = true
                let row = rowOfColumn[column]
                var step = Double.infinity, closest = 0
                for candidate in 1...size where !reached[candidate] {
                    let reduced = cost[(row - 1) * size + candidate - 1] - rowPotential[row] - columnPotential[candidate]
                    if reduced < slack[candidate] {
                        slack[candidate] = reduced
                        cameFrom[candidate] = column
                    }
                    if slack[candidate] < step {
                        step = slack[candidate]
                        closest = candidate
                    }
                }
                for other in 0...size {
                    if reached[other] {
                        rowPotential[rowOfColumn[other]] += step
                        columnPotential[other] -= step
                    } else {
                        slack[other] -= step
                    }
                }
                column = closest
            } while rowOfColumn[column] != 0
            // Flip the alternating path back to the virtual column.
            while column != 0 {
                let previous = cameFrom[column]
                rowOfColumn[column] = rowOfColumn[previous]
                column = previous
            }
        }
        var assignment = [Int](repeating: 0, count: size)
        for column in 1...size { assignment[rowOfColumn[column] - 1] = column - 1 }
        return assignment
    }
}
