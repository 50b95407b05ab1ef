import Datasets
import Models
import NN
import Tensors

/// A trained model from a checkpoint, ready to evaluate on its own test split or another
/// dataset with the same classes (CIFAR-10 models on CIFAR-10.1).
public struct EvaluationSetup {
    public let model: ImageClassifier
    public let dataset: any Dataset
    public let transform: Transform
    public let checkpoint: Checkpoint.Contents

    /// - Parameters:
    ///   - checkpoint: the model, its configuration and its preprocessing.
    ///   - datasetName: the dataset to evaluate on; the checkpoint's own by default.
    ///   - directory: its directory; the checkpoint's by default when the dataset is the same.
    ///   - limit: the first N test images only; all by default.
    public init(checkpoint: Checkpoint.Contents, datasetName: String?, directory: String?, limit: Int?) throws {
        let configuration = checkpoint.configuration
        let name = datasetName ?? configuration.dataset
        guard let kind = DatasetKind(rawValue: name) else {
            throw ConfigurationError(DatasetKind.unknownNameMessage(name))
        }
        let sameDataset = name == configuration.dataset
        dataset = try kind.open(directory: directory ?? (sameDataset ? configuration.dataDirectory : nil), split: .test,
                                options: sameDataset ? configuration.datasetOptions : .init()).prefix(limit)
        transform = try configuration.evaluationTransform(for: kind, channels: dataset.channels)
        let shape = try transform.outputShape(for: dataset)
        var generator = RandomGenerator(seed: 0)
        model = try checkpoint.makeClassifier(classes: dataset.classNames.count, inputChannels: shape.channels, inputSize: shape.height,
                                              generator: &generator)
        do {
            try Checkpoint.restore(checkpoint, model: model, optimizer: nil)
        } catch let error as StateDictError {
            throw ConfigurationError("\(checkpoint.file.path) was trained on \(configuration.dataset) and does not fit \(name) (\(dataset.classNames.count) classes, \(shape.channels)x\(shape.height)x\(shape.width) inputs): \(error)")
        }
        self.checkpoint = checkpoint
    }
}
