/// Why a state dict does not fit a model, listing every offending key.
public struct StateDictError: Error, CustomStringConvertible, Equatable {
    public var missing: [String] = []
    public var unexpected: [String] = []
    /// Keys present on both sides with different shapes: (key, expected, found).
    public var mismatched: [(key: String, expected: [Int], found: [Int])] = []
    /// Where the state dict came from, when it was a file.
    public var source: String?

    public init(source: String? = nil) {
        self.source = source
    }

    public var isEmpty: Bool { missing.isEmpty && unexpected.isEmpty && mismatched.isEmpty }

    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing keys: " + missing.joined(separator: ", ")) }
        if !unexpected.isEmpty { parts.append("unexpected keys: " + unexpected.joined(separator: ", ")) }
        if !mismatched.isEmpty {
            parts.append("shape mismatches: " + mismatched.map { "\($0.key) (model \($0.expected), file \($0.found))" }.joined(separator: ", "))
        }
        return (source.map { "\($0): " } ?? "") + "state dict does not fit the model: " + parts.joined(separator: "; ")
    }

    public static func == (lhs: StateDictError, rhs: StateDictError) -> Bool {
        lhs.description == rhs.description
    }
}
