import Foundation
import Models

/// A run's checkpoint evaluated on another test set with the same classes (CIFAR-10.1).
public struct ShiftedTestResult: Codable, Sendable, Equatable {
    /// The checkpoint's epoch (1-based).
    public var epoch: Int
    public var samples: Int
    public var top1: Double
    public var top5: Double
}

extension Trainer {
    /// At the end of a CIFAR-10 run with CIFAR-10.1 at hand: the final weights and the best
    /// checkpoint on it (one evaluation when they are the same epoch); (nil, nil) otherwise.
    func evaluateOnCIFAR10_1(observer: (TrainingEvent) -> Void) throws -> (final: ShiftedTestResult?, best: ShiftedTestResult?) {
        guard let shifted = setup.cifar10_1 else { return (nil, nil) }
        let batchSize = setup.configuration.batchSize, workers = setup.configuration.workers, seed = setup.configuration.seed
        func evaluate(_ model: ImageClassifier, epoch: Int) throws -> ShiftedTestResult {
            let report = try Evaluator.evaluate(model, on: shifted.dataset, transform: shifted.transform, batchSize: batchSize,
                                                workers: workers, seed: seed) { batch, batches in
                observer(.evaluating(epoch: epoch - 1, batch: batch, batches: batches))
            }
            return ShiftedTestResult(epoch: epoch, samples: report.samples, top1: report.top1, top5: report.top5)
        }
        let final = try evaluate(model, epoch: state.epoch)
        guard let bestEpoch = state.bestEpoch, bestEpoch != state.epoch else { return (final, final) }
        let best = try setup.makeModel()
        try Checkpoint.restore(try Checkpoint.read(directory.bestCheckpoint), model: best, optimizer: nil)
        return (final, try evaluate(best, epoch: bestEpoch))
    }
}
