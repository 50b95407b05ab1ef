import Foundation

/// A run directory as the report reads it: its configuration, its epochs so far and, when it
/// finished, its summary.
public struct RunRecord {
    public let directory: RunDirectory
    public let configuration: TrainingConfiguration
    public let metrics: [EpochRecord]
    /// nil while the run is unfinished (no summary.json).
    public let summary: TrainingSummary?

    public var preset: PaperPreset? { configuration.preset.flatMap(PaperPresets.named) }
    public var path: String { directory.url.path }

    /// Reads one run directory; throws a one-line error naming the file that cannot be read.
    public init(_ directory: RunDirectory) throws {
        self.directory = directory
        let text: String
        do {
            text = try String(contentsOf: directory.configurationFile, encoding: .utf8)
        } catch {
            throw ConfigurationError("\(directory.configurationFile.path): cannot be read")
        }
        configuration = try TrainingConfiguration.decode(text, source: directory.configurationFile.path)
        metrics = try directory.readMetrics()
        if let data = try? Data(contentsOf: directory.summaryFile) {
            do {
                summary = try JSONDecoder().decode(TrainingSummary.self, from: data)
            } catch {
                throw ConfigurationError("\(directory.summaryFile.path): not a run summary")
            }
        } else {
            summary = nil
        }
    }
}

/// The run directories under the folders a user names, and what could not be used.
public struct RunCollection {
    public private(set) var runs: [RunRecord] = []
    /// One line per folder or run that was left out, and why.
    public private(set) var notes: [String] = []

    /// Every directory holding a config.json under each of `paths` (the paths themselves
    /// included), sorted by path. Throws when a path is missing or nothing usable is found.
    public init(paths: [String]) throws {
        let files = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ConfigurationError("\(path): no such directory")
            }
            let root = URL(fileURLWithPath: path).standardizedFileURL
            var found = files.fileExists(atPath: root.appendingPathComponent("config.json").path) ? [root] : []
            if let walker = files.enumerator(at: root, includingPropertiesForKeys: nil) {
                for case let url as URL in walker where url.lastPathComponent == "config.json" && url.deletingLastPathComponent() != root {
                    found.append(url.deletingLastPathComponent().standardizedFileURL)
                }
            }
            if found.isEmpty { notes.append("\(path) holds no run directory (no config.json): skipped") }
            for directory in found.sorted(by: { $0.path < $1.path }) {
                do {
                    runs.append(try RunRecord(RunDirectory(directory.path)))
                } catch {
                    notes.append("\(directory.path): skipped, \(error)")
                }
            }
        }
        guard !runs.isEmpty else {
            throw ConfigurationError("no run directories in \(paths.joined(separator: ", ")) (a run directory holds config.json, written by mpw train)")
        }
    }
}
