import Datasets
import Models
import MultiProxy
import Tensors

/// A training image position where a proxy takes much of the matching flow: ProtoPNet's
/// "nearest patches", found by transported mass.
public struct PrototypeMatch: Sendable, Equatable {
    /// The sample's index in the dataset searched.
    public let sample: Int
    /// The feature-map position, row-major.
    public let position: Int
    /// T_jm at that position (at most 1/HW).
    public let mass: Float
}

extension TrainedModel {
    /// For every class k and proxy m, the `top` images of class k whose plan for class k gives
    /// proxy m the most mass at one position (that position; one match per image), largest first.
    /// Indexed [class][proxy]. The images go through the test transform, without augmentation.
    /// `shouldStop` is asked before each batch: when it answers true the search ends there and
    /// returns what the batches already searched found (an interrupted scan keeps its results).
    public func prototypes(in dataset: any Dataset, top: Int, batchSize: Int, workers: Int,
                           shouldStop: () -> Bool = { false },
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> [[[PrototypeMatch]]] {
        guard let head = multiProxyHead else { preconditionFailure("TrainedModel.prototypes: the head has no matching flow") }
        let (classCount, proxyCount) = (head.classes, head.proxiesPerClass)
        var best = [[[PrototypeMatch]]](repeating: [[PrototypeMatch]](repeating: [], count: proxyCount), count: classCount)
        let loader = try BatchLoader(dataset: dataset, batchSize: batchSize, shuffle: false, dropLast: false, transform: transform,
                                     seed: 0, epoch: 0, workers: workers)
        while !shouldStop(), let batch = try loader.next() {
            let features = inference.features(batch.images)
            let flow = inference.withHead { _ in head.matchingFlow(for: features) }
            let positions = flow.shape[2]
            flow.contiguous().withUnsafeBufferPointer { values in
                for (row, label) in batch.labels.enumerated() where Int(label) < classCount {
                    let plan = (row * classCount + Int(label)) * positions * proxyCount
                    for proxy in 0..<proxyCount {
                        var position = 0
                        for candidate in 1..<positions where values[plan + candidate * proxyCount + proxy] > values[plan + position * proxyCount + proxy] {
                            position = candidate
                        }
                        let match = PrototypeMatch(sample: batch.sampleIndices[row], position: position, mass: values[plan + position * proxyCount + proxy])
                        Self.insert(match, into: &best[Int(label)][proxy], keeping: top)
                    }
                }
            }
            progress(batch.index + 1, loader.batchCount)
        }
        return best
    }

    /// Keeps `list` sorted by decreasing mass (earlier samples first among equals), `top` long at most.
    static func insert(_ match: PrototypeMatch, into list: inout [PrototypeMatch], keeping top: Int) {
        guard list.count < top || match.mass > list[list.count - 1].mass else { return }
        let slot = list.firstIndex { match.mass > $0.mass } ?? list.count
        list.insert(match, at: slot)
        if list.count > top { list.removeLast() }
    }

    /// The patch of the input around feature position `position` of a `mapHeight`x`mapWidth` map:
    /// the 3x3 feature cells centred on it (each cell is stride x stride input pixels), clipped
    /// to the image. `pixels` is the image as the network saw it (`batch(_:)`'s pixels).
    public func patch(around position: Int, mapHeight: Int, mapWidth: Int, in pixels: DecodedImage) -> DecodedImage {
        let strideY = pixels.height / mapHeight, strideX = pixels.width / mapWidth
        let (row, column) = (position / mapWidth, position % mapWidth)
        let top = max(0, (row - 1) * strideY), bottom = min(pixels.height, (row + 2) * strideY)
        let left = max(0, (column - 1) * strideX), right = min(pixels.width, (column + 2) * strideX)
        var cropped: [UInt8] = []
        for y in top..<bottom {
            let start = (y * pixels.width + left) * pixels.channels
            cropped += pixels.pixels[start..<(start + (right - left) * pixels.channels)]
        }
        return DecodedImage(width: right - left, height: bottom - top, channels: pixels.channels, pixels: cropped)
    }
}
