import Tensors

/// CutMix (Yun et al., 2019), the PyramidNet recipe's regulariser: a box of one image is pasted
/// over another and the labels are mixed in proportion to the areas.
///
/// As in the authors' code: with probability `probability`, lambda ~ Beta(beta, beta) (uniform
/// for beta = 1), the box has sides `H·sqrt(1 - lambda)` × `W·sqrt(1 - lambda)` (truncated) around a
/// uniformly random centre, clipped to the image, and lambda is then recomputed as
/// `1 - box area / image area`, the true share of the image that kept its own content. The loss
/// is `lambda · CE(labels) + (1 - lambda) · CE(mixedLabels)`.
public struct CutMix: Sendable, Equatable {
    /// How partners and boxes are chosen.
    public enum Pairing: String, Sendable, CaseIterable {
        /// The authors' code: one decision, one lambda, one box and one permutation of the batch
        /// for the whole batch.
        case perBatch = "per-batch"
        /// Each sample decides, draws its own lambda, box and partner (any sample of the batch).
        case perSample = "per-sample"
    }

    public var probability: Double
    public var beta: Double
    public var pairing: Pairing

    public init(probability: Double = 0.5, beta: Double = 1, pairing: Pairing = .perBatch) {
        precondition((0...1).contains(probability), "CutMix: probability \(probability) is outside [0, 1]")
        precondition(beta > 0, "CutMix: beta must be positive, got \(beta)")
        self.probability = probability
        self.beta = beta
        self.pairing = pairing
    }

    /// A pasted box: rows `top..<bottom`, columns `left..<right`.
    struct Box: Equatable {
        var top: Int, left: Int, bottom: Int, right: Int
        var area: Int { (bottom - top) * (right - left) }
    }

    /// The paper's `rand_bbox`. Draws the centre row, then the centre column.
    static func box(height: Int, width: Int, lambda: Double, generator: inout RandomGenerator) -> Box {
        let cutRatio = (1 - lambda).squareRoot()
        let cutHeight = Int(Double(height) * cutRatio), cutWidth = Int(Double(width) * cutRatio)
        let centerRow = generator.nextInt(below: height), centerColumn = generator.nextInt(below: width)
        func clip(_ value: Int, _ limit: Int) -> Int { min(max(value, 0), limit) }
        return Box(top: clip(centerRow - cutHeight / 2, height), left: clip(centerColumn - cutWidth / 2, width),
                   bottom: clip(centerRow + cutHeight / 2, height), right: clip(centerColumn + cutWidth / 2, width))
    }

    /// The result for one batch: each sample's second label and the weight of its own label.
    struct Mixing {
        var mixedLabels: [Int32]
        var weights: [Float]
    }

    /// Mixes a batch of `count` planar images in place. Returns nil when no sample was mixed.
    ///
    /// Draw order, per batch: the apply decision, lambda, the permutation (Fisher-Yates), the box.
    /// Per sample, for each sample in order: the decision, and if taken lambda, the partner, the box.
    /// Boxes are copied from `snapshot`, a copy of the batch taken before any pasting, so a
    /// sample's partner contributes its original pixels even if it was mixed itself.
    func apply(images: UnsafeMutablePointer<Float>, count: Int, channels: Int, height: Int, width: Int,
               labels: [Int32], generator: inout RandomGenerator, snapshot: ScratchBuffer<Float>) -> Mixing? {
        var partners = [Int](repeating: 0, count: count)
        var boxes = [Box?](repeating: nil, count: count)
        switch pairing {
        case .perBatch:
            guard generator.nextUniformDouble() < probability else { return nil }
            let lambda = BetaDistribution.sample(beta, beta, generator: &generator)
            partners = Array(0..<count)
            for index in stride(from: count - 1, to: 0, by: -1) {
                partners.swapAt(index, generator.nextInt(below: index + 1))
            }
            let box = Self.box(height: height, width: width, lambda: lambda, generator: &generator)
            boxes = Array(repeating: box, count: count)
        case .perSample:
            for index in 0..<count where generator.nextUniformDouble() < probability {
                let lambda = BetaDistribution.sample(beta, beta, generator: &generator)
                partners[index] = generator.nextInt(below: count)
                boxes[index] = Self.box(height: height, width: width, lambda: lambda, generator: &generator)
            }
            guard boxes.contains(where: { $0 != nil }) else { return nil }
        }
        let imageSize = channels * height * width
        let original = snapshot.reserve(count * imageSize)
        original.update(from: images, count: count * imageSize)
        var mixing = Mixing(mixedLabels: labels, weights: [Float](repeating: 1, count: count))
        for index in 0..<count {
            guard let box = boxes[index] else { continue }
            let partner = partners[index]
            mixing.mixedLabels[index] = labels[partner]
            mixing.weights[index] = Float(1 - Double(box.area) / Double(height * width))
            guard box.area > 0 else { continue }
            for channel in 0..<channels {
                for row in box.top..<box.bottom {
                    let offset = channel * height * width + row * width + box.left
                    (images + index * imageSize + offset).update(from: original + partner * imageSize + offset, count: box.right - box.left)
                }
            }
        }
        return mixing
    }
}
