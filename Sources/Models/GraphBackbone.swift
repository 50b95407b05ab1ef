import GraphRuntime
import ModelGraph
import NN
import Tensors

/// A backbone defined by a captured graph and its weights instead of Swift code: what a
/// self-describing checkpoint of a model outside the zoo loads as, so evaluation, prediction,
/// explanation, export and serving run it without the code that trained it. Its parameters
/// carry the graph's state-dict names; it runs forward only (the interpreter), and its
/// inference form is the graph lowered as any captured backbone's is.
public final class GraphBackbone: Module, Backbone, GraphDefined {
    public let definition: ModelGraph
    private let parameters: [(name: String, parameter: Parameter)]

    /// Weights start at zero: load them from the checkpoint (`Module.load`).
    public init(graph: ModelGraph) throws(GraphInterpreterError) {
        if let problem = graph.structuralProblem { throw GraphInterpreterError(problem) }
        guard graph.inputs.count == 1, graph.outputs.count == 1, graph.values[graph.outputs[0]].shape.count == 4,
              graph.values[graph.inputs[0]].shape.count == 4, graph.nodes.last?.output == graph.outputs[0] else {
            throw GraphInterpreterError("a backbone graph maps one (N, C, H, W) input to one (N, C, H, W) feature map, its last node's output")
        }
        var roles: [String: Parameter.Role] = [:]
        for node in graph.nodes {
            switch node.operation {
            case .convolution(let c): roles[c.weight] = .weight; c.bias.map { roles[$0] = .bias }
            case .batchNorm(let b):
                roles[b.weight] = .normalization
                roles[b.bias] = .normalization
                roles[b.runningMean] = .buffer
                roles[b.runningVariance] = .buffer
            default: for name in node.operation.parameterNames { roles[name] = .weight }
            }
        }
        definition = graph
        var parameters = graph.parameters.keys.sorted().map { name in
            (name: name, parameter: Parameter(Tensor.zeros(graph.parameters[name]!), role: roles[name] ?? .weight))
        }
        // BatchNorm's step counter, which the state dict holds and no op reads.
        for node in graph.nodes {
            guard case .batchNorm(let b) = node.operation, b.runningMean.hasSuffix("running_mean") else { continue }
            let name = String(b.runningMean.dropLast("running_mean".count)) + "num_batches_tracked"
            parameters.append((name, Parameter(Tensor.zeros([]), role: .buffer, isInteger: true)))
        }
        self.parameters = parameters
    }

    override public var namedOwnParameters: [(name: String, parameter: Parameter)] { parameters }

    public var featureChannels: Int { definition.values[definition.outputs[0]].shape[1] }

    /// The input side over the feature map's side at capture.
    public var downsampling: Int {
        let input = definition.values[definition.inputs[0]].shape[2], output = definition.values[definition.outputs[0]].shape[2]
        return max(1, input / max(1, output))
    }

    /// The feature map, by the graph interpreter on the current weights (forward only). Under
    /// graph capture (a classifier around it being exported) it records the stored graph's nodes.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        Tensor.traced([images], module: self) {
            let weights = Dictionary(parameters.map { ($0.name, $0.parameter.value) }, uniquingKeysWith: { first, _ in first })
            do {
                return try GraphInterpreter(graph: definition, stateDict: weights)(images)
            } catch {
                preconditionFailure("GraphBackbone: \(error)")
            }
        } record: { recorder, operands, _ in
            splice(into: recorder, input: operands[0])
        }
    }

    /// Appends every stored node but the last to `recorder`, values renumbered and weights named
    /// as the recorder's root names them, and returns the last for the caller to append.
    private func splice(into recorder: GraphRecorder, input: Int) -> (GraphOperation, [Int]) {
        let byName = Dictionary(parameters.map { ($0.name, $0.parameter) }, uniquingKeysWith: { first, _ in first })
        let rename = { (name: String) in recorder.name(of: byName[name]!, module: self) }
        var mapped = [definition.inputs[0]: input]
        for node in definition.nodes.dropLast() {
            let output = recorder.newValue(shape: definition.values[node.output].shape)
            recorder.append(node.operation.renamingParameters(rename), inputs: node.inputs.map { mapped[$0]! }, output: output, module: self)
            mapped[node.output] = output
        }
        let last = definition.nodes[definition.nodes.count - 1]
        return (last.operation.renamingParameters(rename), last.inputs.map { mapped[$0]! })
    }
}
