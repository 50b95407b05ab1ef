import Foundation

/// The learning rate as a function of training progress, measured in epochs (fractional within
/// an epoch, so schedules can change per step).
public protocol LearningRateSchedule: Sendable, CustomStringConvertible {
    func learningRate(atEpoch progress: Double) -> Float
}

/// Multiplies the base rate by `factor` at each milestone epoch (PyTorch's MultiStepLR, stepped
/// once per epoch): the CIFAR ResNet recipe uses milestones 100 and 150 of 200 epochs.
public struct MultiStepSchedule: LearningRateSchedule {
    public let base: Float
    public let milestones: [Int]
    public let factor: Float

    public init(base: Float, milestones: [Int], factor: Float = 0.1) {
        self.base = base
        self.milestones = milestones.sorted()
        self.factor = factor
    }

    public func learningRate(atEpoch progress: Double) -> Float {
        let epoch = Int(progress.rounded(.down))
        return base * Float(pow(Double(factor), Double(milestones.filter { $0 <= epoch }.count)))
    }

    public var description: String { "multistep:\(milestones.map(String.init).joined(separator: ",")) ×\(factor)" }
}

/// Cosine annealing from the base rate to `minimum` over `epochs`, updated every step.
public struct CosineSchedule: LearningRateSchedule {
    public let base: Float
    public let epochs: Int
    public let minimum: Float

    public init(base: Float, epochs: Int, minimum: Float = 0) {
        self.base = base
        self.epochs = epochs
        self.minimum = minimum
    }

    public func learningRate(atEpoch progress: Double) -> Float {
        let t = min(max(progress / Double(max(epochs, 1)), 0), 1)
        return minimum + (base - minimum) * Float(0.5 * (1 + cos(Double.pi * t)))
    }

    public var description: String { "cosine over \(epochs) epochs" }
}

/// Linear warm-up over the first `epochs`: step s (counting from 1) of `stepsPerEpoch`-step
/// epochs runs at s / (epochs · stepsPerEpoch) of the wrapped schedule's rate, so the very first
/// step already moves; afterwards the wrapped schedule applies unchanged.
public struct LinearWarmup: LearningRateSchedule {
    public let epochs: Double
    public let stepsPerEpoch: Int
    public let schedule: any LearningRateSchedule

    public init(epochs: Double, stepsPerEpoch: Int, then schedule: any LearningRateSchedule) {
        self.epochs = epochs
        self.stepsPerEpoch = max(stepsPerEpoch, 1)
        self.schedule = schedule
    }

    public func learningRate(atEpoch progress: Double) -> Float {
        let target = schedule.learningRate(atEpoch: progress)
        guard epochs > 0, progress < epochs else { return target }
        let step = max(progress, 0) * Double(stepsPerEpoch) + 1
        return target * Float(min(1, step / (epochs * Double(stepsPerEpoch))))
    }

    public var description: String { "\(epochs)-epoch linear warm-up, then \(schedule)" }
}

/// A fixed learning rate.
public struct ConstantSchedule: LearningRateSchedule {
    public let base: Float
    public init(base: Float) { self.base = base }
    public func learningRate(atEpoch progress: Double) -> Float { base }
    public var description: String { "constant" }
}
