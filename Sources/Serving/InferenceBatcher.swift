import Datasets
import Foundation
import Kernels
import Tensors
import Training

/// Dynamic batching: requests queue here, and one inference thread takes the oldest and every
/// request of its kind that arrives within `maxDelay` of it (up to `maxBatch` images), runs them
/// as one batch through the model (the code `mpw predict` and `mpw explain` run), and answers
/// each request with its own rows.
///
/// The model runs on its own thread, not on Swift's cooperative pool: a forward pass blocks for
/// milliseconds and uses every core through the OpenMP pool, which must not starve the event loops.
public final class InferenceBatcher: @unchecked Sendable {
    let model: TrainedModel
    let maxBatch: Int
    let maxDelay: Duration
    let queueLimit: Int
    let metrics: ServerMetrics
    /// Triton's statistics of the model version this batcher runs.
    let statistics: InferenceStatistics

    private let condition = NSCondition()
    private var queue: [(job: InferenceJob, arrival: ContinuousClock.Instant)] = []
    private var queuedImages = 0
    private var stopping = false
    /// A batch ran since the memory was last given back (`IdleMemory`).
    private var ranSinceIdle = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init(model: TrainedModel, settings: ServerSettings, metrics: ServerMetrics, statistics: InferenceStatistics) {
        self.model = model
        self.maxBatch = settings.maxBatch
        self.maxDelay = .milliseconds(settings.maxDelayMilliseconds)
        self.queueLimit = settings.queueLimit
        self.metrics = metrics
        self.statistics = statistics
    }

    /// Starts the inference thread.
    public func start() {
        let thread = Thread { [self] in
            // Named from inside, so that the name reaches the system thread (/proc/PID/task/*/comm, top, gdb).
            Thread.current.name = "mpw-inference"
            // The OpenMP thread count is a per-thread setting: give this thread the process's.
            Threads.set(Threads.count)
            run()
            finished.signal()
        }
        thread.stackSize = 64 << 20
        self.thread = thread
        thread.start()
    }

    /// Refuses new work, lets the thread finish what is queued and waits for it.
    public func stop() {
        condition.lock()
        let wasRunning = thread != nil && !stopping
        stopping = true
        condition.broadcast()
        condition.unlock()
        if wasRunning { finished.wait() }
    }

