import Foundation
import ModelGraph
import Models
import NN
import Tensors

/// A training checkpoint: one safetensors file holding the model's state dict (`model.*`), the
/// optimizer's momentum buffers (`optimizer.momentum.*`), and in its metadata the run
/// configuration, the `TrainingState`, the class names (`classes`, a JSON array; checkpoints
/// written before it was added have none, see `classNames`) and the backbone's graph
/// (`backbone_graph`, the "mpw-graph" JSON, with `head_prefix`), so a model outside the zoo loads
/// without its Swift code (`makeClassifier`). Written atomically (temp file, fsync, rename).
public enum Checkpoint {
    public static let format = "mpw-checkpoint-1"

    public struct Contents {
        public let configuration: TrainingConfiguration
        public let state: TrainingState
        public let file: SafeTensorsFile
        /// The class names stored in the checkpoint; nil for checkpoints written before they were.
        public let storedClassNames: [String]?
        /// The backbone's captured graph; nil for checkpoints written before it was stored.
        public let backboneGraph: ModelGraph?
        /// Where the head's tensors sit in the state dict, stored with the graph.
        public let headPrefix: String?
    }

    /// `buffers` replaces the model's live buffers by name (a snapshot of an earlier step).
    /// `backboneGraph` is `model`'s backbone captured (`GraphCapture`), stored for models outside the zoo.
    public static func write(to url: URL, model: Module, optimizer: SGD?, configuration: TrainingConfiguration,
                             state: TrainingState, classNames: [String]? = nil, buffers: [String: Tensor] = [:],
                             backboneGraph: ModelGraph? = nil) throws {
        var writer = SafeTensorsWriter(metadata: [
            "format": format,
            "config": configuration.json(),
            "state": String(decoding: try JSONEncoder().encode(state), as: UTF8.self),
        ])
        if let classNames { writer.metadata["classes"] = String(decoding: try JSONEncoder().encode(classNames), as: UTF8.self) }
        if let backboneGraph {
            writer.metadata["backbone_graph"] = String(decoding: try backboneGraph.jsonData(), as: UTF8.self)
            writer.metadata["head_prefix"] = (model as? ImageClassifier)?.headPrefix ?? "head"
        }
        model.write(to: &writer, prefix: "model.", replacing: buffers)
        for (name, value) in optimizer?.stateDict() ?? [] { writer.add("optimizer.\(name)", value) }
        try writer.write(to: url)
    }

    /// Reads a checkpoint's configuration and state; the tensors are loaded by `restore`.
    public static func read(_ url: URL) throws -> Contents {
        if !FileManager.default.fileExists(atPath: url.path) {
            // Named as the user typed it.
            let path = url.relativePath
            let directory = (path as NSString).deletingLastPathComponent
            let last = (directory as NSString).appendingPathComponent(RunDirectory.lastCheckpointName)
            if url.lastPathComponent == RunDirectory.bestCheckpointName && FileManager.default.fileExists(atPath: url.deletingLastPathComponent().appendingPathComponent(RunDirectory.lastCheckpointName).path) {
                throw ConfigurationError("\(path): no such file yet: the run stopped before its first epoch ended, and best.safetensors is written when an epoch ends; use \(last), or finish the run with mpw train --resume \(directory.isEmpty ? "." : directory)")
            }
            throw ConfigurationError("\(path): no such file")
        }
        return try read(try SafeTensorsFile(contentsOf: url))
    }

    /// The configuration and state of a checkpoint file already parsed.
    public static func read(_ file: SafeTensorsFile) throws -> Contents {
        let url = URL(fileURLWithPath: file.path)
        guard file.metadata["format"] == format, let config = file.metadata["config"], let state = file.metadata["state"] else {
            throw ConfigurationError("\(url.path): not an mpw checkpoint (no \(format) metadata)")
        }
        let decoded: TrainingState
        do {
            decoded = try JSONDecoder().decode(TrainingState.self, from: Data(state.utf8))
        } catch {
            throw ConfigurationError("\(url.path): the stored training state cannot be read (\(error))")
        }
        var classNames: [String]?
        if let stored = file.metadata["classes"] {
            guard let names = try? JSONDecoder().decode([String].self, from: Data(stored.utf8)), !names.isEmpty else {
                throw ConfigurationError("\(url.path): the stored class names are not a non-empty JSON array of strings")
            }
            classNames = names
        }
        var graph: ModelGraph?
        if let stored = file.metadata["backbone_graph"] {
            do { graph = try ModelGraph(json: Data(stored.utf8), source: "\(url.path): the stored backbone graph") } catch {
                throw ConfigurationError("\(error)")
            }
        }
        return Contents(configuration: try TrainingConfiguration.decode(config, source: url.path), state: decoded, file: file,
                        storedClassNames: classNames, backboneGraph: graph, headPrefix: file.metadata["head_prefix"])
    }

    /// Loads the model (and, when given, the optimizer) from a checkpoint read by `read`.
    public static func restore(_ contents: Contents, model: Module, optimizer: SGD?) throws {
        try model.load(from: contents.file, prefix: "model.")
        if let optimizer {
            var buffers: [String: Tensor] = [:]
            for name in contents.file.entries.keys where name.hasPrefix("optimizer.") {
                buffers[String(name.dropFirst("optimizer.".count))] = try contents.file.tensor(name)
            }
            try optimizer.load(stateDict: buffers, source: contents.file.path)
        }
    }
}
