import Tensors

/// Weight initialisations of torchvision's models.
public enum Initialization {
    /// Kaiming-normal with fan-out and the ReLU gain: N(0, 2 / (out_channels · kh · kw)),
    /// torchvision's choice for every convolution of its ResNets.
    public static func kaimingNormalFanOut(_ shape: [Int], generator: inout RandomGenerator) -> Tensor {
        let fanOut = shape[0] * shape.dropFirst(2).reduce(1, *)
        return .randomNormal(shape, standardDeviation: (2 / Float(fanOut)).squareRoot(), generator: &generator)
    }
}
