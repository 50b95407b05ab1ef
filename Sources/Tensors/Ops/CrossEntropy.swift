import Kernels

extension Tensor {
    /// Mean cross-entropy of logits (B, K) against integer labels, fused with the log-softmax.
    ///
    /// With label smoothing ε the target is (1 - ε)·onehot + ε/K, as in PyTorch's
    /// `cross_entropy(label_smoothing:)`. Labels must lie in 0..<K.
    public static func crossEntropy(logits: Tensor, labels: [Int32], labelSmoothing: Float = 0) -> Tensor {
        precondition(logits.rank == 2, "crossEntropy: logits must be (batch, classes), got \(Shape.describe(logits.shape))")
        let (batch, classes) = (logits.shape[0], logits.shape[1])
        precondition(labels.count == batch, "crossEntropy: \(labels.count) labels for a batch of \(batch)")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classes }, "crossEntropy: a label lies outside 0..<\(classes)")
        precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "crossEntropy: label smoothing \(labelSmoothing) outside [0, 1]")
        var targets = Tensor.full([batch, classes], labelSmoothing / Float(classes))
        targets.withUnsafeMutableBufferPointer { q in
            for (row, label) in labels.enumerated() { q[row * classes + Int(label)] += 1 - labelSmoothing }
        }
        return crossEntropy(logits: logits, targets: targets)
    }

    /// Mean cross-entropy against target distributions (B, K), for smoothed or mixed labels
    /// (CutMix). One pass per row gives the log-probabilities and the loss; the backward pass is
    /// (softmax · Σq - q) / B.
    public static func crossEntropy(logits: Tensor, targets: Tensor) -> Tensor {
        precondition(logits.rank == 2 && targets.shape == logits.shape,
                     "crossEntropy: logits \(Shape.describe(logits.shape)) and targets \(Shape.describe(targets.shape)) must both be (batch, classes)")
        let (batch, classes) = (logits.shape[0], logits.shape[1])
        let x = logits.contiguous(), target = targets.contiguous()
        let probabilities = Tensor(uninitializedShape: [batch, classes])
        let p = probabilities.storage.pointer, q = target.storage.pointer
        var total: Double = 0
        for row in 0..<batch {
            let input = x.storage.pointer + row * classes
            let logNormalizer = Softmax.row(input, p + row * classes, count: classes)
            var rowLoss: Float = 0
            for c in 0..<classes { rowLoss -= q[row * classes + c] * (input[c] - logNormalizer) }
            total += Double(rowLoss)
        }
        let loss = Tensor(Float(total / Double(Swift.max(batch, 1))))
        return .differentiable("crossEntropy", input: logits, output: loss) { g in
            let scale = g.item / Float(Swift.max(batch, 1))
            var gradient = Tensor(uninitializedShape: [batch, classes])
            gradient.withUnsafeMutableBufferPointer { out in
                let p = probabilities.storage.pointer, q = target.storage.pointer
                for row in 0..<batch {
                    let mass = VectorLoops.sum(q + row * classes, count: classes)
                    for c in 0..<classes {
                        let index = row * classes + c
                        out[index] = (p[index] * mass - q[index]) * scale
                    }
                }
            }
            return gradient
        }
    }

    /// out[i] = self[i, columns[i]] for a (rows, columns) matrix.
    public func gathering(columns indices: [Int32]) -> Tensor {
        precondition(rank == 2 && indices.count == shape[0],
                     "gathering(columns:): needs a matrix and one index per row, got \(Shape.describe(shape)) and \(indices.count) indices")
        let columns = shape[1]
        precondition(indices.allSatisfy { $0 >= 0 && Int($0) < columns }, "gathering(columns:): an index lies outside 0..<\(columns)")
        let source = contiguous()
        let output = Tensor(indices.enumerated().map { source.storage.pointer[$0.offset * columns + Int($0.element)] }, shape: [indices.count])
        return .differentiable("gathering", input: self, output: output) { g in
            var scattered = Tensor.zeros(self.shape)
            scattered.withUnsafeMutableBufferPointer { out in
                for (row, column) in indices.enumerated() { out[row * columns + Int(column)] = g.storage.pointer[row] }
            }
            return scattered
        }
    }

    /// One-hot rows (labels.count, classes).
    public static func oneHot(_ labels: [Int32], classes: Int) -> Tensor {
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classes }, "oneHot: a label lies outside 0..<\(classes)")
        var result = Tensor.zeros([labels.count, classes])
        result.withUnsafeMutableBufferPointer { out in
            for (row, label) in labels.enumerated() { out[row * classes + Int(label)] = 1 }
        }
        return result
    }
}
