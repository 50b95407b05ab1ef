import Datasets
import Distributed
import Foundation
import Models
import MultiProxy
import NN
import Tensors

/// Data parallelism for a `Trainer`: the ranks of a communicator each take a contiguous part of
/// every global batch, sum their gradients (in buckets, overlapped with the backward pass, on a
/// communication thread), optionally synchronise BatchNorm statistics, and agree on the figures
/// of every step. With the one-process communicator it does nothing and the trainer runs exactly
/// as it always has.
public final class DataParallel {
    public let world: any Communicator
    public let batchNorm: BatchNormMode
    public let bucketBytes: Int
    private var buckets: GradientBuckets?
    private var thread: CommunicationThread?

    /// Totals over the steps run so far (for `mpw bench train` and the README figures).
    public private(set) var reducingSeconds = 0.0
    public private(set) var exposedSeconds = 0.0
    public private(set) var batchNormSeconds = 0.0
    public private(set) var steps = 0

    public static let defaultBucketBytes = 25 << 20

    public init(world: any Communicator = LocalCommunicator(), batchNorm: BatchNormMode = .sync, bucketBytes: Int = defaultBucketBytes) {
        self.world = world
        self.batchNorm = batchNorm
        self.bucketBytes = bucketBytes
    }

    public var isDistributed: Bool { world.isDistributed }
    public var isLeader: Bool { world.isLeader }

    /// This rank's part of every batch (nil on one process).
    public var shard: BatchShard? { isDistributed ? BatchShard(rank: world.rank, count: world.size) : nil }

    /// Bytes of gradients each rank sends into the allreduce per step.
    public var gradientBytesPerStep: Int { (buckets?.elementCount ?? 0) * 4 }
    public var bucketCount: Int { buckets?.bucketCount ?? 0 }

    /// Makes every rank start from rank 0's weights and buffers, and prepares the gradient buckets.
    public func attach(_ model: Module) {
        guard isDistributed else { return }
        broadcast(model.namedParameters().map(\.parameter), label: "broadcast of the initial weights")
        let thread = CommunicationThread()
        self.thread = thread
        buckets = GradientBuckets(parameters: model.trainableParameters, bucketBytes: bucketBytes,
                                  communicator: world.duplicated(), thread: thread)
    }

    /// Rank 0's values of `parameters` on every rank.
    func broadcast(_ parameters: [Parameter], label: StaticString) {
        for parameter in parameters {
            parameter.value.withUnsafeMutableBufferPointer { world.broadcast(UnsafeMutableRawBufferPointer($0), from: 0, label: label) }
        }
    }

    /// With local BatchNorm, rank 0's running statistics everywhere (before evaluating or saving).
    func shareRunningStatistics(of model: Module) {
        guard isDistributed, batchNorm == .local else { return }
        broadcast(model.namedParameters().map(\.parameter).filter { !$0.isTrainable }, label: "broadcast of rank 0's BatchNorm statistics")
    }

    /// Forgets the time totals (after a benchmark's warm-up).
    public func resetTimes() {
        reducingSeconds = 0
        exposedSeconds = 0
        batchNormSeconds = 0
        steps = 0
    }

    /// Runs `body` (forward and backward passes) with BatchNorm synchronised over the ranks, when
    /// that is the mode.
    public func withBatchNormSynchronised<R>(_ body: () throws -> R) rethrows -> R {
        guard isDistributed, batchNorm == .sync else { return try body() }
        let world = world
        let sum = BatchStatisticsReduction.ReplicaSum { [unowned self] values in
            let start = DispatchTime.now().uptimeNanoseconds
            world.allreduceSum(&values, label: "BatchNorm statistics allreduce")
            batchNormSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        }
        return try BatchStatisticsReduction.withReplicaSum(sum, body)
    }

    /// Back-propagates this rank's `loss`, the mean over its `localCount` samples of a global
    /// batch of `globalCount`, so that the summed gradients are those of the global mean: the seed
    /// is localCount / globalCount. Gradients are summed over the ranks as they become final.
    public func backward(_ loss: Tensor, localCount: Int, globalCount: Int) {
        guard let buckets else {
            loss.backward()
            return
        }
        buckets.begin()
        let share = Self.weighsRanksEqually ? 1 / Float(world.size) : Float(localCount) / Float(globalCount)
        loss.backward(seed: Tensor.full(loss.shape, share), gradientIsFinal: buckets.gradientIsFinal)
        let (reducing, exposed) = buckets.finish()
        reducingSeconds += reducing
        exposedSeconds += exposed
        steps += 1
    }

    /// A deliberate error for the equality tests to catch (`MPW_FAULT=equal-rank-weights`): every
    /// rank's loss weighs 1/ranks of the step whatever its share of the batch, as a data-parallel
    /// trainer that averages gradients over ranks does when the shards differ in size.
    static let weighsRanksEqually = ProcessInfo.processInfo.environment["MPW_FAULT"] == "equal-rank-weights"

    /// The element-wise sums of `values` over the ranks.
    func sum(_ values: [Double], label: StaticString) -> [Double] {
        var values = values
        world.allreduceSum(&values, label: label)
        return values
    }

    /// True on every rank when it is true on any (a stop request reaching only some ranks).
    func any(_ flag: Bool, label: StaticString) -> Bool {
        sum([flag ? 1 : 0], label: label)[0] > 0
    }

    /// Every rank must see the same run: the same counts (datasets, parameters, position). A
    /// host with another copy of the data would otherwise train on different samples.
    func requireAgreement(_ values: [(name: String, value: Int)]) throws {
        guard isDistributed else { return }
        let gathered = world.allgather(values.map { Double($0.value) }, label: "allgather of the run's sizes")
        for (rank, theirs) in gathered.enumerated() {
            for (index, item) in values.enumerated() where Int(theirs[index]) != Int(gathered[0][index]) {
                throw ConfigurationError("rank \(rank) sees \(Int(theirs[index])) \(item.name), rank 0 sees \(Int(gathered[0][index])): every host needs the same data at the same path")
            }
        }
    }
}
