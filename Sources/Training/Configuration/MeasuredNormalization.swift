import Datasets

/// The channel statistics of a run's own training split, for datasets whose standard ones cannot
/// be known in advance: `mnist-idx` reads any dataset in MNIST's IDX layout, and MNIST's mean and
/// standard deviation would mis-scale every other one. Measured once when a run starts and stored
/// with it, so resuming, evaluating and classifying normalise exactly as training did.
public struct MeasuredNormalization: Codable, Sendable, Equatable {
    public var mean: [Float]
    public var standardDeviation: [Float]

    public var normalization: Normalization { Normalization(mean: mean, standardDeviation: standardDeviation) }

    /// Measures the training split the configuration names (after `--limit-train`); refuses a split
    /// without contrast, which no normalisation can scale.
    public static func measure(_ configuration: TrainingConfiguration, kind: DatasetKind) throws -> MeasuredNormalization {
        let train = try kind.open(directory: configuration.dataDirectory, split: .train, options: configuration.datasetOptions)
        let statistics = try ChannelStatistics.compute(train, limit: configuration.limitTrain)
        guard statistics.standardDeviation.allSatisfy({ $0 > 1e-6 }) else {
            throw ConfigurationError("--dataset \(kind.rawValue): the training images of \(configuration.dataDirectory ?? "-") are all one grey level (standard deviation 0); nothing to normalise or learn")
        }
        return MeasuredNormalization(mean: statistics.mean.map(Float.init), standardDeviation: statistics.standardDeviation.map(Float.init))
    }
}
