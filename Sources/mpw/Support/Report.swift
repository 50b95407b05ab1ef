import Foundation

/// A flat benchmark or evaluation result, printed as aligned text or as one JSON object.
struct Report {
    enum Value {
        case number(Double, decimals: Int)
        case integer(Int)
        case text(String)
    }

    private(set) var entries: [(key: String, label: String, value: Value)] = []

    mutating func add(_ key: String, _ label: String, _ value: Double, decimals: Int = 1) {
        entries.append((key, label, .number(value, decimals: decimals)))
    }

    mutating func add(_ key: String, _ label: String, _ value: Int) {
        entries.append((key, label, .integer(value)))
    }

    mutating func add(_ key: String, _ label: String, _ value: String) {
        entries.append((key, label, .text(value)))
    }

    func print(json: Bool) {
        if json {
            Swift.print(jsonText())
        } else {
            let width = entries.map(\.label.count).max() ?? 0
            for entry in entries {
                Swift.print(entry.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + Self.text(entry.value))
            }
        }
    }

    func jsonText() -> String {
        "{" + entries.map { "\"\($0.key)\": \(Self.json($0.value))" }.joined(separator: ", ") + "}"
    }

    private static func text(_ value: Value) -> String {
        switch value {
        case .number(let x, let decimals): return String(format: "%.\(decimals)f", x)
        case .integer(let n): return String(n)
        case .text(let s): return s
        }
    }

    private static func json(_ value: Value) -> String {
        switch value {
        case .number(let x, let decimals): return x.isFinite ? String(format: "%.\(max(decimals, 3))f", x) : "null"
        case .integer(let n): return String(n)
        case .text(let s):
            let data = try? JSONSerialization.data(withJSONObject: [s], options: [])
            return data.flatMap { String(data: $0, encoding: .utf8) }.map { String($0.dropFirst().dropLast()) } ?? "\"\""
        }
    }
}
