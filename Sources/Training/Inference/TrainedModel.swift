import Datasets
import Foundation
import Models
import NN
import Tensors

/// A trained model from a checkpoint, ready to classify any image as its test split was
/// presented to it, without the dataset on disk: the image brought to the dataset's channels
/// and size (`ImageAdaptation`), then the dataset's test transform (the grey padding, or
/// ImageNet's resize and centre crop) and normalisation.
public struct TrainedModel {
    public let checkpoint: Checkpoint.Contents
    public let kind: DatasetKind
    public let model: ImageClassifier
    /// The model's inference form, which prediction and explanation run.
    public let inference: InferenceModel
    public let classNames: [String]
    public let adaptation: ImageAdaptation
    public let transform: Transform
    /// (C, H, W) of the network's input.
    public let inputShape: (channels: Int, height: Int, width: Int)

    public init(checkpoint: Checkpoint.Contents) throws {
        let configuration = checkpoint.configuration
        guard let kind = DatasetKind(rawValue: configuration.dataset) else {
            throw ConfigurationError("\(checkpoint.file.path): unknown dataset \(configuration.dataset) in the stored configuration")
        }
        let greyscale = Transform.GreyscaleAdaptation(rawValue: configuration.greyscaleAdaptation) ?? .padTo32
        adaptation = ImageAdaptation(for: kind)
        let native = kind.imageShape
        transform = Transform.standard(for: kind, training: false, channels: native.channels, adaptation: greyscale)
        inputShape = try transform.outputShape(channels: native.channels, height: native.height, width: native.width)
        let classes = try checkpoint.storedClassNames?.count ?? Self.classCount(in: checkpoint, inputShape: inputShape)
        classNames = checkpoint.storedClassNames ?? ClassNames.fallback(for: kind, count: classes)
        var generator = RandomGenerator(seed: 0)
        model = try checkpoint.makeClassifier(classes: classes, inputChannels: inputShape.channels, inputSize: inputShape.height,
                                              generator: &generator)
        do {
            try Checkpoint.restore(checkpoint, model: model, optimizer: nil)
        } catch let error as StateDictError {
            throw ConfigurationError("\(checkpoint.file.path) does not fit \(configuration.model) + \(configuration.head.kind) with \(classes) classes: \(error)")
        }
        model.eval()
        inference = InferenceModel(model, imageShape: [inputShape.channels, inputShape.height, inputShape.width])
        self.kind = kind
        self.checkpoint = checkpoint
    }

    /// Images decoded from files, adapted and transformed into one normalised batch (N, C, H, W),
    /// and the same pixels before normalisation (grey or RGB, the network's input size), for pictures.
    public func batch(_ images: [DecodedImage]) throws -> (images: Tensor, pixels: [DecodedImage]) {
        try batch(DecodedImageSet(images.map(adaptation.apply), channels: adaptation.channels, classNames: classNames))
    }

    /// A dataset's images (in the model's dataset format) transformed as `batch(_:)` does.
    public func batch(_ dataset: any Dataset) throws -> (images: Tensor, pixels: [DecodedImage]) {
        try Self.batch(dataset, transform: transform, inputShape: inputShape)
    }

    /// `batch(_:)` for any test transform and the input shape it gives.
    public static func batch(_ dataset: any Dataset, transform: Transform, inputShape: (channels: Int, height: Int, width: Int))
        throws -> (images: Tensor, pixels: [DecodedImage]) {
        let (channels, height, width) = inputShape
        func run(_ transform: Transform) throws -> Tensor {
            let loader = try BatchLoader(dataset: dataset, batchSize: max(1, dataset.count), shuffle: false, dropLast: false,
                                         transform: transform, seed: 0, epoch: 0, workers: 0)
            return try loader.next()?.images ?? Tensor.zeros([0, channels, height, width])
        }
        let normalized = try run(transform)
        var unit = transform
        unit.normalization = .unit
        let scaled = try run(unit).scalars
        let pixels = (0..<dataset.count).map { index in
            var interleaved = [UInt8](repeating: 0, count: channels * height * width)
            for channel in 0..<channels {
                for position in 0..<(height * width) {
                    interleaved[position * channels + channel] = UInt8((scaled[(index * channels + channel) * height * width + position] * 255).rounded())
                }
            }
            return DecodedImage(width: width, height: height, channels: channels, pixels: interleaved)
        }
        return (normalized, pixels)
    }

    /// The number of classes of a checkpoint without stored names: the leading dimension of the
    /// head tensors, found as the tensors whose shape changes with the class count.
    static func classCount(in checkpoint: Checkpoint.Contents, inputShape: (channels: Int, height: Int, width: Int)) throws -> Int {
        var generator = RandomGenerator(seed: 0)
        let probe = try checkpoint.makeClassifier(classes: 2, inputChannels: inputShape.channels, inputSize: inputShape.height,
                                                  generator: &generator)
        for (name, value) in probe.stateDict() {
            if let entry = checkpoint.file.entries["model." + name], entry.shape != value.shape, let classes = entry.shape.first, classes > 0 {
                return classes
            }
        }
        return 2
    }
}

/// Class names for checkpoints written before they were stored.
public enum ClassNames {
    /// The dataset's own names when it always has the same ones and as many as the model's
    /// classes (Fashion-MNIST, MNIST, CIFAR-10), else the class indices "0", "1", ...
    public static func fallback(for kind: DatasetKind, count: Int) -> [String] {
        if let names = kind.fixedClassNames, names.count == count { return names }
        return (0..<count).map(String.init)
    }
}
