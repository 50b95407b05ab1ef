/// Why a forward pass could not be captured as a `ModelGraph`: one line naming the op and the
/// module path at fault.
public struct GraphCaptureError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = "graph capture: " + description
    }
}
