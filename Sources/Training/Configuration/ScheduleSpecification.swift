import NN

/// A learning-rate schedule as written on the command line: `multistep:100,150` (×0.1 at each
/// milestone epoch; `multistep:60,120,160x0.2` for another factor), `cosine` (annealed to 0 over
/// the run) or `constant`, plus an optional linear warm-up over the first epochs.
public struct ScheduleSpecification: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Shape: Codable, Sendable, Equatable {
        case multiStep(milestones: [Int])
        case cosine
        case constant
    }

    public var shape: Shape
    public var warmupEpochs: Double
    /// The multi-step factor when it is not 0.1 (nil keeps older config.json files unchanged).
    public var factor: Float? = nil

    public init(shape: Shape, warmupEpochs: Double = 0) {
        self.shape = shape
        self.warmupEpochs = warmupEpochs
    }

    /// Parses `multistep:M1,M2,...`, `cosine` or `constant`.
    public init(parsing text: String, warmupEpochs: Double = 0) throws {
        self.warmupEpochs = warmupEpochs
        if text == "cosine" {
            shape = .cosine
        } else if text == "constant" {
            shape = .constant
        } else if text.hasPrefix("multistep:") {
            var list = text.dropFirst("multistep:".count)
            if let times = list.lastIndex(of: "x") {
                guard let factor = Float(list[list.index(after: times)...]), factor > 0, factor.isFinite else {
                    throw ConfigurationError("--schedule \(text): the factor after x must be a positive number, as in multistep:60,120,160x0.2")
                }
                self.factor = factor
                list = list[..<times]
            }
            let parts = list.split(separator: ",", omittingEmptySubsequences: false)
            let milestones = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, milestones.count == parts.count, milestones.allSatisfy({ $0 > 0 }) else {
                throw ConfigurationError("--schedule \(text): milestones must be positive epoch numbers, as in multistep:100,150")
            }
            shape = .multiStep(milestones: milestones)
        } else {
            throw ConfigurationError("--schedule \(text): expected multistep:E1,E2,..., cosine or constant")
        }
    }

    /// The schedule for a run of `epochs` epochs of `stepsPerEpoch` steps from base rate `base`.
    public func schedule(base: Float, epochs: Int, stepsPerEpoch: Int) -> any LearningRateSchedule {
        let main: any LearningRateSchedule
        switch shape {
        case .multiStep(let milestones): main = MultiStepSchedule(base: base, milestones: milestones, factor: factor ?? 0.1)
        case .cosine: main = CosineSchedule(base: base, epochs: epochs)
        case .constant: main = ConstantSchedule(base: base)
        }
        return warmupEpochs > 0 ? LinearWarmup(epochs: warmupEpochs, stepsPerEpoch: stepsPerEpoch, then: main) : main
    }

    public var description: String {
        let main: String
        switch shape {
        case .multiStep(let milestones):
            main = "multistep:" + milestones.map(String.init).joined(separator: ",") + (factor.map { "x\($0)" } ?? "")
        case .cosine: main = "cosine"
        case .constant: main = "constant"
        }
        return warmupEpochs > 0 ? "\(main) after \(warmupEpochs) warm-up epochs" : main
    }
}

import Foundation
