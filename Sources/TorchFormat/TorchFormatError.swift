/// A file `torch.save` did not write, or wrote in a way this reader refuses: one line naming the
/// file and, where it helps, the byte offset or the entry at fault.
public struct TorchFormatError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String

    public init(path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
