/// Finds the state dict in an unpickled torch.save object: the object itself when it is a dict
/// of tensors, or else its `state_dict` or `model` entry (training checkpoints, as timm and the
/// torchvision reference scripts write them).
enum StateDictSelection {
    static let checkpointKeys = ["state_dict", "model"]

    static func tensors(in root: PickleValue, path: String) throws -> [(name: String, record: TensorRecord)] {
        guard case .dict(let top) = root else {
            throw TorchFormatError(path: path, "the saved object is a \(root.typeName), not a state dict or a checkpoint dict")
        }
        if let tensors = try? records(top, path: path) { return tensors }
        for key in checkpointKeys {
            guard let entry = top[key] else { continue }
            guard case .dict(let dict) = entry else {
                throw TorchFormatError(path: path, "the checkpoint's \(key) entry is a \(entry.typeName), not a state dict")
            }
            return try records(dict, path: path, label: "\(key).")
        }
        let keys = top.entries.prefix(12).map { key, _ in
            if case .string(let text) = key { return text }
            return key.typeName
        }
        throw TorchFormatError(path: path, "no state dict: the saved dict holds non-tensor values and no \(checkpointKeys.joined(separator: " or ")) entry (keys: \(keys.joined(separator: ", ")))")
    }

    /// Every entry of a dict that must map names to tensors.
    private static func records(_ dict: PickleDict, path: String, label: String = "") throws -> [(name: String, record: TensorRecord)] {
        try dict.entries.map { key, value in
            guard case .string(let name) = key else { throw TorchFormatError(path: path, "state dict key \(label)<\(key.typeName)> is not a string") }
            guard case .tensor(let record) = value else {
                throw TorchFormatError(path: path, "state dict entry \(label)\(name) is a \(value.typeName), not a tensor")
            }
            return (name, record)
        }
    }
}
