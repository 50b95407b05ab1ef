import Models
import NN
import Tensors

/// The fine-tuning recipes of a run's configuration: which parameters the optimizer updates and
/// at what rates, and the forward pass when the backbone is frozen.
enum FineTuning {
    /// SGD over the trainable parameters: the head's only when the backbone is frozen; the
    /// backbone's at `backboneLearningRateScale` times the rate otherwise.
    static func optimizer(for model: ImageClassifier, configuration: TrainingConfiguration) -> SGD {
        let settings = configuration.fineTuning
        let backboneNames = Set(model.backbone.namedParameters().map(\.name))
        let parameters = model.namedParameters(includingBuffers: false).filter {
            !(settings?.freezeBackbone ?? false) || !backboneNames.contains($0.name)
        }
        let optimizer = SGD(parameters: parameters, learningRate: configuration.learningRate, momentum: configuration.momentum,
                            nesterov: configuration.nesterov, weightDecay: configuration.weightDecay,
                            decayNormalizationAndBias: configuration.decayNormalizationAndBias)
        if let scale = settings?.backboneLearningRateScale, scale != 1 {
            optimizer.learningRateScales = Dictionary(uniqueKeysWithValues: backboneNames.map { ($0, scale) })
        }
        return optimizer
    }

    /// The logits of a training step. A frozen backbone runs without recording gradients (in
    /// evaluation mode, set by the trainer), so the backward pass stops at its features.
    static func trainingForward(_ model: ImageClassifier, _ images: Tensor, freezeBackbone: Bool) -> Tensor {
        guard freezeBackbone else { return model(images) }
        let features = withoutGradients { model.backbone(images) }
        return model.head(features)
    }
}
