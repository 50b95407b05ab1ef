/// One op applied to graph values: `inputs` and `output` are value ids, `module` the dotted path
/// of the module whose forward ran it ("layers.0.c1"; "" for the model itself), so passes and
/// error messages can point back at the definition.
public struct GraphNode: Sendable, Equatable {
    public var operation: GraphOperation
    public var inputs: [Int]
    public var output: Int
    public var module: String

    public init(operation: GraphOperation, inputs: [Int], output: Int, module: String) {
        self.operation = operation
        self.inputs = inputs
        self.output = output
        self.module = module
    }
}
