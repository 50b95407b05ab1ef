import Foundation
import Kernels
import Models
import MultiProxy
import NN
import Testing
import Tensors
import TestSupport

/// A CIFAR ResNet-8 trained for a few SGD steps in bf16 stays close to the same steps in float32,
/// and its float32 checkpoint evaluates the same in either precision (the engine: oneDNN where the
/// CPU has native bf16, the portable one otherwise).
@Suite struct BFloat16TrainingTests {
    static let engine: Convolution.Backend = CPUFeatures.nativeBFloat16 ? .oneDNN : .gemm

    func makeModel() throws -> (ImageClassifier, SafeTensorsFile) {
        let file = try Oracles.file("resnet_step.safetensors")
        var generator = RandomGenerator(seed: 0)
        let model = ImageClassifier(backbone: CIFARResNet(depth: 8, generator: &generator),
                                    head: GlobalAveragePoolingHead(channels: 64, classes: 10, generator: &generator), headPrefix: "head")
        try model.load(from: file, prefix: "before.")
        return (model, file)
    }

    /// The losses of `steps` SGD steps on the oracle's batch, and the model afterwards.
    func train(precision: Precision, steps: Int) throws -> ([Float], ImageClassifier, Tensor) {
        let (model, file) = try makeModel()
        let sgd = SGD(model: model, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)
        let x = try file.tensor("x")
        let labels = try file.integers("y").map(Int32.init)
        var losses: [Float] = []
        for _ in 0..<steps {
            let loss = Autocast.run(precision, backend: Self.engine) { Tensor.crossEntropy(logits: model(x), labels: labels) }
            losses.append(loss.item)
            loss.backward()
            sgd.step()
        }
        return (losses, model, x)
    }

    @Test func trainingStepsStayCloseToFloat32() throws {
        let steps = 4
        let (fullLosses, full, _) = try train(precision: .fp32, steps: steps)
        let (mixedLosses, mixed, _) = try train(precision: .bf16, steps: steps)
        let (start, _) = try makeModel()
        for (step, (a, b)) in zip(mixedLosses, fullLosses).enumerated() {
            #expect(abs(a - b) <= 0.02 * abs(b), "loss of step \(step): bf16 \(a), fp32 \(b)")
        }
        #expect(mixedLosses != fullLosses, "the bf16 steps ran in bf16")
        let initial = Dictionary(uniqueKeysWithValues: start.stateDict().map { ($0.name, $0.value) })
        let reference = Dictionary(uniqueKeysWithValues: full.stateDict().map { ($0.name, $0.value) })
        for (name, value) in mixed.stateDict() where name.hasSuffix("weight") {
            // What the steps changed, bf16 against fp32: the same direction.
            let update = (value - initial[name]!).scalars, expected = (reference[name]! - initial[name]!).scalars
            let cosine = Self.cosine(update, expected)
            #expect(cosine > 0.97, "update of \(name): cosine \(cosine) with fp32's")
        }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let norms = a.reduce(0.0) { $0 + Double($1) * Double($1) } * b.reduce(0.0) { $0 + Double($1) * Double($1) }
        return dot / norms.squareRoot()
    }

    @Test func checkpointsInterchangeBetweenPrecisions() throws {
        let (_, trained, x) = try train(precision: .bf16, steps: 2)
        var writer = SafeTensorsWriter()
        trained.write(to: &writer)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bf16-interchange-\(ProcessInfo.processInfo.processIdentifier).safetensors")
        try writer.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(file.entries.values.allSatisfy { $0.dtype == .float32 || $0.dtype == .int64 }, "checkpoints stay float32")

        let (restored, _) = try makeModel()
        try restored.load(from: file)
        for ((name, a), (_, b)) in zip(trained.stateDict(), restored.stateDict()) {
            #expect(a.scalars == b.scalars, "\(name) round-trips bit for bit")
        }
        trained.eval()
        restored.eval()
        restored.precision = .fp32
        let full = withoutGradients { restored(x) }
        let mixed = withoutGradients { Autocast.run(.bf16, backend: Self.engine) { trained(x) } }
        #expect(relativeError(mixed, full) < 2e-2, "bf16-trained weights evaluate alike in fp32 and bf16: \(relativeError(mixed, full))")
        #expect(mixed.scalars != full.scalars)
    }
}
