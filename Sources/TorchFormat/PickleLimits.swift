/// Caps on the symbolic pickle machine and the tensors it describes, so that no crafted file can
/// make the reader exhaust memory or stack. Real torch.save files stay far below them: a
/// ResNet-50 state dict uses about 3,000 memo entries, a stack of 640 items and nesting depth 6.
public struct PickleLimits: Sendable {
    /// Memo entries (BINPUT targets) held at once.
    public var memoEntries = 1 << 22
    /// Items on the stack, all marks together.
    public var stackItems = 1 << 22
    /// Open marks, and containers nested in containers.
    public var nesting = 200
    /// Dimensions of one tensor.
    public var dimensions = 64
    /// Bytes of converted tensors in all, beyond 16 times the file's size (tensors may share
    /// storages and one-byte types grow eightfold to Int64).
    public var extraOutputBytes = 1 << 26

    public init() {}

    public static let standard = PickleLimits()
}
