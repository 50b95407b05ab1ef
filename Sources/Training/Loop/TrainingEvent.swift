/// What a running `Trainer` reports, for progress displays.
public enum TrainingEvent {
    case epochStarted(epoch: Int, epochs: Int, batches: Int, learningRate: Double)
    case step(StepProgress)
    case evaluating(epoch: Int, batch: Int, batches: Int)
    case epochFinished(EpochRecord)
    case checkpointSaved(path: String)
}

public struct StepProgress {
    /// 0-based epoch and the number of batches done in it.
    public var epoch: Int
    public var epochs: Int
    public var batchesDone: Int
    public var batches: Int
    /// Running means over the epoch so far.
    public var loss: Double
    public var accuracy: Double
    public var imagesPerSecond: Double
    public var learningRate: Double
    /// Seconds to the end of the epoch at the current pace.
    public var secondsRemaining: Double
    public var meanSinkhornIterations: Double?
    /// Seconds to the end of the run (its remaining epochs and their evaluations) at the current pace.
    public var runSecondsRemaining: Double = .nan
}

/// Why a run stopped early.
public enum TrainingStop: Error, CustomStringConvertible {
    /// SIGINT/SIGTERM: a checkpoint was saved at (epoch, batch).
    case interrupted(epoch: Int, batch: Int, directory: String)
    /// The loss became NaN or infinite; the last checkpoint is the last good state.
    case nonFiniteLoss(epoch: Int, step: Int, value: Float)

    public var description: String {
        switch self {
        case let .interrupted(epoch, batch, directory):
            return "interrupted in epoch \(epoch + 1) after batch \(batch); state saved. Resume with: mpw train --resume \(directory)"
        case let .nonFiniteLoss(epoch, step, value):
            return "the loss became \(value) in epoch \(epoch + 1) at step \(step + 1); stopped. The last checkpoint holds the last good state (try a lower --lr)"
        }
    }
}
