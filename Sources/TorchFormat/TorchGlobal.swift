/// The globals a torch.save pickle may name, and nothing else: the tensor and parameter
/// rebuilders, the storage types, OrderedDict, and inert records of the plain-data classes
/// training scripts put in checkpoints (argparse.Namespace, bytes via _codecs.encode). Any other
/// global is refused by name, before anything is built from it.
enum TorchGlobal: Equatable {
    case rebuildTensor
    case rebuildParameter
    case rebuildParameterWithState
    case storageType(TorchDType)
    case orderedDict
    case encode
    case plainRecord(String)

    init?(module: String, name: String) {
        switch (module, name) {
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameterWithState
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("_codecs", "encode"): self = .encode
        case ("argparse", "Namespace"): self = .plainRecord("argparse.Namespace")
        case ("torch", _):
            guard let dtype = TorchDType(storageName: name) else { return nil }
            self = .storageType(dtype)
        default: return nil
        }
    }

    var qualifiedName: String {
        switch self {
        case .rebuildTensor: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case .storageType(let dtype): return "torch storage \(dtype)"
        case .orderedDict: return "collections.OrderedDict"
        case .encode: return "_codecs.encode"
        case .plainRecord(let name): return name
        }
    }
}
