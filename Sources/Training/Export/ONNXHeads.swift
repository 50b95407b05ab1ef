import MultiProxy
import NN

/// Every head's evaluation-mode forward pass as ONNX nodes, on (B, d, h, w) feature maps of
/// known d, h and w (the batch is dynamic).
extension ONNXGraph {
    /// The logits (B, K); throws `ONNXExportError` for a head or option that has no ONNX form.
    mutating func head(_ features: String, _ head: any ClassificationHead, channels: Int, height: Int, width: Int) throws -> String {
        switch head {
        case let gap as GlobalAveragePoolingHead:
            return linear(globalAveragePool(features), gap.fc)
        case let average as MultiFCAverageHead:
            let pooled = globalAveragePool(features)
            let outputs = average.fc.map { linear(pooled, $0) }
            let total = outputs.count == 1 ? outputs[0] : node("Sum", outputs)[0]
            return op("Mul", total, scalar(1 / Float(average.fc.count)))
        case let flatten as MultiFCFlattenHead:
            return linear(op("Flatten", features, attributes: [.int("axis", 1)]), flatten.fc)
        case let bilinear as BilinearPoolingHead:
            let vectors = spatialVectors(features, channels: channels)
            let outer = op("MatMul", op("Transpose", vectors, attributes: [.ints("perm", [0, 2, 1])]), vectors)
            let mean = op("Mul", outer, scalar(1 / Float(height * width)))
            let rows = op("Reshape", mean, int64s([-1, channels * channels]))
            return linear(l2NormalizedRows(signedSquareRoot(rows)), bilinear.fc)
        case let attention as AttentionPoolingHead:
            let maps = batchNorm(conv(features, attention.attention), attention.bn)
            let mapCount = attention.bn.weight.shape[0]
            let weights = spatialVectors(maps, channels: mapCount)
            let vectors = spatialVectors(features, channels: channels)
            let pooled = op("MatMul", op("Transpose", weights, attributes: [.ints("perm", [0, 2, 1])]), vectors)
            let mean = op("Mul", pooled, scalar(1 / Float(height * width)))
            let rows = op("Reshape", mean, int64s([-1, mapCount * channels]))
            let scaled = op("Mul", l2NormalizedRows(signedSquareRoot(rows)), scalar(AttentionPoolingHead.featureScale))
            return linear(scaled, attention.fc)
        case let proxies as MultiProxyHead:
            let scores = try multiProxy(features, proxies, channels: channels, positions: height * width)
            return proxies.bias.map { op("Add", scores, parameter($0)) } ?? scores
        default:
            throw ONNXExportError("the \(head.name) head has no ONNX export")
        }
    }
}
