import Foundation

/// Reads a /proc file whole. Their reported size is 0 and Foundation's `String(contentsOfFile:)`
/// stops after the first 4 KB read, so this reads until end of file.
enum ProcFile {
    static func read(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }
}
