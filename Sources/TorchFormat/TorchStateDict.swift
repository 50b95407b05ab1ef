import Tensors

/// The tensors of a torch.save file's state dict, in the file's order and under the file's
/// names (a DataParallel `module.` prefix included).
public struct TorchStateDict: Sendable {
    public let path: String
    public let tensors: [(name: String, tensor: TorchTensor)]

    public init(path: String, tensors: [(name: String, tensor: TorchTensor)]) {
        self.path = path
        self.tensors = tensors
    }

    /// Every tensor as a Float32 `Tensor`, for `Module.load(stateDict:)`.
    public func floatTensors() -> [String: Tensor] {
        Dictionary(tensors.map { ($0.name, Tensor($0.tensor.floats, shape: $0.tensor.shape)) }, uniquingKeysWith: { _, last in last })
    }

    /// A safetensors file of exactly what was read: F32 for floating-point tensors, I64 for
    /// integers and bool.
    public func safeTensors() -> SafeTensorsWriter {
        var writer = SafeTensorsWriter()
        for (name, tensor) in tensors {
            switch tensor.values {
            case .floats(let floats): writer.add(name, Tensor(floats, shape: tensor.shape))
            case .integers(let integers): writer.add(name, int64s: integers, shape: tensor.shape)
            }
        }
        return writer
    }
}
