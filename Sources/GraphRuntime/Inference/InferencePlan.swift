import Kernels
import ModelGraph
import NN
import Tensors

/// A backbone's graph lowered to the inference kernels (`InferenceLowering`): BatchNorm folded,
/// ReLUs and residual sums fused into the convolutions, no autodiff. Activations pass between
/// steps channels-last; each is released after its last reader, and a residual whose last
/// reader is the convolution that adds it is accumulated into in place, so a pass holds only the
/// activations still to be read. Made once from the weights: make a new one after they change.
public struct InferencePlan {
    public let graph: ModelGraph
    let steps: [InferenceStep]
    /// The index of the last step that reads each value (graph outputs: past the end).
    private let lastRead: [Int]

    /// Lowers `graph` (one image input, one feature-map output, backbone ops only) with the
    /// weights it names. Throws one line naming the first fault: a missing or misshapen weight,
    /// or a node outside the backbone op set.
    public init(graph: ModelGraph, weights: [String: Tensor], convolutions: ConvolutionAlgorithm = Convolution.algorithm)
        throws(GraphInterpreterError) {
        if let problem = graph.structuralProblem { throw GraphInterpreterError(problem) }
        guard graph.inputs.count == 1, graph.outputs.count == 1 else {
            throw GraphInterpreterError("an inference plan runs a graph of one input and one output, this one has \(graph.inputs.count) and \(graph.outputs.count)")
        }
        for (name, shape) in graph.parameters.sorted(by: { $0.key < $1.key }) {
            guard let tensor = weights[name] else { throw GraphInterpreterError("the weights have no '\(name)'") }
            guard tensor.shape == shape else {
                throw GraphInterpreterError("'\(name)' has shape \(Shape.describe(tensor.shape)) in the weights, \(Shape.describe(shape)) in the graph")
            }
        }
        let steps = try InferenceLowering(graph: graph, weights: weights, algorithm: convolutions).steps()
        var lastRead = [Int](repeating: -1, count: graph.values.count)
        for (index, step) in steps.enumerated() {
            for value in step.reads { lastRead[value] = index }
        }
        for output in graph.outputs { lastRead[output] = steps.count }
        self.graph = graph
        self.steps = steps
        self.lastRead = lastRead
    }

    /// How many steps the graph's nodes became (fewer than the nodes where fusion applied).
    public var stepCount: Int { steps.count }

    /// The feature map of (N, C, H, W) images; call without gradient recording.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        var values = [Tensor?](repeating: nil, count: graph.values.count)
        values[graph.inputs[0]] = images
        for (index, step) in steps.enumerated() {
            values[step.output] = run(step, at: index, &values)
            for value in step.reads where lastRead[value] == index { values[value] = nil }
        }
        return values[graph.outputs[0]]!
    }

    private func run(_ step: InferenceStep, at index: Int, _ values: inout [Tensor?]) -> Tensor {
        let x = step.inputs.map { values[$0]! }
        switch step.kind {
        case .convolution(let convolution, let residual?):
            // Taken out of the table when this is its last reader, so the sum is written in place.
            let sum = values[residual]!
            if lastRead[residual] == index { values[residual] = nil }
            return convolution(x[0], adding: sum)
        case .convolution(let convolution, nil): return convolution(x[0])
        case .preActivatedConvolution(let convolution): return convolution(x)
        case .normalization(let norm): return norm(x[0])
        case .weightFree(let operation): return operation.applyWithoutWeights(x)!
        }
    }
}
