import Foundation
import Tensors
import Training

/// explain.json: for every image, the class explained and, per proxy, its matching-flow map, its
/// share of the mass, its part of the score and the picture drawn.
struct ExplainReport: Codable {
    struct Proxy: Codable {
        let proxy: Int
        let massShare: Float
        let scoreContribution: Float
        let picture: String?
        /// T[:, m] as mapHeight rows of mapWidth values.
        let map: [Float]
    }

    struct Image: Codable {
        let file: String
        let classIndex: Int
        let className: String
        let predictedIndex: Int
        let predictedName: String
        let probability: Double
        let score: Float
        let mapHeight: Int
        let mapWidth: Int
        let argmaxPicture: String?
        let proxies: [Proxy]
    }

    let checkpoint: String
    let pictureScale: Int
    let sheet: String?
    let images: [Image]

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try AtomicFile.write(try encoder.encode(self), to: URL(fileURLWithPath: path))
    }
}
