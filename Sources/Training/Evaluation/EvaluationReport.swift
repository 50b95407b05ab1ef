/// How a model did on a labelled dataset.
public struct EvaluationReport: Codable, Sendable {
    public var samples: Int
    public var loss: Double
    public var top1: Double
    /// Top-5 accuracy (top-K for datasets of K < 5 classes, where it is 1).
    public var top5: Double
    public var classNames: [String]
    /// Accuracy per class (nil for classes with no samples).
    public var perClassAccuracy: [Double?]
    /// confusion[true][predicted] counts.
    public var confusion: [[Int]]
    public var meanSinkhornIterations: Double?

    enum CodingKeys: String, CodingKey {
        case samples, loss, top1, top5, confusion
        case classNames = "class_names"
        case perClassAccuracy = "per_class_accuracy"
        case meanSinkhornIterations = "mean_sinkhorn_iterations"
    }
}
