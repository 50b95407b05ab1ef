import Interchange
import ModelGraph
import Tensors

/// The graph's layer ops as ONNX nodes, in evaluation mode (batch norm with its running
/// statistics, as plain BatchNormalization nodes).
extension ONNXGraph {
    mutating func conv(_ input: String, _ layer: GraphOperation.Convolution) -> String {
        let inputs = [input, weight(layer.weight)] + (layer.bias.map { [weight($0)] } ?? [])
        let kernel = weightShape(layer.weight)[2...].map { $0 }
        let p = layer.padding
        return node("Conv", inputs, [.ints("kernel_shape", kernel), .ints("strides", [layer.stride, layer.stride]),
                                     .ints("pads", [p, p, p, p])])[0]
    }

    mutating func batchNorm(_ input: String, _ layer: GraphOperation.BatchNorm) -> String {
        node("BatchNormalization", [input, weight(layer.weight), weight(layer.bias), weight(layer.runningMean), weight(layer.runningVariance)],
             [.float("epsilon", layer.epsilon)])[0]
    }

    /// y = x·Wᵀ + b on (N, in) rows.
    mutating func linear(_ input: String, _ layer: GraphOperation.Linear) -> String {
        let inputs = [input, weight(layer.weight)] + (layer.bias.map { [weight($0)] } ?? [])
        return node("Gemm", inputs, [.int("transB", 1)])[0]
    }

    /// (N, C, H, W) to (N, C).
    mutating func globalAveragePool(_ input: String) -> String {
        op("Flatten", op("GlobalAveragePool", input), attributes: [.int("axis", 1)])
    }

    /// Padding counts in the mean, as the library's (PyTorch's count_include_pad) does.
    mutating func averagePool(_ input: String, _ p: GraphOperation.Pooling) -> String {
        op("AveragePool", input, attributes: [.ints("kernel_shape", [p.kernel, p.kernel]), .ints("strides", [p.stride, p.stride]),
                                              .ints("pads", [p.padding, p.padding, p.padding, p.padding]), .int("count_include_pad", 1)])
    }

    mutating func maxPool(_ input: String, _ p: GraphOperation.Pooling) -> String {
        op("MaxPool", input, attributes: [.ints("kernel_shape", [p.kernel, p.kernel]), .ints("strides", [p.stride, p.stride]),
                                          .ints("pads", [p.padding, p.padding, p.padding, p.padding])])
    }

    /// The feature vectors of (B, d, H, W) maps as (B, HW, d) rows.
    mutating func spatialVectors(_ input: String, channels: Int) -> String {
        let flat = op("Reshape", input, int64s([0, channels, -1]))
        return op("Transpose", flat, attributes: [.ints("perm", [0, 2, 1])])
    }

    /// Sum over `axes`, keeping them or not.
    mutating func reduceSum(_ input: String, axes: [Int], keep: Bool) -> String {
        op("ReduceSum", input, int64s(axes), attributes: [.int("keepdims", keep ? 1 : 0)])
    }

    /// sign(x)·√(|x| + ε), with x = 0 taken positive as the library does.
    mutating func signedSquareRoot(_ input: String, epsilon: Float = 1e-5) -> String {
        let root = op("Sqrt", op("Add", op("Abs", input), scalar(epsilon)))
        return op("Where", op("Less", input, scalar(0)), op("Neg", root), root)
    }

    /// Each row of (N, F) divided by max(‖row‖, ε), the norm's square clamped at ε².
    mutating func l2NormalizedRows(_ input: String, epsilon: Float = 1e-12) -> String {
        let squares = reduceSum(op("Mul", input, input), axes: [1], keep: true)
        return op("Div", input, op("Sqrt", op("Max", squares, scalar(epsilon * epsilon))))
    }
}
