import Datasets
import Foundation
import Tensors
import Training

/// The body of POST /v1/explain: the pictures `mpw explain` draws for one image (the image as
/// the network saw it, one jet heatmap of the matching flow per proxy, the argmax picture) as
/// base64 PNGs, with each proxy's share of the mass and its part of the class score.
struct ExplainAnswer: Encodable {
    struct Proxy: Encodable {
        let proxy: Int
        let massShare: Float
        let scoreContribution: Float
        /// scoreContribution / score: the proxy's share of the class score.
        let scoreShare: Float
        let png: String
        /// T[:, m] as mapHeight rows of mapWidth values.
        let map: [Float]
    }

    let classIndex: Int
    let className: String
    let probability: Double
    let score: Float
    let predictions: [RankedClass]
    let mapHeight: Int
    let mapWidth: Int
    let pictureScale: Int
    let imagePNG: String
    let argmaxPNG: String
    let proxies: [Proxy]

    /// Draws the pictures as `mpw explain` does, at its default scale (4 for 28x28 and 32x32 inputs).
    init(explanation: FlowExplanation, logits: [Float], pixels: DecodedImage, model: TrainedModel, top: Int) throws {
        let scale = max(1, 128 / model.inputShape.height)
        let picture = FlowPicture.enlarged(pixels, scale: scale)
        let ranked = model.rankedClasses(logits: .init(logits, shape: [1, logits.count]), top: logits.count)[0]
        let labels = explanation.proxies.indices.map { "P\($0)" }
        func png(_ image: DecodedImage) throws -> String {
            Data(try PNGCodec.encode(image.pixels, width: image.width, height: image.height, channels: image.channels)).base64EncodedString()
        }
        classIndex = explanation.classIndex
        className = model.classNames[explanation.classIndex]
        probability = ranked.first { $0.index == explanation.classIndex }?.probability ?? 0
        score = explanation.score
        predictions = Array(ranked.prefix(top))
        mapHeight = explanation.mapHeight
        mapWidth = explanation.mapWidth
        pictureScale = scale
        imagePNG = try png(picture)
        argmaxPNG = try png(FlowPicture.assignment(explanation.proxies.map(\.map), mapHeight: mapHeight, mapWidth: mapWidth,
                                                   labels: labels, over: picture))
        proxies = try explanation.proxies.enumerated().map { index, proxy in
            Proxy(proxy: index, massShare: proxy.massShare, scoreContribution: proxy.contribution,
                  scoreShare: explanation.score == 0 ? 0 : proxy.contribution / explanation.score,
                  png: try png(FlowPicture.heatmap(proxy.map, mapHeight: explanation.mapHeight, mapWidth: explanation.mapWidth, over: picture)),
                  map: proxy.map)
        }
    }
}
