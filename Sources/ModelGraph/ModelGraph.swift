/// A model's evaluation-mode forward pass as data: values with their shapes, and nodes of a small
/// op set that read values and write one value each, in execution order.
///
/// The graph is captured once from a `Module`'s own forward (see `GraphRecorder`) and every other
/// form of the model is derived from it: the interpreter, ONNX export, later the inference passes
/// and int8 quantization. Weights are not copied into the graph: nodes name them by their
/// state-dict names (`layers.0.c1.weight`), so a graph plus a state dict is a complete model.
///
/// Shapes are those seen at capture, with a batch of one: axis 0 of every value is the batch and
/// may take any size when the graph runs; the other axes are fixed.
public struct ModelGraph: Sendable, Equatable {
    /// The `format` field of the serialised form.
    public static let formatName = "mpw-graph"
    /// The version this library writes and reads; bumped whenever a field changes meaning.
    public static let version = 1

    /// Every value; a value's id is its index.
    public var values: [GraphValue]
    /// The values the caller supplies (the images), by id.
    public var inputs: [Int]
    /// The values the graph returns (the logits), by id.
    public var outputs: [Int]
    /// The nodes in execution order: each reads only graph inputs and earlier nodes' outputs.
    public var nodes: [GraphNode]
    /// The shape of every state-dict entry a node names, by name.
    public var parameters: [String: [Int]]

    public init(values: [GraphValue], inputs: [Int], outputs: [Int], nodes: [GraphNode], parameters: [String: [Int]]) {
        self.values = values
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = nodes
        self.parameters = parameters
    }

    /// How many nodes of each op kind the graph holds, by `GraphOperation.kind`.
    public var operationCounts: [String: Int] {
        nodes.reduce(into: [:]) { $0[$1.operation.kind, default: 0] += 1 }
    }
}
