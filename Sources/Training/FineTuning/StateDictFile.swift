import Foundation
import Tensors
import TorchFormat

/// A model's state dict as `mpw convert` moves it between formats: read from any file `--init`
/// reads (a torch.save file, a safetensors state dict, or an mpw checkpoint, whose `model.*`
/// tensors are taken without the prefix), in the file's order, integer buffers (BatchNorm's
/// `num_batches_tracked`) kept as integers; written as safetensors or as a torch.save archive.
/// Our state-dict names are the reference PyTorch modules' (see each backbone), so the names go
/// across unchanged in both directions.
public struct StateDictFile {
    public let path: String
    public let format: InitialWeights.Format
    public let tensors: [(name: String, tensor: TorchTensor)]

    public init(path: String, format: InitialWeights.Format, tensors: [(name: String, tensor: TorchTensor)]) {
        self.path = path
        self.format = format
        self.tensors = tensors
    }

    public static func read(_ path: String) throws -> StateDictFile {
        let url = URL(fileURLWithPath: path)
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ConfigurationError("\(path): no such file or it cannot be read") }
        let head = [UInt8]((try? handle.read(upToCount: 16)) ?? Data())
        try? handle.close()
        if TorchFile.isTorchFile(head) {
            return StateDictFile(path: path, format: .torch, tensors: try TorchFile.readStateDict(contentsOf: url).tensors)
        }
        guard FileSignature.looksLikeSafeTensors(Data(head)) else {
            throw ConfigurationError("\(path): neither a torch.save file (.pth) nor a safetensors file: it looks like \(FileSignature.describe(Data(head)))")
        }
        let file = try SafeTensorsFile(contentsOf: url)
        let isCheckpoint = file.metadata["format"] == Checkpoint.format
        var tensors: [(name: String, tensor: TorchTensor)] = []
        for name in file.names {
            var key = name
            if isCheckpoint {
                guard name.hasPrefix(Self.checkpointPrefix) else { continue }
                key.removeFirst(Self.checkpointPrefix.count)
            }
            let entry = try file.entry(name)
            switch entry.dtype {
            case .float32, .float64:
                tensors.append((key, TorchTensor(dtype: entry.dtype == .float32 ? .float32 : .float64, shape: entry.shape, values: .floats(try file.floats(name)))))
            case .int64, .int32, .uint8:
                let dtype: TorchDType = entry.dtype == .int64 ? .int64 : entry.dtype == .int32 ? .int32 : .uint8
                tensors.append((key, TorchTensor(dtype: dtype, shape: entry.shape, values: .integers(try file.integers(name)))))
            }
        }
        guard !tensors.isEmpty else {
            throw ConfigurationError("\(path): no tensors to convert\(isCheckpoint ? " (the checkpoint has no model.* entries)" : "")")
        }
        return StateDictFile(path: path, format: isCheckpoint ? .mpwCheckpoint : .safeTensors, tensors: tensors)
    }

    /// The prefix of the model's tensors in an mpw checkpoint.
    public static let checkpointPrefix = "model."

    /// A safetensors file: F32 for floating-point tensors, I64 for integers and bool.
    public func safeTensors() -> Data {
        TorchStateDict(path: path, tensors: tensors).safeTensors().serialized()
    }

    /// A torch.save archive (`TorchArchiveWriter`) under the top folder `archive`, as
    /// torch.save names it when it writes to a stream.
    public func torchArchive(for output: String) throws -> Data {
        Data(try TorchArchiveWriter.archive(tensors, path: output))
    }
}
