/// Exact optimal transport between two discrete distributions by the network simplex method on
/// the bipartite transportation graph (rows supply, columns demand, one arc per cell).
///
/// A basis is a spanning tree of n + m - 1 cells. Each pivot computes the dual potentials
/// (u_i + v_j = C_ij on tree cells), prices every cell by its reduced cost C_ij - u_i - v_j, brings
/// the most negative one into the tree, pushes flow around the cycle it closes, and drops the
/// first cell that empties. The start is the north-west corner rule, which yields a spanning
/// tree even when it is degenerate.
///
/// Transport problems with uniform marginals are highly degenerate, and Dantzig's most-negative
/// rule can then cycle through zero-flow pivots. After n + m degenerate pivots in a row the
/// solver switches to Bland's rule (lowest-index entering cell, lowest-index leaving cell among
/// ties), which cannot cycle, and returns to Dantzig's rule after the next pivot that moves flow.
/// Everything is double precision; each pivot costs O(n m) for pricing, so this is meant for
/// problems of up to a few hundred points per side.
public enum NetworkSimplex {
    /// Reduced costs above -tolerance * max(1, max |C|) count as non-negative (optimal).
    static let relativeOptimalityTolerance = 1e-12
    /// Pivots that move less flow than this count as degenerate.
    static let degenerateFlow = 1e-14

    /// The minimum-cost plan (row-major rows x columns) moving `supply` (rows entries) to
    /// `demand` (columns entries). Both must be non-negative with equal sums.
    public static func solve(cost: [Double], rows: Int, columns: Int, supply: [Double], demand: [Double]) -> [Double] {
        precondition(cost.count == rows * columns && supply.count == rows && demand.count == columns && rows > 0 && columns > 0,
                     "NetworkSimplex: \(cost.count) costs, \(supply.count) supplies and \(demand.count) demands do not describe a \(rows) x \(columns) problem")
        var tree = TransportTree(cost: cost, rows: rows, columns: columns, supply: supply, demand: demand)
        let tolerance = relativeOptimalityTolerance * max(1, cost.reduce(0) { max($0, abs($1)) })
        var degenerateStreak = 0
        while true {
            tree.rebuild()
            let useBland = degenerateStreak > rows + columns
            guard let entering = tree.enteringCell(tolerance: tolerance, firstImproving: useBland) else { break }
            let moved = tree.pivot(entering: entering)
            degenerateStreak = moved <= degenerateFlow ? degenerateStreak + 1 : 0
        }
        return tree.plan()
    }
}

/// The spanning-tree basis of a transportation problem and the structures a pivot needs.
struct TransportTree {
    let cost: [Double]
    let rows: Int
    let columns: Int
    /// Basis cells (row * columns + column) and their flows, by slot.
    var cells: [Int] = []
    var flows: [Double] = []
    /// Rooted tree over nodes 0..<rows (rows) and rows..<rows+columns (columns), rebuilt from
    /// the basis before each pricing: parent node, the slot of the cell to it, depth, potential.
    var parent: [Int]
    var parentSlot: [Int]
    var depth: [Int]
    var potential: [Double]
    /// Adjacency lists of the basis (two directed edges per cell) and the search queue.
    var firstEdge: [Int]
    var nextEdge: [Int]
    var edgeNode: [Int]
    var queue: [Int]
    var rowSide: [Int] = []
    var columnSide: [Int] = []

    init(cost: [Double], rows: Int, columns: Int, supply: [Double], demand: [Double]) {
        self.cost = cost
        self.rows = rows
        self.columns = columns
        let nodes = rows + columns
        parent = Array(repeating: -1, count: nodes)
        parentSlot = Array(repeating: -1, count: nodes)
        depth = Array(repeating: 0, count: nodes)
        potential = Array(repeating: 0, count: nodes)
        firstEdge = Array(repeating: -1, count: nodes)
        nextEdge = Array(repeating: -1, count: 2 * (nodes - 1))
        edgeNode = Array(repeating: -1, count: 2 * (nodes - 1))
        queue = Array(repeating: 0, count: nodes)
        northWestCorner(supply: supply, demand: demand)
    }

