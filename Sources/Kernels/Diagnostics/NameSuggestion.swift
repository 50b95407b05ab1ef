/// "Did you mean ...?" for a misspelt name (a dataset, a model, a flag): the closest of the valid
/// names, when one is close enough to be what the user meant. Kept in the lowest module so every
/// layer's error messages can use it.
public enum NameSuggestion {
    /// The valid name closest to `name`: the shortest one that contains it or is contained in it
    /// (`mnist-idx` for `mnist`; names of 3 characters or more), else the one fewest edits away
    /// within a third of its length (at least 2); nil when none is.
    public static func closest(to name: String, among candidates: [String]) -> String? {
        let wanted = name.lowercased()
        guard !wanted.isEmpty else { return nil }
        if let exact = candidates.first(where: { $0.lowercased() == wanted }) { return exact }
        let containing = wanted.count < 3 ? [] : candidates.filter { $0.lowercased().contains(wanted) || wanted.contains($0.lowercased()) }
        if let shortest = containing.min(by: { $0.count < $1.count }) { return shortest }
        let limit = max(2, wanted.count / 3)
        let scored = candidates.map { ($0, editDistance(wanted, $0.lowercased())) }.filter { $0.1 <= limit }
        return scored.min(by: { $0.1 < $1.1 })?.0
    }

    /// "; did you mean X?" or "", to append to a message.
    public static func clause(for name: String, among candidates: [String]) -> String {
        closest(to: name, among: candidates).map { "; did you mean \($0)?" } ?? ""
    }

    /// Levenshtein distance: insertions, deletions and substitutions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in stride(from: 1, through: a.count, by: 1) {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
