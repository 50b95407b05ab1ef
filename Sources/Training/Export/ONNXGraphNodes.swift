import Interchange
import ModelGraph
import MultiProxy
import Tensors

/// A captured `ModelGraph` as ONNX nodes, op by op: nothing here knows a backbone or head type,
/// so any model the graph captures exports.
extension ONNXGraph {
    /// Appends the nodes of `node`, whose inputs are the ONNX values `x` of graph shapes `shapes`
    /// (batch first); returns the ONNX value of its output. Throws for settings that have no
    /// ONNX form.
    mutating func emit(_ node: GraphNode, _ x: [String], shapes: [[Int]]) throws -> String {
        switch node.operation {
        case .convolution(let c): return conv(x[0], c)
        case .batchNorm(let b): return batchNorm(x[0], b)
        case .relu: return op("Relu", x[0])
        case .add: return op("Add", x[0], x[1])
        case .concatenateChannels: return self.node("Concat", x, [.int("axis", 1)])[0]
        case .averagePool(let p): return averagePool(x[0], p)
        case .maxPool(let p): return maxPool(x[0], p)
        case .globalAveragePool: return globalAveragePool(x[0])
        case .zeroPadChannels(let channels):
            return op("Pad", x[0], int64s([0, 0, 0, 0, 0, channels - shapes[0][1], 0, 0]))
        case .linear(let l): return linear(x[0], l)
        case .flatten: return op("Flatten", x[0], attributes: [.int("axis", 1)])
        case .multiProxy(let head):
            let flow: MatchingFlow
            do { flow = try MatchingFlow(graphFlow: head.flow) } catch { throw ONNXExportError(error.description) }
            let (channels, positions) = (shapes[0][1], shapes[0][2] * shapes[0][3])
            let scores = try multiProxy(x[0], proxyWeights: head.proxies, matching: flow, channels: channels, positions: positions)
            return head.bias.map { op("Add", scores, weight($0)) } ?? scores
        case .multiFCAverage(let average):
            let pooled = globalAveragePool(x[0])
            let outputs = average.layers.map { linear(pooled, $0) }
            let total = outputs.count == 1 ? outputs[0] : self.node("Sum", outputs)[0]
            return op("Mul", total, scalar(1 / Float(average.layers.count)))
        case .bilinearPooling:
            let (channels, positions) = (shapes[0][1], shapes[0][2] * shapes[0][3])
            let vectors = spatialVectors(x[0], channels: channels)
            let outer = op("MatMul", op("Transpose", vectors, attributes: [.ints("perm", [0, 2, 1])]), vectors)
            let mean = op("Mul", outer, scalar(1 / Float(positions)))
            return l2NormalizedRows(signedSquareRoot(op("Reshape", mean, int64s([-1, channels * channels]))))
        case .attentionPooling(let scale):
            let (channels, positions, maps) = (shapes[0][1], shapes[0][2] * shapes[0][3], shapes[1][1])
            let weights = spatialVectors(x[1], channels: maps)
            let vectors = spatialVectors(x[0], channels: channels)
            let pooled = op("MatMul", op("Transpose", weights, attributes: [.ints("perm", [0, 2, 1])]), vectors)
            let mean = op("Mul", pooled, scalar(1 / Float(positions)))
            let rows = op("Reshape", mean, int64s([-1, maps * channels]))
            return op("Mul", l2NormalizedRows(signedSquareRoot(rows)), scalar(scale))
        }
    }
}
