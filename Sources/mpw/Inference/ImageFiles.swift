import Datasets
import Foundation

/// The image files named on a command line: files as given, folders searched recursively for
/// JPEG and PNG files (by extension, sorted by path; hidden entries skipped).
enum ImageFiles {
    static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Every file to read, and a one-line error for each path that does not exist.
    static func collect(_ paths: [String]) -> (files: [String], errors: [String]) {
        var files: [String] = [], errors: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                errors.append("\(path): no such file or folder")
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let found = imagesUnder(path)
            if found.isEmpty { errors.append("\(path): the folder holds no .jpg, .jpeg or .png files") }
            files += found
        }
        return (files, errors)
    }

    private static func imagesUnder(_ folder: String) -> [String] {
        let root = URL(fileURLWithPath: folder)
        guard let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                        options: [.skipsHiddenFiles]) else { return [] }
        var found: [String] = []
        for case let url as URL in walk where extensions.contains(url.pathExtension.lowercased()) {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                let relative = url.path.dropFirst(root.path.count).drop { $0 == "/" }
                found.append(folder.hasSuffix("/") ? folder + relative : folder + "/" + relative)
            }
        }
        return found.sorted()
    }

    /// Decodes `files`, keeping the readable ones (with their paths) and a one-line error for each other.
    static func decode(_ files: [String]) -> (images: [(path: String, image: DecodedImage)], errors: [String]) {
        var images: [(String, DecodedImage)] = [], errors: [String] = []
        for file in files {
            do {
                images.append((file, try ImageDecoder.decode(fileAt: file)))
            } catch {
                errors.append(String(describing: error))
            }
        }
        return (images, errors)
    }

    /// The file name without folder and extension, made safe for output file names.
    static func stem(_ path: String) -> String {
        safeName(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
    }

    /// Letters, digits, '-', '_' and '.' kept; anything else becomes '-'.
    static func safeName(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "-" })
    }
}

/// Prints one-line errors on standard error.
enum ErrorLines {
    static func print(_ line: String) {
        FileHandle.standardError.write(Data("Error: \(line)\n".utf8))
    }
}
