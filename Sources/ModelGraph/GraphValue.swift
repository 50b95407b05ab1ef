/// One tensor flowing through a `ModelGraph`: its shape at capture (axis 0 is the batch).
public struct GraphValue: Sendable, Equatable, Codable {
    public var shape: [Int]

    public init(shape: [Int]) {
        self.shape = shape
    }
}
