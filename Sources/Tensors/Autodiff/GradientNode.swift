import Synchronization

/// One node of the autodiff graph: a leaf (a tensor the user asked gradients for) or the output
/// of a recorded op, holding that op's backward function and the nodes of its inputs.
final class GradientNode: @unchecked Sendable {
    private static let counter = Atomic<UInt64>(0)

    /// Creation order. An op's node is created after its inputs', so descending ids are a
    /// topological order of the graph.
    let id: UInt64
    let op: String
    let shape: [Int]
    let format: MemoryFormat
    /// Aligned with the op's inputs; nil for inputs that need no gradient.
    var inputs: [GradientNode?]
    /// Maps the output's gradient to one gradient per input (nil where not needed).
    var backward: ((Tensor) -> [Tensor?])?
    /// The accumulated gradient of a leaf.
    var grad: Tensor?
    /// Set once a backward pass has run through this op node and dropped its saved tensors.
    var isReleased = false

    init(op: String, shape: [Int], format: MemoryFormat, inputs: [GradientNode?] = [], backward: ((Tensor) -> [Tensor?])? = nil) {
        id = GradientNode.counter.add(1, ordering: .relaxed).newValue
        self.op = op
        self.shape = shape
        self.format = format
        self.inputs = inputs
        self.backward = backward
    }
}
