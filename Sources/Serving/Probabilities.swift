import Tensors
import Training

extension TrainedModel {
    /// Every class's probability for (images x classes) row-major logits, in class order: the
    /// softmax `mpw predict` prints (`rankedClasses`), so both answer the same numbers.
    func probabilities(logits: [Float]) -> [Double] {
        let classes = classNames.count
        let ranked = rankedClasses(logits: Tensor(logits, shape: [logits.count / classes, classes]), top: classes)
        var probabilities = [Double](repeating: 0, count: logits.count)
        for (row, entries) in ranked.enumerated() {
            for entry in entries { probabilities[row * classes + entry.index] = entry.probability }
        }
        return probabilities
    }
}
