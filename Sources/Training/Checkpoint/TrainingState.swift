/// Where a run stands, saved with every checkpoint so that a resumed run continues exactly:
/// the next batch to train, the running sums of the epoch in progress, the best result so far and
/// the state of every random generator the model owns.
public struct TrainingState: Codable, Sendable, Equatable {
    /// The epoch in progress (0-based); equals the configured epochs when training is complete.
    public var epoch: Int
    /// The next batch of `epoch` to train.
    public var batch: Int
    public var partial: EpochAccumulator
    public var bestTop1: Double?
    public var bestEpoch: Int?
    /// Random generators of the model (dropout layers), by module path.
    public var generators: [String: [UInt64]]
    /// Training seconds before this checkpoint, across interruptions.
    public var elapsedSeconds: Double

    public static let start = TrainingState(epoch: 0, batch: 0, partial: EpochAccumulator(), bestTop1: nil, bestEpoch: nil,
                                            generators: [:], elapsedSeconds: 0)
}

/// Running sums over the batches of one epoch.
public struct EpochAccumulator: Codable, Sendable, Equatable {
    public var lossSum: Double = 0
    public var correct: Int = 0
    public var samples: Int = 0
    public var iterationSum: Double = 0
    public var iterationBatches: Int = 0
    public var seconds: Double = 0

    public init() {}

    public var meanLoss: Double { samples > 0 ? lossSum / Double(samples) : 0 }
    public var accuracy: Double { samples > 0 ? Double(correct) / Double(samples) : 0 }
    public var meanIterations: Double? { iterationBatches > 0 ? iterationSum / Double(iterationBatches) : nil }
    public var imagesPerSecond: Double { seconds > 0 ? Double(samples) / seconds : 0 }
}
