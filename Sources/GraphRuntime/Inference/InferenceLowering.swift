import Kernels
import ModelGraph
import Tensors

/// The passes from a backbone's `ModelGraph` to `InferenceStep`s: BatchNorm folding into the
/// convolution before it (or into an unpadded 1x1 convolution after it), the ReLU and residual
/// sum after a convolution as its epilogue, a pre-activation BN-ReLU read by one convolution fed
/// straight into it, everything else one step per node. A node is absorbed only when its input is
/// read by nothing else, so the steps compute exactly what the graph does.
struct InferenceLowering {
    let graph: ModelGraph
    let weights: [String: Tensor]
    let algorithm: ConvolutionAlgorithm
    /// How many nodes (and graph outputs) read each value.
    private let readers: [Int]
    /// The node that writes each value, if any.
    private let writer: [Int: Int]
    /// The single node that reads each value read exactly once.
    private let soleReader: [Int: Int]

    init(graph: ModelGraph, weights: [String: Tensor], algorithm: ConvolutionAlgorithm) {
        self.graph = graph
        self.weights = weights
        self.algorithm = algorithm
        var readers = [Int](repeating: 0, count: graph.values.count)
        var reader: [Int: Int] = [:], writer: [Int: Int] = [:]
        for (index, node) in graph.nodes.enumerated() {
            writer[node.output] = index
            for input in node.inputs {
                readers[input] += 1
                reader[input] = index
            }
        }
        for output in graph.outputs { readers[output] += 1 }
        self.readers = readers
        self.writer = writer
        soleReader = reader.filter { readers[$0.key] == 1 }
    }

    /// The steps in an order that respects every read; throws naming the first node outside the
    /// backbone op set (a head, a linear layer), which the plan does not run.
    func steps() throws(GraphInterpreterError) -> [InferenceStep] {
        var groups = convolutionGroups()
        var claimed = Set(groups.values.flatMap(\.nodes))
        for (index, node) in graph.nodes.enumerated() {
            guard case .batchNorm = node.operation, !claimed.contains(index) else { continue }
            if let group = preActivatedGroup(norm: index, groups: groups) {
                groups[group.convolution] = nil
                groups[index] = group
                claimed.formUnion(group.nodes)
            } else if let relu = reluAfter(norm: index) {
                claimed.insert(relu)
            }
        }
        // A group runs where its last node stood: every value it reads is written by then.
        var byLastNode: [Int: Group] = [:]
        for group in groups.values { byLastNode[group.nodes.max()!] = group }
        var steps: [InferenceStep] = []
        for (index, node) in graph.nodes.enumerated() {
            if let group = byLastNode[index] {
                steps.append(step(group))
            } else if !claimed.contains(index) {
                steps.append(try step(node, index: index))
            }
        }
        return steps
    }

    /// A fused unit: a convolution with what folds into it, or a pre-activated convolution.
    private struct Group {
        var convolution: Int
        var inputNorm: Int?
        var outputNorm: Int?
        var residual: Int?
        var relu = false
        var preActivation: (norm: Int, relu: Bool, slices: [Int])?
        var nodes: [Int]
        var output: Int
    }

    /// Each convolution with the BatchNorm after it, then a residual sum, then a ReLU, as far as
    /// each intermediate value has that next node as its only reader; then the unclaimed
    /// BatchNorms (no ReLU) before unpadded 1x1 convolutions.
    private func convolutionGroups() -> [Int: Group] {
        var groups: [Int: Group] = [:]
        // A sum of two convolutions' outputs goes to the first one that reaches it.
        var taken = Set<Int>()
        for (index, node) in graph.nodes.enumerated() {
            guard case .convolution = node.operation else { continue }
            var group = Group(convolution: index, nodes: [index], output: node.output)
            func next() -> Int? { reader(of: group.output).flatMap { taken.contains($0) ? nil : $0 } }
            if let next = next(), case .batchNorm = graph.nodes[next].operation {
                group.outputNorm = next
                absorb(next, into: &group)
            }
            if let next = next(), case .add = graph.nodes[next].operation, graph.nodes[next].inputs.count == 2,
               let other = graph.nodes[next].inputs.first(where: { $0 != group.output }) {
                group.residual = other
                absorb(next, into: &group)
            }
            if let next = next(), case .relu = graph.nodes[next].operation {
                group.relu = true
                absorb(next, into: &group)
            }
            taken.formUnion(group.nodes)
            groups[index] = group
        }
        let outputNorms = Set(groups.values.compactMap(\.outputNorm))
        for (index, var group) in groups {
            let input = graph.nodes[index].inputs[0]
            guard case .convolution(let c) = graph.nodes[index].operation, c.padding == 0, weights[c.weight]?.shape[2] == 1,
                  readers[input] == 1, let norm = writer[input], !outputNorms.contains(norm),
                  case .batchNorm = graph.nodes[norm].operation else { continue }
            group.inputNorm = norm
            group.nodes.append(norm)
            groups[index] = group
        }
        return groups
    }

