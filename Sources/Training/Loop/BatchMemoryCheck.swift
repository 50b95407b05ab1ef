import Foundation
import Kernels
import Models
import NN
import Tensors

/// Refuses, before the first step, a batch whose training step would not fit in this machine's
/// memory, instead of letting the kernel's out-of-memory killer end the run without a word.
///
/// The step's memory grows linearly with the batch (activations kept for the backward pass and
/// their gradients, plus the batch itself), so two small probe steps measure it: the most tensor
/// bytes in use at once during a forward and backward pass at 2 and at 4 images give the bytes
/// per image and the fixed part. The probe leaves the model as it found it: gradients cleared,
/// BatchNorm statistics and dropout generators restored, nothing stepped.
public enum BatchMemoryCheck {
    public struct Estimate: Equatable, Sendable {
        public let bytesPerImage: Int
        public let fixedBytes: Int

        public func bytes(forBatch batch: Int) -> Int {
            fixedBytes + batch.multipliedReportingOverflow(by: bytesPerImage).partialValue
        }

        /// The largest batch whose step fits in `available` bytes (0 when none does).
        public func largestBatch(within available: Int) -> Int {
            guard available > fixedBytes else { return 0 }
            return (available - fixedBytes) / max(bytesPerImage, 1)
        }
    }

    static let probeBatches = (2, 4)
    /// Share of the available memory a step may take: the rest is left to the data loader's
    /// workers, the allocator's slack and the system.
    static let usableShare = 0.8

    /// Measures the step's memory for `model` on images of `channels` x `side` x `side`.
    public static func estimate(model: ImageClassifier, channels: Int, side: Int, freezeBackbone: Bool) -> Estimate {
        let small = probe(model, batch: probeBatches.0, channels: channels, side: side, freezeBackbone: freezeBackbone)
        let large = probe(model, batch: probeBatches.1, channels: channels, side: side, freezeBackbone: freezeBackbone)
        let perImage = max(1, (large - small) / (probeBatches.1 - probeBatches.0))
        return Estimate(bytesPerImage: perImage, fixedBytes: max(0, small - probeBatches.0 * perImage))
    }

    /// Throws a one-line error naming `--batch` (`flag`, its value) and the largest batch that
    /// fits when a step of `images` images per process would not fit in `available` bytes.
    public static func require(images: Int, flag: Int, estimate: Estimate, available: Int = MemoryUse.availableBytes, ranks: Int = 1) throws {
        let usable = Int(Double(available) * usableShare)
        let needed = estimate.bytes(forBatch: images)
        guard needed > usable else { return }
        let largest = estimate.largestBatch(within: usable) * ranks
        let gib = { (bytes: Int) in String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
        let perImage = String(format: "%.1f MiB", Double(estimate.bytesPerImage) / Double(1 << 20))
        throw ConfigurationError("--batch \(flag): a training step of \(images) images\(ranks > 1 ? " per process" : "") needs about \(gib(needed)) (\(perImage) per image), more than the \(gib(usable)) this machine can give it; the largest batch that fits is \(largest)")
    }

    /// The most tensor bytes in use at once during one training forward and backward pass.
    private static func probe(_ model: ImageClassifier, batch: Int, channels: Int, side: Int, freezeBackbone: Bool) -> Int {
        let buffers = model.namedParameters().filter { !$0.parameter.isTrainable }.map { ($0.parameter, $0.parameter.value.contiguous().scalars) }
        let dropouts = model.modules.compactMap { $0 as? Dropout }
        let generators = dropouts.map(\.generator)
        let wasTraining = model.isTraining
        defer {
            for (parameter, values) in buffers { parameter.value = Tensor(values, shape: parameter.shape) }
            for (dropout, generator) in zip(dropouts, generators) { dropout.generator = generator }
            model.clearGradients()
            model.setTraining(wasTraining)
        }
        model.train()
        if freezeBackbone { model.backbone.eval() }
        return MemoryUse.peakIncrease {
            let images = Tensor([Float](repeating: 0, count: batch * channels * side * side), shape: [batch, channels, side, side])
            let logits = FineTuning.trainingForward(model, images, freezeBackbone: freezeBackbone)
            Tensor.crossEntropy(logits: logits, labels: [Int32](repeating: 0, count: batch)).backward()
        }.bytes
    }
}
