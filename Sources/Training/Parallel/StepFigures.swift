import Datasets
import Models
import MultiProxy
import Tensors

/// What one training step adds to the epoch's running figures, for this rank or, once summed,
/// for the whole global batch; it also carries the stop request so that all ranks agree on it in
/// the same collective.
struct StepFigures {
    var lossSum: Double
    var correct: Double
    var samples: Double
    /// Mean Sinkhorn iterations of the batch (MPW heads): every sample's problems weigh the same.
    var meanIterations: Double?
    var stopRequested: Bool

    /// `matching`: the iteration statistics the step's forward pass recorded.
    init(value: Float, logits: Tensor, batch: Batch, matching: [MatchingStatistics], stepsRun: Int, stopAfter: Int?) {
        let ranks = TopK.ranks(logits: logits.detached(), labels: batch.labels)
        lossSum = Double(value) * Double(batch.count)
        correct = Double(ranks.filter { $0 == 0 }.count)
        samples = Double(batch.count)
        meanIterations = MatchingStatistics.meanIterations(of: matching)
        stopRequested = InterruptSignal.isRequested || stopAfter.map { stepsRun >= $0 } ?? false
    }

    /// The global batch's figures, on every rank: one allreduce.
    func summed(over parallel: DataParallel) -> StepFigures {
        let totals = parallel.sum([lossSum, correct, samples, (meanIterations ?? 0) * samples, stopRequested ? 1 : 0],
                                  label: "step figures allreduce")
        var result = self
        result.lossSum = totals[0]
        result.correct = totals[1]
        result.samples = totals[2]
        result.meanIterations = meanIterations.map { _ in totals[3] / totals[2] }
        result.stopRequested = totals[4] > 0
        return result
    }
}
