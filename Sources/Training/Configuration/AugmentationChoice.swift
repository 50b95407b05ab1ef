import Datasets

/// The augmentation of a run, and the transforms that follow from the configuration: one place
/// for training, resuming, evaluating and classifying to agree on the preprocessing.
extension TrainingConfiguration {
    /// The training augmentation: the stored spec, or for runs stored without one the augmentation
    /// they were trained with.
    public func augmentation(for kind: DatasetKind) throws -> AugmentationSpec {
        guard let augment else { return .legacy(for: kind) }
        return try Self.parseAugmentation(augment)
    }

    /// Stores the effective augmentation of a new run: `spec` in its canonical form, or the
    /// dataset's default when `spec` is nil (an unknown dataset is left for `RunSetup` to report).
    public mutating func resolveAugmentation(_ spec: String?) throws {
        if let spec {
            augment = try Self.parseAugmentation(spec).description
        } else if let kind = DatasetKind(rawValue: dataset) {
            augment = AugmentationSpec.standard(for: kind).description
        }
    }

    /// `spec` parsed, or a one-line `ConfigurationError` naming the flag, the spec and its bad part.
    public static func parseAugmentation(_ spec: String) throws -> AugmentationSpec {
        do {
            return try AugmentationSpec(parsing: spec)
        } catch {
            throw ConfigurationError("--augment \(spec): \(error)")
        }
    }

    /// How 1x28x28 images meet the network; throws naming the stored value if it is unknown.
    public func greyscale() throws -> Transform.GreyscaleAdaptation {
        guard let adaptation = Transform.GreyscaleAdaptation(rawValue: greyscaleAdaptation) else {
            throw ConfigurationError("--greyscale \(greyscaleAdaptation): expected one of \(Transform.GreyscaleAdaptation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return adaptation
    }

    /// The training transform for `channels`-channel images of `kind`: the run's augmentation,
    /// grey adaptation and CutMix.
    public func trainingTransform(for kind: DatasetKind, channels: Int) throws -> Transform {
        withOwnNormalization(try augmentation(for: kind).trainingTransform(for: kind, channels: channels, cutMix: cutMix ? CutMix() : nil,
                                                                           adaptation: try greyscale()), kind: kind)
    }

    /// The evaluation transform (the same for every augmentation): what `mpw eval` and any
    /// classification of new images with the run's model must use.
    public func evaluationTransform(for kind: DatasetKind, channels: Int) throws -> Transform {
        withOwnNormalization(Transform.standard(for: kind, training: false, channels: channels, adaptation: try greyscale()), kind: kind)
    }

    /// The run's measured statistics in place of the standard ones, for its own dataset only.
    private func withOwnNormalization(_ transform: Transform, kind: DatasetKind) -> Transform {
        guard let measuredNormalization, kind.rawValue == dataset else { return transform }
        var adjusted = transform
        adjusted.normalization = measuredNormalization.normalization
        return adjusted
    }
}
