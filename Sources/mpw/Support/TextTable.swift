/// Rows of text printed in aligned columns, separated by two spaces.
struct TextTable {
    let header: [String]
    /// Columns aligned to the right (numbers).
    let rightAligned: Set<Int>
    private(set) var rows: [[String]] = []

    init(header: [String], rightAligned: Set<Int> = []) {
        self.header = header
        self.rightAligned = rightAligned
    }

    mutating func add(_ row: [String]) {
        precondition(row.count == header.count, "TextTable: \(row.count) cells for \(header.count) columns")
        rows.append(row)
    }

    func print() {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        for row in all {
            let cells = row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }
            Swift.print(cells.joined(separator: "  ").trimmingTrailingSpaces())
        }
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        String(self[..<(lastIndex { $0 != " " }.map { index(after: $0) } ?? startIndex)])
    }
}
