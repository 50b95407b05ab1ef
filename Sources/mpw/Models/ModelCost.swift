import Models
import MultiProxy
import NN
import Tensors

/// Trainable parameters and multiply-accumulates (the paper's "FLOPs") of a model or a part of it.
struct ModelCost: Equatable {
    var parameters: Int
    var multiplyAccumulates: Int

    static func + (a: ModelCost, b: ModelCost) -> ModelCost {
        ModelCost(parameters: a.parameters + b.parameters, multiplyAccumulates: a.multiplyAccumulates + b.multiplyAccumulates)
    }

    static func - (a: ModelCost, b: ModelCost) -> ModelCost {
        ModelCost(parameters: a.parameters - b.parameters, multiplyAccumulates: a.multiplyAccumulates - b.multiplyAccumulates)
    }

    static func * (a: ModelCost, factor: Int) -> ModelCost {
        ModelCost(parameters: a.parameters * factor, multiplyAccumulates: a.multiplyAccumulates * factor)
    }
}

/// A backbone measured once on one 3-channel image, by the layers' own multiply-accumulate
/// counter. Its cost does not depend on the head or the classes, so every head is then measured
/// alone on the feature map that image produced (a classifier's cost is the sum of the two).
struct BackboneMeasurement {
    let inputSize: Int
    let cost: ModelCost
    /// (1, d, h, w): what the heads see.
    let features: Tensor

    /// Heads larger than this are not built: their parameters and MACs are affine in the class
    /// count (each head ends in a per-class layer), so they are measured at 1 and 2 classes and
    /// extrapolated. The bilinear head on ResNet-50's 2048 channels would otherwise need 17 GB
    /// for 1000 classes.
    static let largestBuiltHead = 250_000_000

    init(backbone: any Backbone, inputSize: Int) {
        backbone.eval()
        var generator = RandomGenerator(seed: 2)
        let image = Tensor.randomNormal([1, 3, inputSize, inputSize], generator: &generator)
        var features = Tensor(0)
        let multiplyAccumulates = MultiplyAccumulateCounter.count { features = withoutGradients { backbone(image) } }
        self.inputSize = inputSize
        self.features = features
        cost = ModelCost(parameters: backbone.parameterCount, multiplyAccumulates: multiplyAccumulates)
    }

    /// A zoo backbone, at its native input size unless `inputSize` is given.
    init(model: String, inputSize: Int? = nil) throws {
        var generator = RandomGenerator(seed: 1)
        let side = try inputSize ?? ModelZoo.inputSize(of: model)
        let classifier = try ModelZoo.classifier(model, head: HeadConfiguration(kind: .gapfc), classes: 1, inputSize: side,
                                                 generator: &generator)
        self.init(backbone: classifier.backbone, inputSize: side)
    }

    /// The head's cost on this feature map, and whether it was extrapolated rather than built.
    func head(_ configuration: HeadConfiguration, classes: Int) -> (cost: ModelCost, extrapolated: Bool) {
        guard classes > 2 else { return (measure(configuration, classes: classes), false) }
        let one = measure(configuration, classes: 1)
        let projected = one + (measure(configuration, classes: 2) - one) * (classes - 1)
        guard projected.parameters > Self.largestBuiltHead else { return (measure(configuration, classes: classes), false) }
        return (projected, true)
    }

    private func measure(_ configuration: HeadConfiguration, classes: Int) -> ModelCost {
        let complexity = configuration.complexity(on: features, classes: classes)
        return ModelCost(parameters: complexity.parameters, multiplyAccumulates: complexity.multiplyAccumulates)
    }
}
