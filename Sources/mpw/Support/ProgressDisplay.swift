import Distributed
import Foundation
import Training

/// Shows training progress: a live bar redrawn in place on a terminal, or one plain line every
/// `interval` steps when the output is a file or a pipe (logs stay readable).
final class ProgressDisplay {
    let isTerminal: Bool
    let interval: Int
    private var lastWidth = 0

    init(interval: Int) {
        isTerminal = Self.isTerminal(STDOUT_FILENO)
        self.interval = max(1, interval)
    }

    /// True when `descriptor` is a terminal a person watches. Under mpirun it never counts as one:
    /// Open MPI hands each rank a pseudo-terminal even when mpirun's own output goes to a file,
    /// and redrawn lines would reach the file as carriage returns.
    static func isTerminal(_ descriptor: Int32) -> Bool {
        isatty(descriptor) != 0 && LaunchEnvironment.current() == nil
    }

    func handle(_ event: TrainingEvent) {
        switch event {
        case let .epochStarted(epoch, epochs, batches, learningRate):
            if !isTerminal { emit("epoch \(epoch + 1)/\(epochs): \(counted(batches, "step")), learning rate \(format(learningRate, 4))") }
        case .step(let p):
            let line = stepLine(p)
            if isTerminal {
                redraw(line)
            } else if p.batchesDone % interval == 0 || p.batchesDone == p.batches {
                emit(line)
            }
        case let .evaluating(epoch, batch, batches):
            if isTerminal { redraw("epoch \(epoch + 1) evaluating \(batch)/\(batches)") }
        case .epochFinished(let r):
            let validation = r.validationTop1.map { " | val top-1 \(percent($0))" } ?? ""
            var line = "epoch \(r.epoch): train loss \(format(r.trainLoss, 4)) acc \(percent(r.trainAccuracy))\(validation) | test loss \(format(r.testLoss, 4)) top-1 \(percent(r.testTop1)) top-5 \(percent(r.testTop5)) | \(format(r.imagesPerSecond, 0)) img/s, \(duration(r.seconds))"
            if let iterations = r.meanSinkhornIterations { line += ", \(format(iterations, 2)) Sinkhorn iterations" }
            if isTerminal { redraw(line) }
            emit(isTerminal ? "" : line, newlineOnly: isTerminal)
        case .checkpointSaved:
            break
        }
    }

    private func stepLine(_ p: StepProgress) -> String {
        let width = 24
        let filled = p.batches > 0 ? p.batchesDone * width / p.batches : width
        let bar = String(repeating: "=", count: filled) + (filled < width ? ">" : "") + String(repeating: " ", count: max(0, width - filled - 1))
        var line = "epoch \(p.epoch + 1)/\(p.epochs) [\(bar)] \(p.batchesDone)/\(p.batches) loss \(format(p.loss, 4)) acc \(percent(p.accuracy)) \(format(p.imagesPerSecond, 0)) img/s ETA \(duration(p.secondsRemaining))" + (p.runSecondsRemaining.isFinite && p.epoch + 1 < p.epochs ? " (run \(duration(p.runSecondsRemaining)))" : "")
        if let iterations = p.meanSinkhornIterations { line += " it \(format(iterations, 1))" }
        return line
    }

    private func redraw(_ line: String) {
        let padding = max(0, lastWidth - line.count)
        print("\r" + line + String(repeating: " ", count: padding), terminator: "")
        fflush(nil)
        lastWidth = line.count
    }

    private func emit(_ line: String, newlineOnly: Bool = false) {
        print(newlineOnly ? "" : line)
        fflush(nil)
        lastWidth = 0
    }

    /// Ends a redrawn line before other output.
    func finish() {
        if isTerminal && lastWidth > 0 { emit("", newlineOnly: true) }
    }
}

func format(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }
func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }

func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "?" }
    let total = Int(seconds.rounded())
    return total >= 3600 ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60) : String(format: "%d:%02d", total / 60, total % 60)
}
