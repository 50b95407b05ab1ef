import Foundation
import Kernels

/// Images in the ImageNet (torchvision `ImageFolder`) layout: `root/<class>/.../*.{JPEG,jpg,jpeg,png}`.
///
/// Class indices follow the sorted class folder names and samples the sorted file paths, as in
/// torchvision. Opening lists the files and checks each one's header and end marker in parallel;
/// pixels are decoded only when the loader asks for a sample, on its threads, so a large folder
/// opens quickly and never sits in memory decoded.
public struct ImageFolderDataset: Dataset {
    public struct Sample: Sendable, Equatable {
        public let path: String
        public let label: Int32
        public let width: Int
        public let height: Int
    }

    /// Extensions (compared case-insensitively) that count as images; other files are ignored.
    public static let extensions: Set<String> = ["jpeg", "jpg", "png"]
    /// How many unreadable files an error message names.
    static let namedFailures = 3

    public let root: String
    public let classNames: [String]
    public let samples: [Sample]
    public let skippedFiles: [String]

    /// Scans `root`. Files that are not JPEG or PNG, have an unreadable header or are truncated
    /// (see `ImageDecoder.header(fileAt:)`) make this throw, naming how many and the first few,
    /// unless `skipBadImages` is set: then they are left out and listed in `skippedFiles`. A file
    /// damaged inside its compressed data fails later, when it is decoded, with an error naming it.
    public init(root: String, skipBadImages: Bool = false) throws {
        try FileBytes.requireDirectory(root, "image folder")
        let fileManager = FileManager.default
        let classNames = try Self.sortedEntries(of: root, fileManager).filter { FileBytes.isDirectory(DatasetPaths.join(root, $0)) }
        guard !classNames.isEmpty else {
            throw DatasetError(.missing, path: root, "no class folders (expected root/<class>/<image files>)")
        }
        var candidates: [(path: String, label: Int32)] = []
        var emptyClasses: [String] = []
        for (label, name) in classNames.enumerated() {
            let classRoot = DatasetPaths.join(root, name)
            let files = (fileManager.enumerator(atPath: classRoot)?.compactMap { $0 as? String } ?? [])
                .filter { Self.isImageName($0) && !$0.split(separator: "/").contains { $0.hasPrefix(".") } }
                .map { DatasetPaths.join(classRoot, $0) }
                .filter(FileBytes.isFile)
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            if files.isEmpty { emptyClasses.append(name) }
            candidates += files.map { ($0, Int32(label)) }
        }
        guard emptyClasses.isEmpty else {
            throw DatasetError(.missing, path: root, "no image files in class folder\(emptyClasses.count == 1 ? "" : "s") \(emptyClasses.prefix(5).joined(separator: ", "))\(emptyClasses.count > 5 ? ", ..." : "")")
        }
        let headers = Self.readHeaders(candidates.map(\.path))
        var samples: [Sample] = []
        var failures: [DatasetError] = []
        for (candidate, header) in zip(candidates, headers) {
            switch header {
            case .success(let size):
                samples.append(Sample(path: candidate.path, label: candidate.label, width: size.width, height: size.height))
            case .failure(let error):
                failures.append(error)
            }
        }
        if !failures.isEmpty && !skipBadImages {
            let named = failures.prefix(Self.namedFailures).map { "\(Self.relative($0.path, to: root)) (\($0.reason))" }
            throw DatasetError(.unreadableImage, path: root,
                               "\(failures.count) unreadable image file\(failures.count == 1 ? "" : "s") of \(candidates.count): \(named.joined(separator: "; "))\(failures.count > named.count ? "; ..." : "") (--skip-bad leaves them out)")
        }
        self.root = root
        self.classNames = classNames
        self.samples = samples
        skippedFiles = failures.map(\.path)
    }

    public var count: Int { samples.count }
    public var channels: Int { 3 }
    public var height: Int? { nil }
    public var width: Int? { nil }

    public func label(at index: Int) -> Int32 { samples[index].label }

    public func withImage<Result>(at index: Int, _ body: (ImageView) throws -> Result) throws -> Result {
        try ImageDecoder.decode(fileAt: samples[index].path).withView(body)
    }

    /// The class root for a split of a directory that may hold `train/` and `val/` (or `test/`)
    /// subfolders; a directory without them is itself the class root, whatever the split.
    public static func splitRoot(_ directory: String, split: DatasetSplit) -> String {
        let names = split == .train ? ["train"] : ["val", "test"]
        for name in names where FileBytes.isDirectory(DatasetPaths.join(directory, name)) {
            return DatasetPaths.join(directory, name)
        }
        return directory
    }

    static func isImageName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return extensions.contains(name[name.index(after: dot)...].lowercased())
    }

    private static func sortedEntries(of directory: String, _ fileManager: FileManager) throws -> [String] {
        do {
            return try fileManager.contentsOfDirectory(atPath: directory)
                .filter { !$0.hasPrefix(".") }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        } catch {
            throw DatasetError(.missing, path: directory, "cannot list the folder: \(error.localizedDescription)")
        }
    }

    /// Every file's header, read in parallel (the work is mostly waiting on the disk).
    private static func readHeaders(_ paths: [String]) -> [Result<(width: Int, height: Int), DatasetError>] {
        var results = [Result<(width: Int, height: Int), DatasetError>](
            repeating: .failure(DatasetError(.unreadableImage, path: "", "not read")), count: paths.count)
        results.withUnsafeMutableBufferPointer { output in
            Parallel.forEach(paths.count) { index in
                do {
                    let header = try ImageDecoder.header(fileAt: paths[index])
                    output[index] = .success((header.width, header.height))
                } catch let error as DatasetError {
                    output[index] = .failure(error)
                } catch {
                    output[index] = .failure(DatasetError(.unreadableImage, path: paths[index], "\(error)"))
                }
            }
        }
        return results
    }

    private static func relative(_ path: String, to root: String) -> String {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}
