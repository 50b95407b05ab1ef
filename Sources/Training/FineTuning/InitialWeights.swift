import Foundation
import Tensors
import TorchFormat

/// A state dict to start a run from, read from any of the files `--init` accepts: a torch.save
/// file (zip or legacy; a bare state dict or a checkpoint's `state_dict`/`model`), a safetensors
/// state dict, or an mpw checkpoint (its `model.*` tensors). DataParallel/DDP `module.` prefixes
/// are removed when every key has one.
public struct InitialWeights {
    public enum Format: String, Sendable {
        case torch = "torch.save file"
        case safeTensors = "safetensors state dict"
        case mpwCheckpoint = "mpw checkpoint"
    }

    public let path: String
    public let format: Format
    public let tensors: [String: Tensor]

    public init(path: String, format: Format, tensors: [String: Tensor]) {
        self.path = path
        self.format = format
        self.tensors = Self.withoutDataParallelPrefix(tensors)
    }

    public static func read(_ path: String) throws -> InitialWeights {
        let url = URL(fileURLWithPath: path)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigurationError("--init \(path): no such file or it cannot be read")
        }
        let head = [UInt8]((try? handle.read(upToCount: 16)) ?? Data())
        try? handle.close()
        if TorchFile.isTorchFile(head) {
            return InitialWeights(path: path, format: .torch, tensors: try TorchFile.readStateDict(contentsOf: url).floatTensors())
        }
        guard FileSignature.looksLikeSafeTensors(Data(head)) else {
            throw ConfigurationError("--init \(path): neither a torch.save file (.pth) nor a safetensors file: it looks like \(FileSignature.describe(Data(head)))")
        }
        let file = try SafeTensorsFile(contentsOf: url)
        let isCheckpoint = file.metadata["format"] == Checkpoint.format
        var tensors: [String: Tensor] = [:]
        for name in file.entries.keys {
            if isCheckpoint {
                guard name.hasPrefix("model.") else { continue }
                tensors[String(name.dropFirst("model.".count))] = try file.tensor(name)
            } else {
                tensors[name] = try file.tensor(name)
            }
        }
        return InitialWeights(path: path, format: isCheckpoint ? .mpwCheckpoint : .safeTensors, tensors: tensors)
    }

    static func withoutDataParallelPrefix(_ tensors: [String: Tensor]) -> [String: Tensor] {
        let prefix = "module."
        guard !tensors.isEmpty, tensors.keys.allSatisfy({ $0.hasPrefix(prefix) }) else { return tensors }
        return Dictionary(uniqueKeysWithValues: tensors.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
    }
}
