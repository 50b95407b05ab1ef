import Distributed
import Foundation
import NN
import Tensors

/// Sums parameter gradients over the ranks while the backward pass still runs, as PyTorch DDP's
/// reducer does: the parameters are grouped, in reverse state-dict order (the order backward
/// finishes them), into buckets of about `bucketBytes`; a bucket's gradients are copied into its
/// flat buffer as each becomes final, and the full bucket is handed to the communication thread.
/// Buckets are launched strictly in order, so every rank runs the same allreduces in the same
/// order whatever the timing.
final class GradientBuckets {
    private struct Slot {
        let parameter: Parameter
        let bucket: Int
        let offset: Int
        let count: Int
    }

    private struct Bucket {
        let buffer: UnsafeMutableBufferPointer<Float>
        let slots: Range<Int>
    }

    private let slots: [Slot]
    private let buckets: [Bucket]
    private let communicator: any Communicator
    private let thread: CommunicationThread
    private var slotOfLeaf: [ObjectIdentifier: Int] = [:]
    private var formats: [MemoryFormat?]
    private var missing: [Int]
    private var nextBucket = 0

    /// Elements summed per step.
    let elementCount: Int
    var bucketCount: Int { buckets.count }

    init(parameters: [Parameter], bucketBytes: Int, communicator: any Communicator, thread: CommunicationThread) {
        var slots: [Slot] = []
        var bucketSizes: [Int] = []
        var current = 0, bucketIndex = 0
        for parameter in parameters.reversed() {
            if current > 0 && (current + parameter.value.count) * 4 > bucketBytes {
                bucketSizes.append(current)
                bucketIndex += 1
                current = 0
            }
            slots.append(Slot(parameter: parameter, bucket: bucketIndex, offset: current, count: parameter.value.count))
            current += parameter.value.count
        }
        if current > 0 { bucketSizes.append(current) }
        var start = 0
        buckets = bucketSizes.enumerated().map { index, size in
            let end = slots[start...].firstIndex { $0.bucket != index } ?? slots.count
            defer { start = end }
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: size)
            buffer.initialize(repeating: 0)
            return Bucket(buffer: buffer, slots: start..<end)
        }
        self.slots = slots
        self.communicator = communicator
        self.thread = thread
        formats = Array(repeating: nil, count: slots.count)
        missing = buckets.map(\.slots.count)
        elementCount = bucketSizes.reduce(0, +)
    }

    deinit {
        thread.waitUntilIdle()
        for bucket in buckets { bucket.buffer.deallocate() }
    }

    /// Prepares for one backward pass (parameters get new leaves when loaded, so look them up).
    func begin() {
        slotOfLeaf.removeAll(keepingCapacity: true)
        for (index, slot) in slots.enumerated() {
            if let leaf = slot.parameter.value.leafIdentifier { slotOfLeaf[leaf] = index }
        }
        for index in formats.indices { formats[index] = nil }
        missing = buckets.map(\.slots.count)
        nextBucket = 0
    }

    /// The backward hook: `gradient` of the leaf `leaf` is final.
    func gradientIsFinal(_ leaf: ObjectIdentifier, _ gradient: Tensor) {
        guard let index = slotOfLeaf[leaf] else { return }
        let slot = slots[index]
        precondition(gradient.count == slot.count, "GradientBuckets: gradient of \(gradient.count) elements for a parameter of \(slot.count)")
        gradient.withUnsafeBufferPointer { source in
            (buckets[slot.bucket].buffer.baseAddress! + slot.offset).update(from: source.baseAddress!, count: slot.count)
        }
        formats[index] = gradient.format
        missing[slot.bucket] -= 1
        launchCompleteBuckets()
    }

    private func launchCompleteBuckets() {
        while nextBucket < buckets.count && missing[nextBucket] == 0 {
            let buffer = buckets[nextBucket].buffer, communicator = communicator
            thread.submit { communicator.allreduceSum(buffer, label: "gradient allreduce") }
            nextBucket += 1
        }
    }

    /// After the backward pass: launches what is left (a parameter without a gradient counts as
    /// zeros and keeps no gradient), waits for every bucket and puts the sums in place of the
    /// gradients. Returns the seconds the communication thread spent reducing and the seconds the
    /// caller waited for it here (the part the overlap did not hide).
    func finish() -> (reducing: Double, exposed: Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        for (index, slot) in slots.enumerated() where formats[index] == nil {
            (buckets[slot.bucket].buffer.baseAddress! + slot.offset).update(repeating: 0, count: slot.count)
            missing[slot.bucket] -= 1
        }
        launchCompleteBuckets()
        let reducing = thread.waitUntilIdle()
        let exposed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        for (index, slot) in slots.enumerated() {
            guard let format = formats[index] else { continue }
            var sum = Tensor(uninitializedShape: slot.parameter.shape, format: format)
            sum.withUnsafeMutableBufferPointer { target in
                target.baseAddress!.update(from: buckets[slot.bucket].buffer.baseAddress! + slot.offset, count: slot.count)
            }
            slot.parameter.value.setGradient(sum)
        }
        return (reducing, exposed)
    }
}
