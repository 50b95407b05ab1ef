import Foundation

/// Where the models of `mpw serve` come from: one checkpoint file, served under a given name as
/// version 1, or a folder laid out as Triton's model repository:
///
///     DIR/NAME.safetensors                  model NAME, version 1
///     DIR/NAME/VERSION/model.safetensors    model NAME, version VERSION (a whole number)
///     DIR/NAME/model.safetensors            model NAME, version 1 (a folder without versions)
///
/// In a folder (of a version or of a model without versions), the checkpoint is
/// `model.safetensors`, or the folder's only `.safetensors` file. Names starting with "." are
/// skipped, as are other files, so a checkpoint written beside its final name and renamed into
/// place is only seen once renamed.
public enum RepositoryLayout: Sendable {
    case file(path: String, name: String)
    case directory(path: String)

    /// One model's versions on disk, or why it has none that can be served.
    struct Found {
        var versions: [String: String] = [:]
        var problem: String?
    }

    /// Every model on disk now, by name.
    func scan() -> [String: Found] {
        switch self {
        case .file(let path, let name):
            return [name: FileManager.default.fileExists(atPath: path)
                ? Found(versions: ["1": path]) : Found(problem: "\(path): the checkpoint is missing")]
        case .directory(let root):
            var models: [String: Found] = [:]
            for entry in Self.visibleEntries(root) {
                let path = root + "/" + entry
                if entry.hasSuffix(Self.checkpointExtension), !Self.isDirectory(path) {
                    models[String(entry.dropLast(Self.checkpointExtension.count)), default: Found()].versions["1"] = path
                } else if Self.isDirectory(path) {
                    models[entry] = Self.scanModel(path)
                }
            }
            return models.filter { !$0.value.versions.isEmpty || $0.value.problem != nil }
        }
    }

    /// One model's folder: numbered version folders, or a checkpoint directly inside.
    static func scanModel(_ folder: String) -> Found {
        let numbered = visibleEntries(folder).filter { entry in
            entry.allSatisfy(\.isASCII) && UInt64(entry) != nil && isDirectory(folder + "/" + entry)
        }
        var found = Found()
        if numbered.isEmpty {
            switch checkpoint(in: folder) {
            case .success(let path?): found.versions["1"] = path
            case .success(nil): return Found()
            case .failure(let problem): found.problem = problem.description
            }
            return found
        }
        for version in numbered {
            switch checkpoint(in: folder + "/" + version) {
            case .success(let path?): found.versions[String(UInt64(version)!)] = path
            case .success(nil): break
            case .failure(let problem): found.problem = problem.description
            }
        }
        if found.versions.isEmpty && found.problem == nil { found.problem = "\(folder): no version folder holds a checkpoint" }
        return found
    }

    /// The checkpoint of a folder: `model.safetensors`, else its only `.safetensors` file;
    /// nil if it has none, a failure naming them if it has several.
    static func checkpoint(in folder: String) -> Result<String?, LayoutProblem> {
        let files = visibleEntries(folder).filter { $0.hasSuffix(checkpointExtension) && !isDirectory(folder + "/" + $0) }
        if files.contains("model" + checkpointExtension) { return .success(folder + "/model" + checkpointExtension) }
        guard files.count <= 1 else {
            return .failure(LayoutProblem(description: "\(folder): holds \(files.joined(separator: ", ")); name the one to serve model\(checkpointExtension)"))
        }
        return .success(files.first.map { folder + "/" + $0 })
    }

    /// The newest version: the largest number.
    static func newest(_ versions: some Collection<String>) -> String? {
        versions.max { (UInt64($0) ?? 0) < (UInt64($1) ?? 0) }
    }

    struct LayoutProblem: Error, CustomStringConvertible {
        let description: String
    }

    static let checkpointExtension = ".safetensors"

    private static func visibleEntries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    private static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }
}
