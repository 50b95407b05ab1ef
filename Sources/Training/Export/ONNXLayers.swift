import Interchange
import NN
import Tensors

/// The library's layers as ONNX nodes, in evaluation mode (BatchNorm with its running
/// statistics, as plain BatchNormalization nodes).
extension ONNXGraph {
    mutating func conv(_ input: String, _ layer: Conv2d) -> String {
        let inputs = [input, parameter(layer.weight)] + (layer.bias.map { [parameter($0)] } ?? [])
        let p = layer.padding
        return node("Conv", inputs, [.ints("kernel_shape", [layer.kernelSize, layer.kernelSize]), .ints("strides", [layer.stride, layer.stride]),
                                     .ints("pads", [p, p, p, p])])[0]
    }

    /// BatchNormalization, followed by Relu when the layer fuses one.
    mutating func batchNorm(_ input: String, _ layer: BatchNorm2d) -> String {
        let normalized = node("BatchNormalization", [input, parameter(layer.weight), parameter(layer.bias),
                                                     parameter(layer.runningMean), parameter(layer.runningVariance)],
                              [.float("epsilon", layer.epsilon)])[0]
        return layer.fusedReLU ? op("Relu", normalized) : normalized
    }

    /// y = x·Wᵀ + b on (N, in) rows.
    mutating func linear(_ input: String, _ layer: Linear) -> String {
        let inputs = [input, parameter(layer.weight)] + (layer.bias.map { [parameter($0)] } ?? [])
        return node("Gemm", inputs, [.int("transB", 1)])[0]
    }

    mutating func relu(_ input: String) -> String { op("Relu", input) }

    mutating func add(_ a: String, _ b: String) -> String { op("Add", a, b) }

    /// (N, C, H, W) to (N, C).
    mutating func globalAveragePool(_ input: String) -> String {
        op("Flatten", op("GlobalAveragePool", input), attributes: [.int("axis", 1)])
    }

    mutating func averagePool(_ input: String, kernel: Int) -> String {
        op("AveragePool", input, attributes: [.ints("kernel_shape", [kernel, kernel]), .ints("strides", [kernel, kernel])])
    }

    mutating func maxPool(_ input: String, kernel: Int, stride: Int, padding: Int) -> String {
        op("MaxPool", input, attributes: [.ints("kernel_shape", [kernel, kernel]), .ints("strides", [stride, stride]),
                                          .ints("pads", [padding, padding, padding, padding])])
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
