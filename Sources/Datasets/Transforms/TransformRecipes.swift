/// The standard training and evaluation transforms of the paper's datasets.
extension Transform {
    /// How 1×28×28 images (MNIST, Fashion-MNIST) meet networks built for 3×32×32 CIFAR images.
    public enum GreyscaleAdaptation: String, Sendable, CaseIterable {
        /// Keep 1×28×28: the network's stem takes one channel and its pooling adapts to 28x28.
        case none
        /// Pad 2 zero pixels on every side to 1×32×32 (the network's stem takes one channel).
        case padTo32 = "pad-to-32"
        /// Pad to 32x32 and repeat the grey channel three times: the unmodified CIFAR network.
        case padTo32RGB = "pad-to-32-rgb"

        /// The steps that come before the augmentation; empty for 3-channel datasets.
        public func steps(channels: Int) -> [TransformStep] {
            guard channels == 1 else { return [] }
            switch self {
            case .none: return []
            case .padTo32: return [.pad(2)]
            case .padTo32RGB: return [.pad(2), .repeatChannels(3)]
            }
        }
    }

    /// The CIFAR recipe: `RandomCrop(32, padding: 4)`, `RandomHorizontalFlip()`, normalise; with
    /// `cutMix` for the PyramidNet recipe. `adaptation` first brings 28x28 grey images to 32x32.
    public static func cifarTraining(normalization: Normalization, cutMix: CutMix? = nil,
                                     channels: Int = 3, adaptation: GreyscaleAdaptation = .padTo32) -> Transform {
        let size = adaptation == .none && channels == 1 ? 28 : 32
        return Transform(steps: adaptation.steps(channels: channels) + [.randomCrop(size: size, padding: 4), .horizontalFlip(probability: 0.5)],
                         normalization: normalization, cutMix: cutMix)
    }

    /// Evaluation for CIFAR-sized datasets: normalise only (after the same grey adaptation).
    public static func cifarEvaluation(normalization: Normalization, channels: Int = 3,
                                       adaptation: GreyscaleAdaptation = .padTo32) -> Transform {
        Transform(steps: adaptation.steps(channels: channels), normalization: normalization)
    }

    /// The ImageNet training recipe: `RandomResizedCrop(size, scale: 0.08...1, ratio: 3/4...4/3)`,
    /// `RandomHorizontalFlip()`, normalise with ImageNet statistics.
    public static func imageNetTraining(size: Int = 224, normalization: Normalization = .imageNet, cutMix: CutMix? = nil) -> Transform {
        Transform(steps: [.randomResizedCrop(size: size, scale: 0.08...1, ratio: (3.0 / 4.0)...(4.0 / 3.0)),
                          .horizontalFlip(probability: 0.5)],
                  normalization: normalization, cutMix: cutMix)
    }

    /// The ImageNet evaluation recipe: `Resize(256)`, `CenterCrop(224)`, normalise.
    public static func imageNetEvaluation(resize: Int = 256, crop: Int = 224, normalization: Normalization = .imageNet) -> Transform {
        Transform(steps: [.resizeShortSide(resize), .centerCrop(crop)], normalization: normalization)
    }

    /// The standard transform for a dataset kind. Training: `augmentation`, by default the
    /// dataset's (`AugmentationSpec.standard(for:)`), after the grey adaptation. Evaluation: the
    /// grey adaptation only for CIFAR and IDX datasets, the ImageNet evaluation recipe for image
    /// folders; it is the same whatever the training augmentation was.
    public static func standard(for kind: DatasetKind, training: Bool, channels: Int, cutMix: CutMix? = nil,
                                adaptation: GreyscaleAdaptation = .padTo32, augmentation: AugmentationSpec? = nil) -> Transform {
        if training {
            return (augmentation ?? .standard(for: kind)).trainingTransform(for: kind, channels: channels, cutMix: cutMix, adaptation: adaptation)
        }
        return kind == .folder ? imageNetEvaluation(normalization: kind.normalization)
                               : cifarEvaluation(normalization: kind.normalization, channels: channels, adaptation: adaptation)
    }
}