    /// BN(-ReLU) whose only reader is a bias-free convolution that absorbed nothing after it.
    private func preActivatedGroup(norm: Int, groups: [Int: Group]) -> Group? {
        var nodes = [norm], end = graph.nodes[norm].output, relu = false
        if let next = reader(of: end), case .relu = graph.nodes[next].operation {
            relu = true
            nodes.append(next)
            end = graph.nodes[next].output
        }
        guard let convolution = reader(of: end), case .convolution(let c) = graph.nodes[convolution].operation, c.bias == nil,
              let group = groups[convolution], group.nodes == [convolution] else { return nil }
        var slices = graph.nodes[norm].inputs
        if let concatenation = writer[slices[0]], readers[slices[0]] == 1, case .concatenateChannels = graph.nodes[concatenation].operation {
            slices = graph.nodes[concatenation].inputs
            nodes.append(concatenation)
        }
        return Group(convolution: convolution, preActivation: (norm, relu, slices), nodes: nodes + [convolution],
                     output: graph.nodes[convolution].output)
    }

    private func reader(of value: Int) -> Int? { soleReader[value] }

    /// The ReLU that is the only reader of a BatchNorm's output, which the norm's step applies.
    private func reluAfter(norm: Int) -> Int? {
        guard let next = reader(of: graph.nodes[norm].output), case .relu = graph.nodes[next].operation else { return nil }
        return next
    }

    private func absorb(_ node: Int, into group: inout Group) {
        group.nodes.append(node)
        group.output = graph.nodes[node].output
    }

    private func step(_ group: Group) -> InferenceStep {
        guard case .convolution(let c) = graph.nodes[group.convolution].operation else { preconditionFailure("a group starts at a convolution") }
        if let (norm, relu, slices) = group.preActivation {
            let convolution = PreActivatedConvolution(norm: self.norm(norm), relu: relu, filters: weights[c.weight]!, stride: c.stride,
                                                      padding: c.padding)
            return InferenceStep(kind: .preActivatedConvolution(convolution), inputs: slices, output: group.output, nodes: group.nodes.sorted())
        }
        let convolution = FoldedConvolution(weight: weights[c.weight]!, bias: c.bias.map { weights[$0]! }, stride: c.stride, padding: c.padding,
                                            inputNorm: group.inputNorm.map(norm), outputNorm: group.outputNorm.map(norm),
                                            addsResidual: group.residual != nil, relu: group.relu, algorithm: algorithm)
        let input = group.inputNorm.map { graph.nodes[$0].inputs[0] } ?? graph.nodes[group.convolution].inputs[0]
        return InferenceStep(kind: .convolution(convolution, residual: group.residual), inputs: [input], output: group.output,
                             nodes: group.nodes.sorted())
    }

    private func norm(_ node: Int) -> NormParameters {
        guard case .batchNorm(let b) = graph.nodes[node].operation else { preconditionFailure("node \(node) is not a batch norm") }
        return NormParameters(weight: weights[b.weight]!, bias: weights[b.bias]!, runningMean: weights[b.runningMean]!,
                              runningVariance: weights[b.runningVariance]!, epsilon: b.epsilon)
    }

    private func step(_ node: GraphNode, index: Int) throws(GraphInterpreterError) -> InferenceStep {
        let kind: InferenceStep.Kind
        let inputs = node.inputs
        var nodes = [index]
        switch node.operation {
        case .batchNorm:
            let relu = reluAfter(norm: index)
            if let relu { nodes.append(relu) }
            kind = .normalization(FrozenBatchNorm(parameters: norm(index), relu: relu != nil))
            return InferenceStep(kind: kind, inputs: inputs, output: graph.nodes[nodes.last!].output, nodes: nodes)
        case .relu, .add, .concatenateChannels, .averagePool, .maxPool, .globalAveragePool, .zeroPadChannels, .flatten:
            kind = .weightFree(node.operation)
        case .convolution, .linear, .multiProxy, .multiFCAverage, .bilinearPooling, .attentionPooling:
            throw GraphInterpreterError("node \(index) (\(node.operation.kind) at '\(node.module)') is not a backbone op the inference plan runs")
        }
        return InferenceStep(kind: kind, inputs: inputs, output: node.output, nodes: nodes)
    }
}
