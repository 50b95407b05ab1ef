import Foundation

/// Parameter and multiply-accumulate counts in millions or billions, for tables.
enum CountFormat {
    static func parameters(_ count: Int) -> String {
        String(format: "%.3fM", Double(count) / 1e6)
    }

    static func multiplyAccumulates(_ count: Int) -> String {
        count >= 1_000_000_000 ? String(format: "%.3fG", Double(count) / 1e9) : String(format: "%.1fM", Double(count) / 1e6)
    }
}