    /// Queues `work` and waits for its result; 503 when the queue is full or the server is
    /// stopping, 504 after `timeout`.
    func submit(_ work: InferenceWork, timeout: Duration) async throws -> InferenceResult {
        let job = InferenceJob(work)
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            if job.finish(.failure(ServingError(.gatewayTimeout, "no answer within the \(timeout.milliseconds) ms request timeout (--timeout-ms)"))) {
                self?.remove(job)
            }
        }
        defer { timer.cancel() }
        do {
            let result = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    job.attach(continuation)
                    if let refusal = enqueue(job) { job.finish(.failure(refusal)) }
                }
            } onCancel: {
                if job.finish(.failure(CancellationError())) { remove(job) }
            }
            statistics.recordRequest(succeeded: true, duration: job.arrival.duration(to: .now))
            return result
        } catch {
            statistics.recordRequest(succeeded: false, duration: job.arrival.duration(to: .now))
            throw error
        }
    }

    private func enqueue(_ job: InferenceJob) -> ServingError? {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return ServingError(.serviceUnavailable, "the server is shutting down") }
        guard queuedImages + job.work.imageCount <= queueLimit || queue.isEmpty else {
            return ServingError(.serviceUnavailable, "the queue is full (\(queuedImages) images waiting, --queue-limit \(queueLimit)); retry later")
        }
        queue.append((job, .now))
        queuedImages += job.work.imageCount
        metrics.changeQueueDepth(by: job.work.imageCount)
        condition.signal()
        return nil
    }

    private func remove(_ job: InferenceJob) {
        condition.lock()
        defer { condition.unlock() }
        if let index = queue.firstIndex(where: { $0.job === job }) {
            queuedImages -= job.work.imageCount
            queue.remove(at: index)
            metrics.changeQueueDepth(by: -job.work.imageCount)
        }
    }

    /// The inference thread: waits for work, gathers a batch, runs it, until stopped and drained.
    private func run() {
        while let batch = nextBatch() {
            execute(batch)
        }
    }

    /// The next batch: the oldest job and later jobs of its kind, once `maxBatch` images wait or
    /// `maxDelay` has passed since the oldest arrived; nil when stopped with nothing left. Idle
    /// for `IdleMemory.delay` after a batch, it gives the batches' memory back.
    private func nextBatch() -> [InferenceJob]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            while queue.isEmpty && !stopping {
                guard ranSinceIdle else {
                    condition.wait()
                    continue
                }
                if !condition.wait(until: Date(timeIntervalSinceNow: IdleMemory.delay.seconds)) && queue.isEmpty && !stopping {
                    ranSinceIdle = false
                    condition.unlock()
                    IdleMemory.giveBack()
                    condition.lock()
                }
            }
            guard let first = queue.first else { return nil }
            let deadline = first.arrival + maxDelay
            while queuedImages < maxBatch && !stopping && ContinuousClock.now < deadline {
                let remaining = ContinuousClock.now.duration(to: deadline)
                condition.wait(until: Date(timeIntervalSinceNow: remaining.seconds))
            }
            // Requests that timed out while waiting have left the queue.
            guard let oldest = queue.first else { continue }
            var batch: [InferenceJob] = [], images = 0, taken: [Int] = []
            let explains = oldest.job.work.explains
            for (index, entry) in queue.enumerated() where entry.job.work.explains == explains {
                let count = entry.job.work.imageCount
                if !batch.isEmpty && images + count > maxBatch { break }
                batch.append(entry.job)
                images += count
                taken.append(index)
            }
            for index in taken.reversed() { queue.remove(at: index) }
            let takenImages = batch.reduce(0) { $0 + $1.work.imageCount }
            queuedImages -= takenImages
            metrics.changeQueueDepth(by: -takenImages)
            let live = batch.filter { !$0.hasEnded }
            if !live.isEmpty {
                ranSinceIdle = true
                return live
            }
        }
    }

    private func execute(_ batch: [InferenceJob]) {
        let images = batch.reduce(0) { $0 + $1.work.imageCount }
        metrics.recordBatch(size: images)
        let start = ContinuousClock.now
        let results: Result<[InferenceResult], any Error> = Result { batch[0].work.explains ? try explain(batch) : try forward(batch) }
        // Counted before anyone is answered, so that a client reading the statistics after its
        // answer sees its batch.
        let waits = batch.reduce(Duration.zero) { $0 + $1.arrival.duration(to: start) }
        statistics.recordBatch(images: images, requests: batch.count, waits: waits, compute: start.duration(to: .now))
        switch results {
        case .success(let results):
            for (job, result) in zip(batch, results) { job.finish(.success(result)) }
        case .failure(let error):
            let failure = ServingError(.internalServerError, "inference failed: \(error)")
            batch.forEach { $0.finish(.failure(failure)) }
        }
    }

    /// One forward pass for every image of the batch; each job's rows of logits, in batch order.
    private func forward(_ batch: [InferenceJob]) throws -> [InferenceResult] {
        let (channels, height, width) = model.inputShape
        var parts: [Tensor] = []
        var decoded: [DecodedImage] = []
        func flushImages() throws {
            if !decoded.isEmpty { parts.append(try model.batch(decoded).images) }
            decoded = []
        }
        for job in batch {
            switch job.work {
            case .images(let images):
                decoded += images
            case .tensor(let values, let count):
                try flushImages()
                parts.append(Tensor(values, shape: [count, channels, height, width]))
            case .explain:
                preconditionFailure("InferenceBatcher.forward: explanations run in their own batch")
            }
        }
        try flushImages()
        let input = parts.count == 1 ? parts[0] : Tensor.concatenate(parts, axis: 0)
        let logits = withoutGradients { model.model(input) }.scalars
        let classes = logits.count / max(1, input.shape[0])
        var row = 0
        return batch.map { job in
            let count = job.work.imageCount
            defer { row += count }
            return .logits(Array(logits[(row * classes)..<((row + count) * classes)]))
        }
    }

    /// The matching flow of every image of the batch, as `mpw explain` computes it, in batch order.
    private func explain(_ batch: [InferenceJob]) throws -> [InferenceResult] {
        var images: [DecodedImage] = [], classes: [Int?] = []
        for job in batch {
            guard case .explain(let image, let classIndex) = job.work else { preconditionFailure("InferenceBatcher.explain: not an explanation") }
            images.append(image)
            classes.append(classIndex)
        }
        let (input, pixels) = try model.batch(images)
        let (explanations, logits) = model.explain(input, classes: classes)
        let values = logits.scalars, count = model.classNames.count
        return batch.indices.map { index in
            .explanation(explanations[index], logits: Array(values[(index * count)..<((index + 1) * count)]), pixels: pixels[index])
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
    var milliseconds: Int { Int((seconds * 1000).rounded()) }
}
