import Foundation
import Tensors

/// A run's folder: config.json, metrics.jsonl (one line per epoch), last.safetensors,
/// best.safetensors and, at the end, summary.json. Every file is replaced atomically, so an
/// interrupted run never leaves a torn file behind.
public struct RunDirectory: Sendable {
    public let url: URL

    public init(_ path: String) {
        url = URL(fileURLWithPath: path).standardizedFileURL
    }

    public var configurationFile: URL { url.appendingPathComponent("config.json") }
    public var metricsFile: URL { url.appendingPathComponent("metrics.jsonl") }
    public static let lastCheckpointName = "last.safetensors"
    public static let bestCheckpointName = "best.safetensors"
    public var lastCheckpoint: URL { url.appendingPathComponent(Self.lastCheckpointName) }
    public var bestCheckpoint: URL { url.appendingPathComponent(Self.bestCheckpointName) }
    public var summaryFile: URL { url.appendingPathComponent("summary.json") }

    /// Creates the folder for a new run; refuses one that already holds a run.
    public func createForNewRun() throws {
        if FileManager.default.fileExists(atPath: lastCheckpoint.path) || FileManager.default.fileExists(atPath: metricsFile.path) {
            throw ConfigurationError("--out \(url.path) already holds a run; resume it with `mpw train --resume \(url.path)` or choose another directory")
        }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw ConfigurationError("--out \(url.path): cannot create the directory (\(error.localizedDescription))")
        }
    }

    public func writeConfiguration(_ configuration: TrainingConfiguration) throws {
        try AtomicFile.write(Data((configuration.json() + "\n").utf8), to: configurationFile)
    }

    /// The epoch records written so far (empty for a new run).
    public func readMetrics() throws -> [EpochRecord] {
        guard let text = try? String(contentsOf: metricsFile, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").enumerated().map { index, line in
            do {
                return try JSONDecoder().decode(EpochRecord.self, from: Data(line.utf8))
            } catch {
                throw ConfigurationError("\(metricsFile.path): line \(index + 1) is not an epoch record")
            }
        }
    }

    public func writeMetrics(_ records: [EpochRecord]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let lines = try records.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: metricsFile)
    }

    public func writeSummary(_ summary: TrainingSummary) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(summary) + Data("\n".utf8), to: summaryFile)
    }
}

/// summary.json: the outcome of a finished run.
public struct TrainingSummary: Codable, Sendable {
    public var model: String
    public var head: String
    public var dataset: String
    public var epochs: Int
    public var parameters: Int
    public var finalTop1: Double
    public var finalTop5: Double
    /// Test top-1 of the best checkpoint, and its epoch.
    public var bestTop1: Double
    public var bestEpoch: Int
    public var trainImagesPerSecond: Double
    public var meanSinkhornIterations: Double?
    public var wallSeconds: Double
    /// CIFAR-10 runs with CIFAR-10.1 at hand: the final and the best checkpoint on it.
    public var cifar10_1Final: ShiftedTestResult? = nil
    public var cifar10_1Best: ShiftedTestResult? = nil
    /// With `--validation-split`: the validation top-1 the best checkpoint was chosen on (nil: chosen on the test split).
    public var bestValidationTop1: Double? = nil

    enum CodingKeys: String, CodingKey {
        case model, head, dataset, epochs, parameters
        case finalTop1 = "final_top1"
        case finalTop5 = "final_top5"
        case bestTop1 = "best_top1"
        case bestEpoch = "best_epoch"
        case bestValidationTop1 = "best_validation_top1"
        case trainImagesPerSecond = "train_images_per_second"
        case meanSinkhornIterations = "mean_sinkhorn_iterations"
        case wallSeconds = "wall_seconds"
        case cifar10_1Final = "cifar10_1_final"
        case cifar10_1Best = "cifar10_1_best"
    }
}
