/// Why a checkpoint cannot be exported: one line naming the head, option or file at fault.
public struct ONNXExportError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}
