import Foundation

/// Class-name files: one name per line.
enum TextLines {
    /// The non-empty lines of a UTF-8 file, trimmed, in order. Throws `.malformed` unless exactly
    /// `expectedCount` names are present.
    static func classNames(_ path: String, expectedCount: Int) throws -> [String] {
        let bytes = try FileBytes.read(path)
        let text = String(decoding: bytes, as: UTF8.self)
        let names = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard names.count == expectedCount else {
            throw DatasetError(.malformed, path: path, "has \(names.count) class names, expected \(expectedCount)")
        }
        return names
    }
}
