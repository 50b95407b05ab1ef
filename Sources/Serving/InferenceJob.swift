import Datasets
import Foundation
import Training

/// What one request asks of the model.
enum InferenceWork: Sendable {
    /// Decoded images, preprocessed as `mpw predict` does; answered with their logits.
    case images([DecodedImage])
    /// Inputs already preprocessed by the client, `count` images of the model's (C, H, W) in
    /// row-major order (the Open Inference Protocol's FP32 tensor); answered with their logits.
    case tensor([Float], count: Int)
    /// One image whose matching flow to draw, for class `classIndex` or the predicted one.
    case explain(DecodedImage, classIndex: Int?)

    var imageCount: Int {
        switch self {
        case .images(let images): images.count
        case .tensor(_, let count): count
        case .explain: 1
        }
    }

    /// Work of the same family runs in one batch: a forward pass for logits, or the explanation.
    var explains: Bool {
        if case .explain = self { return true }
        return false
    }
}

/// What the model answers.
enum InferenceResult: Sendable {
    /// (images, classes) logits, row-major.
    case logits([Float])
    /// The matching flow, the image's logits and its pixels as the network saw them (unnormalised).
    case explanation(FlowExplanation, logits: [Float], pixels: DecodedImage)
}

/// One queued request: its work and the continuation its handler awaits, resumed exactly once
/// (with the result, a failure, or the timeout, whichever comes first).
final class InferenceJob: @unchecked Sendable {
    let work: InferenceWork
    /// When the request was queued, for the statistics' queue time.
    let arrival = ContinuousClock.now
    private let lock = NSLock()
    private var continuation: CheckedContinuation<InferenceResult, any Error>?
    private var outcome: Result<InferenceResult, any Error>?

    init(_ work: InferenceWork) {
        self.work = work
    }

    /// Hands over the continuation; resumes it at once if the job already ended (a timeout or a
    /// refusal that came first).
    func attach(_ continuation: CheckedContinuation<InferenceResult, any Error>) {
        lock.lock()
        if let outcome {
            lock.unlock()
            continuation.resume(with: outcome)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    /// Ends the job; false if it had already ended.
    @discardableResult
    func finish(_ result: Result<InferenceResult, any Error>) -> Bool {
        lock.lock()
        guard outcome == nil else {
            lock.unlock()
            return false
        }
        outcome = result
        let waiting = continuation
        continuation = nil
        lock.unlock()
        waiting?.resume(with: result)
        return true
    }

    var hasEnded: Bool {
        lock.lock()
        defer { lock.unlock() }
        return outcome != nil
    }
}
