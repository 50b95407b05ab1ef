import Datasets
import Foundation
import Kernels

/// Everything that defines a training run, fully resolved. It is written to config.json and into
/// every checkpoint, so a run can be resumed or evaluated without repeating any flag.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    // Data.
    public var dataset: String
    public var dataDirectory: String?
    public var limitTrain: Int?
    public var limitTest: Int?
    /// The fraction of the training split held out to choose `best.safetensors` on (`--validation-split`);
    /// nil: none, and the best checkpoint is chosen on the test split.
    public var validationSplit: Double? = nil
    /// How 1x28x28 datasets meet the 32x32 networks (see `Transform.GreyscaleAdaptation`).
    public var greyscaleAdaptation: String
    public var cutMix: Bool
    /// The training augmentation, an `AugmentationSpec` in its canonical form (`crop:4,flip`). New
    /// runs store the effective choice; nil (runs from before the choice existed) means the
    /// augmentation they were trained with, `AugmentationSpec.legacy(for:)`.
    public var augment: String? = nil
    public var workers: Int
    /// The training split's own channel statistics (`mnist-idx`, measured when the run started);
    /// nil: the dataset's standard ones, as every run of the other datasets and older runs use.
    public var measuredNormalization: MeasuredNormalization? = nil
    /// CIFAR-100's labels, "fine" or "coarse" (`--cifar100-labels`); nil: fine.
    public var cifar100Labels: String? = nil
    /// Image folders: unreadable files left out (`--skip-bad`); nil: a bad file fails the run.
    public var skipBadImages: Bool? = nil

    // Model.
    public var model: String
    public var head: HeadSettings

    // Optimisation.
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    public var nesterov: Bool
    /// False: no weight decay on biases and normalisation parameters.
    public var decayNormalizationAndBias: Bool
    public var labelSmoothing: Float
    public var schedule: ScheduleSpecification

    // Run.
    public var seed: UInt64
    /// Threads of each rank.
    public var threads: Int
    /// Ranks that trained the run (the latest segment of a resumed one); nil before data parallelism existed.
    public var worldSize: Int? = nil
    /// `BatchNormMode` under mpirun: "sync" or "local"; nil means sync (one process always is).
    public var batchNorm: String? = nil
    /// Arithmetic of convolutions and linear layers (nil: fp32, as before the field existed).
    public var precision: Precision? = nil

    /// Starting weights and the fine-tuning recipe (`--init`); nil: a run from scratch.
    public var fineTuning: FineTuningSettings? = nil
    /// The paper preset the run started from (`mpw train --preset`), if any.
    public var preset: String? = nil
    /// CIFAR-10.1's directory: a CIFAR-10 run evaluates its final and best checkpoints on it at the end.
    public var cifar10_1Directory: String? = nil

    public init(dataset: String, dataDirectory: String?, limitTrain: Int?, limitTest: Int?, greyscaleAdaptation: String,
                cutMix: Bool, workers: Int, model: String, head: HeadSettings, epochs: Int, batchSize: Int, learningRate: Float,
                momentum: Float, weightDecay: Float, nesterov: Bool, decayNormalizationAndBias: Bool, labelSmoothing: Float,
                schedule: ScheduleSpecification, seed: UInt64, threads: Int) {
        self.dataset = dataset
        self.dataDirectory = dataDirectory
        self.limitTrain = limitTrain
        self.limitTest = limitTest
        self.greyscaleAdaptation = greyscaleAdaptation
        self.cutMix = cutMix
        self.workers = workers
        self.model = model
        self.head = head
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        self.decayNormalizationAndBias = decayNormalizationAndBias
        self.labelSmoothing = labelSmoothing
        self.schedule = schedule
        self.seed = seed
        self.threads = threads
    }

    /// How the dataset's files are read: the choices above, as the readers take them.
    public var datasetOptions: DatasetKind.Options {
        DatasetKind.Options(cifar100Labels: cifar100Labels.flatMap(CIFAR100.LabelGranularity.init(rawValue:)) ?? .fine,
                            skipBadImages: skipBadImages ?? false)
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    public static func decode(_ text: String, source: String) throws -> TrainingConfiguration {
        do {
            return try JSONDecoder().decode(TrainingConfiguration.self, from: Data(text.utf8))
        } catch {
            throw ConfigurationError("\(source): the stored run configuration cannot be read (\(error))")
        }
    }
}
