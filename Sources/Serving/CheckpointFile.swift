import Foundation

/// A checkpoint file as found on disk, with what tells a replacement apart: a file renamed into
/// place has a new inode; one rewritten in place a new modification time or size.
struct CheckpointFile: Equatable, Sendable {
    let path: String
    let inode: UInt64
    let modified: Date
    let size: UInt64

    /// The file at `path` as it is now; nil if there is none (or it is not a regular file).
    static func at(_ path: String) -> CheckpointFile? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular else { return nil }
        return CheckpointFile(path: path, inode: (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0,
                              modified: attributes[.modificationDate] as? Date ?? .distantPast,
                              size: (attributes[.size] as? NSNumber)?.uint64Value ?? 0)
    }
}
