import Foundation

/// Which settings two run configurations disagree on, by their config.json keys, so new
/// configuration fields are compared without any code here.
public enum ConfigurationDifference {
    /// `key: ours (theirs)` for every top-level or head field that differs, sorted; `ignoring` keys are skipped.
    public static func fields(_ ours: TrainingConfiguration, _ theirs: TrainingConfiguration, ignoring: Set<String> = []) -> [String] {
        let a = flatten(ours), b = flatten(theirs)
        return Set(a.keys).union(b.keys).subtracting(ignoring).sorted().compactMap { key in
            a[key] == b[key] ? nil : "\(key) \(a[key] ?? "none") (\(b[key] ?? "none"))"
        }
    }

    /// A configuration as `key: JSON text`, head fields as `head.key`.
    static func flatten(_ configuration: TrainingConfiguration) -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(configuration),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in object {
            if key == "head", let head = value as? [String: Any] {
                for (field, inner) in head { result["head.\(field)"] = text(inner) }
            } else {
                result[key] = text(value)
            }
        }
        return result
    }

    private static func text(_ value: Any) -> String {
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}
