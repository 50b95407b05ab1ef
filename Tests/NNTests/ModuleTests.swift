import Foundation
import NN
import Testing
import Tensors
import TestSupport

final class TinyNet: Module, Layer {
    let conv: Conv2d
    let bn: BatchNorm2d
    let blocks: [Linear]
    let head: Sequential

    init(generator: inout RandomGenerator) {
        conv = Conv2d(3, 4, kernelSize: 3, padding: 1, generator: &generator)
        bn = BatchNorm2d(4)
        blocks = [Linear(4, 4, generator: &generator), Linear(4, 4, bias: false, generator: &generator)]
        head = Sequential(ReLU(), Linear(4, 2, generator: &generator))
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        head(blocks.reduce(bn(conv(x)).globalAveragePooled()) { $1($0) })
    }
}

@Suite struct ModuleTests {
    @Test func stateDictNamesFollowPyTorch() {
        var generator = RandomGenerator(seed: 1)
        let net = TinyNet(generator: &generator)
        #expect(net.stateDict().map(\.name) == [
            "conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
            "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "head.1.weight", "head.1.bias",
        ])
        #expect(net.parameterCount == 4 * 3 * 9 + 8 + 20 + 16 + 10)
    }

    @Test func trainAndEvalReachEveryModule() {
        var generator = RandomGenerator(seed: 2)
        let net = TinyNet(generator: &generator)
        net.eval()
        #expect(net.modules.allSatisfy { !$0.isTraining })
        net.train()
        #expect(net.modules.allSatisfy { $0.isTraining })
    }

    @Test func stateDictRoundTripsThroughSafetensors() throws {
        var generator = RandomGenerator(seed: 3)
        let source = TinyNet(generator: &generator), target = TinyNet(generator: &generator)
        _ = source(randomTensor([2, 3, 4, 4], seed: 4))  // moves the running statistics
        var writer = SafeTensorsWriter()
        source.write(to: &writer, prefix: "model.")
        let directory = try TemporaryDirectory()
        try writer.write(to: directory.file("net.safetensors"))
        let file = try SafeTensorsFile(contentsOf: directory.file("net.safetensors"))
        #expect(try file.entry("model.bn.num_batches_tracked").dtype == .int64)
        try target.load(from: file, prefix: "model.")
        for ((name, a), (_, b)) in zip(source.stateDict(), target.stateDict()) {
            #expect(a.scalars == b.scalars, "\(name)")
        }
        #expect(target.conv.weight.value.requiresGradient)
    }

    @Test func loadingAMismatchedStateDictListsEveryKeyAndChangesNothing() throws {
        var generator = RandomGenerator(seed: 5)
        let net = TinyNet(generator: &generator)
        var state = Dictionary(uniqueKeysWithValues: net.stateDict().map { ($0.name, $0.value) })
        state["conv.weight"] = nil
        state["extra.weight"] = Tensor.zeros([1])
        state["bn.bias"] = Tensor.zeros([5])
        let before = net.bn.bias.value.scalars
        #expect(throws: StateDictError.self) { try net.load(stateDict: state) }
        do {
            try net.load(stateDict: state, source: "bad.safetensors")
        } catch let error as StateDictError {
            #expect(error.missing == ["conv.weight"])
            #expect(error.unexpected == ["extra.weight"])
            #expect(error.mismatched.map(\.key) == ["bn.bias"])
            #expect(error.description.hasPrefix("bad.safetensors: "))
        }
        #expect(net.bn.bias.value.scalars == before)
    }

    @Test func initialisationMatchesTorchvisionStatistics() {
        var generator = RandomGenerator(seed: 6)
        let conv = Conv2d(64, 128, kernelSize: 3, generator: &generator)
        let w = conv.weight.value
        let std = w.variance(axes: [0, 1, 2, 3]).item.squareRoot()
        #expect(abs(std - (2.0 / Float(128 * 9)).squareRoot()) < 0.003)
        let linear = Linear(100, 50, generator: &generator)
        let bound: Float = 0.1
        #expect(linear.weight.value.scalars.allSatisfy { abs($0) <= bound })
        #expect(linear.weight.value.max().item > 0.09)
        let bn = BatchNorm2d(8)
        #expect(bn.weight.value.scalars == [Float](repeating: 1, count: 8) && bn.bias.value.scalars == [Float](repeating: 0, count: 8))
    }

    @Test func multiplyAccumulatesAreCountedFromTheLayers() {
        var generator = RandomGenerator(seed: 7)
        let net = TinyNet(generator: &generator)
        net.eval()
        let macs = MultiplyAccumulateCounter.count { _ = withoutGradients { net(Tensor.zeros([1, 3, 5, 5])) } }
        #expect(macs == 25 * 4 * 3 * 9 + 16 + 16 + 8)
    }

    @Test func dropoutScalesKeptElementsAndIsIdentityInEvaluation() {
        let dropout = Dropout(probability: 0.25, seed: 8)
        let y = dropout(Tensor.ones([10_000])).scalars
        #expect(y.allSatisfy { $0 == 0 || abs($0 - 4.0 / 3) < 1e-6 })
        #expect(abs(Float(y.filter { $0 == 0 }.count) / 10_000 - 0.25) < 0.02)
        dropout.eval()
        #expect(dropout(Tensor.ones([4])).scalars == [1, 1, 1, 1])
    }
}
