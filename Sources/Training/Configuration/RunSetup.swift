import Datasets
import Kernels
import Models
import MultiProxy
import Tensors

/// A configuration made concrete: the datasets opened (so a bad path fails before any work), the
/// transforms chosen and the model built.
public struct RunSetup {
    public let configuration: TrainingConfiguration
    public let kind: DatasetKind
    public let train: any Dataset
    public let test: any Dataset
    /// Images held out of the training split (`--validation-split`) to choose the best checkpoint on.
    public let validation: (any Dataset)?
    public let trainTransform: Transform
    public let testTransform: Transform
    /// The training augmentation (`TrainingConfiguration.augment`, resolved).
    public let augmentation: AugmentationSpec
    /// Side of the square images the network receives.
    public let inputSize: Int
    /// Channels the network's stem takes: the dataset's own (1 for grey images, unless the
    /// adaptation repeats them to 3).
    public let inputChannels: Int
    /// CIFAR-10.1 with its transform, when the configuration names its directory.
    public let cifar10_1: (dataset: any Dataset, transform: Transform)?

    /// Unreadable image files left out (`--skip-bad`), both splits.
    public let skippedFiles: [String]

    public var classes: Int { train.classNames.count }

    public init(_ configuration: TrainingConfiguration) throws {
        guard let kind = DatasetKind(rawValue: configuration.dataset) else {
            throw ConfigurationError(DatasetKind.unknownNameMessage(configuration.dataset))
        }
        _ = try configuration.greyscale()
        augmentation = try configuration.augmentation(for: kind)
        guard kind.splits.contains(.train) else {
            throw ConfigurationError("--dataset \(kind.rawValue) is a test set only; train on cifar10 and evaluate with `mpw eval --dataset cifar10.1`")
        }
        _ = try ModelZoo.entry(configuration.model)
        _ = try configuration.head.configuration()
        if let reason = configuration.precision?.unsupportedReason {
            throw ConfigurationError("--precision \(configuration.precision!.rawValue) needs \(reason)")
        }
        self.configuration = configuration
        self.kind = kind
        let fullTrain = try kind.open(directory: configuration.dataDirectory, split: .train, options: configuration.datasetOptions)
        let fullTest = try kind.open(directory: configuration.dataDirectory, split: .test, options: configuration.datasetOptions)
        skippedFiles = fullTrain.skippedFiles + fullTest.skippedFiles
        if let fraction = configuration.validationSplit {
            let parts = try ValidationSplit.split(fullTrain.prefix(configuration.limitTrain), fraction: fraction, seed: configuration.seed)
            train = parts.train
            validation = parts.validation
        } else {
            train = fullTrain.prefix(configuration.limitTrain)
            validation = nil
        }
        test = fullTest.prefix(configuration.limitTest)
        guard train.count > 0, test.count > 0 else {
            throw ConfigurationError("the training or test split is empty (\(train.count) and \(test.count) images after --limit-train/--limit-test)")
        }
        trainTransform = try configuration.trainingTransform(for: kind, channels: train.channels)
        testTransform = try configuration.evaluationTransform(for: kind, channels: test.channels)
        cifar10_1 = try configuration.cifar10_1Directory.map { directory in
            let shifted = try DatasetKind.cifar10_1.open(directory: directory, split: .test)
            return (shifted, try configuration.evaluationTransform(for: .cifar10_1, channels: shifted.channels))
        }
        let sampleShape = try trainTransform.outputShape(for: train)
        guard try testTransform.outputShape(for: test) == sampleShape else {
            throw ConfigurationError("--augment \(augmentation): its training images (\(sampleShape.channels)x\(sampleShape.height)x\(sampleShape.width)) differ in shape from the test images")
        }
        inputSize = sampleShape.height
        inputChannels = sampleShape.channels
    }

    /// The network, initialised from the run's seed.
    public func makeModel() throws -> ImageClassifier {
        var generator = RandomGenerator(seed: configuration.seed &+ 0x4D50_5700)
        let model = try ModelZoo.classifier(configuration.model, head: try configuration.head.configuration(), classes: classes,
                                            inputChannels: inputChannels, inputSize: inputSize, generator: &generator)
        model.precision = configuration.precision
        return model
    }
}
