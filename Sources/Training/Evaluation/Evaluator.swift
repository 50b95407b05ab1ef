import Datasets
import Models
import MultiProxy
import Tensors

/// Runs a model's inference form (`InferenceModel`, made from its current weights) over a
/// dataset: loss, top-1/top-5, per-class accuracy and the confusion matrix.
public enum Evaluator {
    public static func evaluate(_ model: ImageClassifier, on dataset: any Dataset, transform: Transform, batchSize: Int,
                                workers: Int, seed: UInt64, progress: (Int, Int) -> Void = { _, _ in }) throws -> EvaluationReport {
        model.eval()
        defer { model.train() }
        let shape = try transform.outputShape(for: dataset)
        let inference = InferenceModel(model, imageShape: [shape.channels, shape.height, shape.width])
        let classes = dataset.classNames.count
        let loader = try BatchLoader(dataset: dataset, batchSize: batchSize, shuffle: false, dropLast: false, transform: transform,
                                     seed: seed, epoch: 0, workers: workers)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var lossSum = 0.0, top1 = 0, top5 = 0, samples = 0
        var iterationSum = 0.0, iterationBatches = 0
        while let batch = try loader.next() {
            let (logits, statistics) = MatchingStatistics.recording { inference(batch.images) }
            lossSum += Double(Tensor.crossEntropy(logits: logits, labels: batch.labels).item) * Double(batch.count)
            let ranks = TopK.ranks(logits: logits, labels: batch.labels)
            for (row, rank) in ranks.enumerated() {
                if rank == 0 { top1 += 1 }
                if rank < 5 { top5 += 1 }
                confusion[Int(batch.labels[row])][TopK.prediction(logits: logits, row: row)] += 1
            }
            samples += batch.count
            if let iterations = MatchingStatistics.meanIterations(of: statistics) {
                iterationSum += iterations
                iterationBatches += 1
            }
            progress(batch.index + 1, loader.batchCount)
        }
        let perClass: [Double?] = confusion.enumerated().map { label, row in
            let total = row.reduce(0, +)
            return total > 0 ? Double(row[label]) / Double(total) : nil
        }
        return EvaluationReport(samples: samples, loss: lossSum / Double(max(samples, 1)), top1: Double(top1) / Double(max(samples, 1)),
                                top5: Double(top5) / Double(max(samples, 1)), classNames: dataset.classNames, perClassAccuracy: perClass,
                                confusion: confusion, meanSinkhornIterations: iterationBatches > 0 ? iterationSum / Double(iterationBatches) : nil)
    }
}

/// Ranks of true labels among logits.
enum TopK {
    /// For each row, how many classes score strictly higher than the true one (0 = top-1 hit).
    static func ranks(logits: Tensor, labels: [Int32]) -> [Int] {
        let values = logits.contiguous().scalars
        let classes = logits.shape[1]
        return labels.enumerated().map { row, label in
            let target = values[row * classes + Int(label)]
            return (0..<classes).reduce(0) { $0 + (values[row * classes + $1] > target ? 1 : 0) }
        }
    }

    /// The highest-scoring class of a row (the first of ties).
    static func prediction(logits: Tensor, row: Int) -> Int {
        let classes = logits.shape[1]
        return logits.withUnsafeBufferPointer { values in
            var best = 0
            for c in 1..<classes where values[row * classes + c] > values[row * classes + best] { best = c }
            return best
        }
    }
}
