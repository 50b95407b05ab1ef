import Datasets
import Models
import Tensors

extension DataParallel {
    /// Evaluates on `dataset` with each rank taking a contiguous share, then sums the counts:
    /// every rank gets the report of the whole dataset. One process evaluates it all itself.
    func evaluate(_ model: ImageClassifier, on dataset: any Dataset, transform: Transform, batchSize: Int, workers: Int,
                  seed: UInt64, progress: (Int, Int) -> Void) throws -> EvaluationReport {
        guard let shard else {
            return try Evaluator.evaluate(model, on: dataset, transform: transform, batchSize: batchSize, workers: workers,
                                          seed: seed, progress: progress)
        }
        let slice = DatasetSlice(base: dataset, range: shard.range(of: dataset.count))
        let local = try Evaluator.evaluate(model, on: slice, transform: transform, batchSize: batchSize, workers: workers,
                                           seed: seed, progress: progress)
        let classes = dataset.classNames.count
        let samples = Double(local.samples)
        let batches = Double((slice.count + batchSize - 1) / batchSize)
        var totals = [samples, local.loss * samples, (local.top5 * samples).rounded(),
                      (local.meanSinkhornIterations ?? 0) * batches, local.meanSinkhornIterations == nil ? 0 : batches]
        totals += local.confusion.flatMap { $0.map(Double.init) }
        totals = sum(totals, label: "evaluation allreduce")
        let count = max(totals[0], 1)
        let confusion = (0..<classes).map { row in (0..<classes).map { Int(totals[5 + row * classes + $0]) } }
        let correct = (0..<classes).reduce(0) { $0 + confusion[$1][$1] }
        let perClass: [Double?] = confusion.enumerated().map { label, row in
            let total = row.reduce(0, +)
            return total > 0 ? Double(row[label]) / Double(total) : nil
        }
        return EvaluationReport(samples: Int(totals[0]), loss: totals[1] / count, top1: Double(correct) / count, top5: totals[2] / count,
                                classNames: dataset.classNames, perClassAccuracy: perClass, confusion: confusion,
                                meanSinkhornIterations: totals[4] > 0 ? totals[3] / totals[4] : nil)
    }
}
