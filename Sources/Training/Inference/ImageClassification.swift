import Foundation
import Models
import Datasets
import Tensors

/// One class of a prediction, with its softmax probability.
public struct RankedClass: Codable, Sendable, Equatable {
    public let index: Int
    public let name: String
    public let probability: Double
}

extension TrainedModel {
    /// The `top` most probable classes of every image, most probable first.
    public func classify(_ images: [DecodedImage], top: Int) throws -> [[RankedClass]] {
        guard !images.isEmpty else { return [] }
        let input = try batch(images).images
        let logits = inference(input)
        return rankedClasses(logits: logits, top: top)
    }

    /// The `top` most probable classes of each row of (N, K) logits (ties: the lower index first).
    public func rankedClasses(logits: Tensor, top: Int) -> [[RankedClass]] {
        let classes = logits.shape[1]
        let values = logits.scalars
        return (0..<logits.shape[0]).map { row in
            let scores = values[(row * classes)..<((row + 1) * classes)].map(Double.init)
            let largest = scores.max() ?? 0
            let exponentials = scores.map { exp($0 - largest) }
            let total = exponentials.reduce(0, +)
            let order = (0..<classes).sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            return order.prefix(top).map { RankedClass(index: $0, name: classNames[$0], probability: exponentials[$0] / total) }
        }
    }
}
