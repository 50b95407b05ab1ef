import Foundation
import Tensors

/// The background half of a `BatchLoader`: worker threads that build batches ahead of the
/// consumer, at most `capacity` batches ahead, delivered in order.
///
/// Workers claim batch indices in order, build them independently (each batch's content depends
/// only on the plan and its index, never on the worker), and park the result until the
/// consumer reaches it. The bound keeps memory fixed: at most `capacity` batches exist besides
/// the one the consumer holds, and their tensors are recycled.
///
/// Thread safety: every mutable field is read and written only while holding `condition`; the
/// plan is immutable. That is what the `@unchecked Sendable` promises.
final class PrefetchPipeline: @unchecked Sendable {
    private let plan: LoaderPlan
    private let capacity: Int
    private let end: Int
    private let condition = NSCondition()
    private var ready: [Int: Result<Batch, any Error>] = [:]
    private var nextClaim: Int
    private var nextDelivery: Int
    private var cancelled = false
    private var runningWorkers = 0
    private var spareBuffers: [Tensor] = []

    init(plan: LoaderPlan, startBatch: Int, capacity: Int) {
        self.plan = plan
        self.capacity = capacity
        end = plan.batchCount
        nextClaim = startBatch
        nextDelivery = startBatch
    }

    func start(workers: Int) {
        condition.lock()
        runningWorkers = workers
        condition.unlock()
        for number in 0..<workers {
            let thread = Thread { [self] in work() }
            thread.name = "mpw-loader-\(number)"
            thread.start()
        }
    }

    /// The next batch in order, waiting for it if needed; nil after the last one.
    func take() -> Result<Batch, any Error>? {
        condition.lock()
        defer { condition.unlock() }
        guard nextDelivery < end && !cancelled else { return nil }
        while ready[nextDelivery] == nil { condition.wait() }
        let result = ready.removeValue(forKey: nextDelivery)
        nextDelivery += 1
        condition.broadcast()
        return result
    }

    /// Offers a handed-out batch tensor for reuse; it is reused only once no copy is alive.
    func recycle(_ tensor: Tensor) {
        condition.lock()
        if spareBuffers.count < capacity { spareBuffers.append(tensor) }
        condition.unlock()
    }

    /// Stops the workers after their current batch and waits for them to exit.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while runningWorkers > 0 { condition.wait() }
        condition.unlock()
    }

    private func work() {
        let builder = BatchBuilder(plan: plan)
        while true {
            // Scoped to one batch: a reference kept past it would make the consumer's tensor shared.
            var buffer: Tensor?
            guard let index = claim(spare: &buffer) else { break }
            let result = Result { try builder.build(index, reusing: &buffer) }
            condition.lock()
            ready[index] = result
            condition.broadcast()
            condition.unlock()
        }
        condition.lock()
        runningWorkers -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch index to build, once it is within `capacity` of the consumer, and in `spare`
    /// a recycled tensor to build it in; nil when all are claimed or the pipeline is cancelled.
    /// The spare is taken under the same lock as the index: a claim is possible only after the
    /// consumer has recycled its previous batch, so the tensors in use stay the same few however
    /// the threads are scheduled.
    private func claim(spare: inout Tensor?) -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && nextClaim < end && nextClaim - nextDelivery >= capacity { condition.wait() }
        guard !cancelled && nextClaim < end else { return nil }
        spare = spareBuffers.popLast()
        defer { nextClaim += 1 }
        return nextClaim
    }
}
