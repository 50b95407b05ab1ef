import ModelGraph
import MultiProxy
import NN
import Tensors

/// Runs a `ModelGraph` node by node with a state dict's weights, on the library's own ops: the
/// reference every derived form (ONNX, the inference passes, int8) is checked against. It equals
/// the captured module's evaluation-mode forward pass.
public struct GraphInterpreter: Sendable {
    public let graph: ModelGraph
    private let weights: [String: Tensor]
    /// The matching flow of each multi-proxy node, by node index.
    private let flows: [Int: MatchingFlow]

    /// Checks that `stateDict` holds every weight the graph names, in the graph's shapes, and
    /// that every op's settings are runnable; the error is one line naming the first fault.
    public init(graph: ModelGraph, stateDict: [String: Tensor]) throws(GraphInterpreterError) {
        if let problem = graph.structuralProblem { throw GraphInterpreterError(problem) }
        var weights: [String: Tensor] = [:]
        for (name, shape) in graph.parameters.sorted(by: { $0.key < $1.key }) {
            guard let tensor = stateDict[name] else { throw GraphInterpreterError("the state dict has no '\(name)'") }
            guard tensor.shape == shape else {
                throw GraphInterpreterError("'\(name)' has shape \(Shape.describe(tensor.shape)) in the state dict, \(Shape.describe(shape)) in the graph")
            }
            weights[name] = tensor.detached()
        }
        var flows: [Int: MatchingFlow] = [:]
        for (index, node) in graph.nodes.enumerated() {
            guard case .multiProxy(let head) = node.operation else { continue }
            do { flows[index] = try MatchingFlow(graphFlow: head.flow) } catch {
                throw GraphInterpreterError("node \(index) at '\(node.module)': \(error)")
            }
        }
        self.graph = graph
        self.weights = weights
        self.flows = flows
    }

    /// The graph's outputs for `inputs` (one per graph input, any batch size).
    public func run(_ inputs: [Tensor]) throws(GraphInterpreterError) -> [Tensor] {
        guard inputs.count == graph.inputs.count else {
            throw GraphInterpreterError("the graph takes \(graph.inputs.count) inputs, got \(inputs.count)")
        }
        var values: [Int: Tensor] = [:]
        for (tensor, id) in zip(inputs, graph.inputs) {
            let expected = graph.values[id].shape
            guard tensor.rank == expected.count, tensor.shape.dropFirst() == expected.dropFirst() else {
                throw GraphInterpreterError("input \(id) has shape \(Shape.describe(tensor.shape)), the graph needs [batch, \(expected.dropFirst().map(String.init).joined(separator: ", "))]")
            }
            values[id] = tensor.detached()
        }
        withoutGradients {
            for (index, node) in graph.nodes.enumerated() {
                values[node.output] = evaluate(node, index: index, node.inputs.map { values[$0]! })
            }
        }
        return graph.outputs.map { values[$0]! }
    }

    /// The single output of a single-input graph.
    public func callAsFunction(_ input: Tensor) throws(GraphInterpreterError) -> Tensor {
        try run([input])[0]
    }

    private func evaluate(_ node: GraphNode, index: Int, _ x: [Tensor]) -> Tensor {
        switch node.operation {
        case .convolution(let c):
            return x[0].convolved2D(weight: weights[c.weight]!, bias: c.bias.map { weights[$0]! }, stride: c.stride, padding: c.padding)
        case .batchNorm(let b):
            return BatchNormalization.evaluation(x[0], weight: weights[b.weight]!, bias: weights[b.bias]!, runningMean: weights[b.runningMean]!,
                                                 runningVariance: weights[b.runningVariance]!, epsilon: b.epsilon, fusedReLU: false)
        case .relu, .add, .concatenateChannels, .averagePool, .maxPool, .globalAveragePool, .zeroPadChannels, .flatten:
            return node.operation.applyWithoutWeights(x)!
        case .linear(let l): return linear(x[0], l)
        case .multiProxy(let head):
            return MultiProxyHead.scores(features: x[0], proxies: weights[head.proxies]!, bias: head.bias.map { weights[$0]! }, flow: flows[index]!)
        case .multiFCAverage(let average):
            let pooled = x[0].globalAveragePooled()
            let sum = average.layers.dropFirst().reduce(linear(pooled, average.layers[0])) { $0 + linear(pooled, $1) }
            return sum * (1 / Float(average.layers.count))
        case .bilinearPooling: return BilinearPoolingHead.pooled(x[0])
        case .attentionPooling(let scale): return AttentionPoolingHead.pooled(x[0], maps: x[1], scale: scale)
        }
    }

    /// As `Linear` computes it in float32: the product, then the bias.
    private func linear(_ x: Tensor, _ layer: GraphOperation.Linear) -> Tensor {
        let product = Tensor.matmul(x, weights[layer.weight]!, transposeB: true)
        return layer.bias.map { product + weights[$0]! } ?? product
    }
}

/// A graph the interpreter cannot run with the given weights or inputs: one line.
public struct GraphInterpreterError: Error, CustomStringConvertible {
    public let description: String

    package init(_ reason: String) {
        description = "graph interpreter: " + reason
    }
}
