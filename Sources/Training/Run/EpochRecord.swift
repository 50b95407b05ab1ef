/// One line of metrics.jsonl: what an epoch achieved.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double
    public var testTop1: Double
    public var testTop5: Double
    public var learningRate: Double
    public var imagesPerSecond: Double
    public var seconds: Double
    /// Mean Sinkhorn iterations over the epoch's training batches (MPW only).
    public var meanSinkhornIterations: Double?
    /// On the images held out by `--validation-split` (nil without one).
    public var validationLoss: Double? = nil
    public var validationTop1: Double? = nil

    enum CodingKeys: String, CodingKey {
        case epoch
        case trainLoss = "train_loss"
        case trainAccuracy = "train_accuracy"
        case testLoss = "test_loss"
        case testTop1 = "test_top1"
        case testTop5 = "test_top5"
        case learningRate = "learning_rate"
        case imagesPerSecond = "images_per_second"
        case seconds
        case meanSinkhornIterations = "mean_sinkhorn_iterations"
        case validationLoss = "validation_loss"
        case validationTop1 = "validation_top1"
    }
}