    /// The north-west corner start: walk from cell (0, 0) to (n-1, m-1), each step saturating a
    /// row or a column and advancing exactly one index, which gives n + m - 1 cells that form a
    /// spanning tree (a staircase), with zero flows where supply and demand run out together.
    mutating func northWestCorner(supply: [Double], demand: [Double]) {
        var row = 0, column = 0
        var rowLeft = supply[0], columnLeft = demand[0]
        while true {
            let flow = min(rowLeft, columnLeft)
            cells.append(row * columns + column)
            flows.append(flow)
            rowLeft -= flow
            columnLeft -= flow
            if row == rows - 1 && column == columns - 1 { break }
            if column == columns - 1 || (rowLeft <= columnLeft && row < rows - 1) {
                row += 1
                rowLeft = supply[row]
            } else {
                column += 1
                columnLeft = demand[column]
            }
        }
    }

    /// Recomputes the rooted tree and the potentials (u_0 = 0) by a breadth-first search.
    mutating func rebuild() {
        let nodes = rows + columns
        for node in 0..<nodes { firstEdge[node] = -1 }
        for (slot, cell) in cells.enumerated() {
            let row = cell / columns, column = rows + cell % columns
            edgeNode[2 * slot] = column
            nextEdge[2 * slot] = firstEdge[row]
            firstEdge[row] = 2 * slot
            edgeNode[2 * slot + 1] = row
            nextEdge[2 * slot + 1] = firstEdge[column]
            firstEdge[column] = 2 * slot + 1
        }
        for node in 0..<nodes { parent[node] = -1 }
        parent[0] = 0
        potential[0] = 0
        depth[0] = 0
        queue[0] = 0
        var head = 0, tail = 1
        while head < tail {
            let node = queue[head]
            head += 1
            var edge = firstEdge[node]
            while edge >= 0 {
                let other = edgeNode[edge]
                if parent[other] < 0 {
                    let slot = edge / 2
                    parent[other] = node
                    parentSlot[other] = slot
                    depth[other] = depth[node] + 1
                    potential[other] = cost[cells[slot]] - potential[node]
                    queue[tail] = other
                    tail += 1
                }
                edge = nextEdge[edge]
            }
        }
        precondition(tail == nodes, "NetworkSimplex: the basis is not a spanning tree")
    }

    /// The cell to bring into the basis: the most negative reduced cost, or with
    /// `firstImproving` the lowest-index negative one; nil when the basis is optimal.
    func enteringCell(tolerance: Double, firstImproving: Bool) -> Int? {
        var best: Int?
        var bestReduced = -tolerance
        for row in 0..<rows {
            let rowPotential = potential[row]
            for column in 0..<columns {
                let cell = row * columns + column
                let reduced = cost[cell] - rowPotential - potential[rows + column]
                if reduced < bestReduced {
                    if firstImproving { return cell }
                    best = cell
                    bestReduced = reduced
                }
            }
        }
        return best
    }

    /// Adds `entering` to the tree, moves the largest feasible flow around the cycle it closes
    /// and removes the lowest-index cell that empties. Returns the flow moved.
    mutating func pivot(entering: Int) -> Double {
        // The tree path from the entering cell's row to its column; cells at even positions on
        // it lose flow, cells at odd positions gain it.
        var rowEnd = entering / columns, columnEnd = rows + entering % columns
        rowSide.removeAll(keepingCapacity: true)
        columnSide.removeAll(keepingCapacity: true)
        while rowEnd != columnEnd {
            if depth[rowEnd] >= depth[columnEnd] {
                rowSide.append(parentSlot[rowEnd])
                rowEnd = parent[rowEnd]
            } else {
                columnSide.append(parentSlot[columnEnd])
                columnEnd = parent[columnEnd]
            }
        }
        let path = rowSide + columnSide.reversed()
        var leaving = -1
        var amount = Double.infinity
        for position in stride(from: 0, to: path.count, by: 2) {
            let slot = path[position]
            if flows[slot] < amount || (flows[slot] == amount && cells[slot] < cells[leaving]) {
                amount = flows[slot]
                leaving = slot
            }
        }
        for (position, slot) in path.enumerated() {
            flows[slot] += position % 2 == 0 ? -amount : amount
        }
        cells[leaving] = entering
        flows[leaving] = amount
        return amount
    }

    func plan() -> [Double] {
        var result = [Double](repeating: 0, count: rows * columns)
        for (slot, cell) in cells.enumerated() { result[cell] = max(0, flows[slot]) }
        return result
    }
}
