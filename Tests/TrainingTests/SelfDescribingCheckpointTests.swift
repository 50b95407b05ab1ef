import Datasets
import Foundation
import GraphRuntime
import Models
import MultiProxy
import Testing
import Tensors
import TestSupport
@testable import Training

/// A checkpoint carries its backbone's graph: a model in no zoo (`BranchingBackbone`) loads from
/// the file alone, as a `GraphBackbone`, and classifies as the original did.
@Suite struct SelfDescribingCheckpointTests {
    static func checkpoint(in root: TemporaryDirectory, storingGraph: Bool) throws -> (URL, ImageClassifier) {
        var configuration = TrainerTests.configuration(data: root.url, head: .mpw)
        configuration.dataset = "fashion-mnist"
        configuration.model = "branching"
        var generator = RandomGenerator(seed: 21)
        let backbone = BranchingBackbone(inputChannels: 1, generator: &generator)
        let model = SmallBackbones.classifier(backbone, head: try configuration.head.configuration(), side: 32, generator: &generator)
        let graph = storingGraph ? try GraphCapture.capture(backbone, inputShape: [1, 32, 32]) : nil
        let path = root.file("last.safetensors")
        try Checkpoint.write(to: path, model: model, optimizer: nil, configuration: configuration, state: .start,
                             classNames: (0..<5).map { "class \($0)" }, backboneGraph: graph)
        return (path, model)
    }

    @Test func aModelOutsideTheZooLoadsFromItsCheckpoint() throws {
        let root = try TemporaryDirectory()
        let (path, original) = try Self.checkpoint(in: root, storingGraph: true)
        let contents = try Checkpoint.read(path)
        #expect(contents.backboneGraph == (try GraphCapture.capture(original.backbone, inputShape: [1, 32, 32])))
        let trained = try TrainedModel(checkpoint: contents)
        #expect(trained.model.backbone is GraphBackbone)
        #expect(trained.inference.runsLoweredBackbone)
        var generator = RandomGenerator(seed: 22)
        let images = Tensor.randomNormal([3, 1, 32, 32], generator: &generator)
        original.eval()
        let expected = withoutGradients { original(images) }
        #expect(relativeError(trained.inference(images), expected) <= 1e-5)
        // The graph-defined module's own forward (the interpreter) agrees too.
        #expect(relativeError(withoutGradients { trained.model(images) }, expected) <= 1e-5)
    }

    /// Capturing the loaded classifier (what `mpw export` does) records the stored backbone's
    /// nodes under the same weight names, then the head: the original's graph, op for op.
    @Test func theLoadedClassifierCapturesAsTheOriginal() throws {
        let root = try TemporaryDirectory()
        let (path, original) = try Self.checkpoint(in: root, storingGraph: true)
        let trained = try TrainedModel(checkpoint: Checkpoint.read(path))
        let expected = try GraphCapture.capture(original, inputShape: [1, 32, 32])
        let captured = try GraphCapture.capture(trained.model, inputShape: [1, 32, 32])
        #expect(captured.nodes.map(\.operation) == expected.nodes.map(\.operation))
        #expect(captured.nodes.map(\.inputs) == expected.nodes.map(\.inputs))
        #expect(captured.parameters == expected.parameters && captured.values == expected.values)
    }

    @Test func withoutAGraphTheErrorSaysWhy() throws {
        let root = try TemporaryDirectory()
        let (path, _) = try Self.checkpoint(in: root, storingGraph: false)
        #expect(throws: (any Error).self) { try TrainedModel(checkpoint: Checkpoint.read(path)) }
        do {
            _ = try TrainedModel(checkpoint: Checkpoint.read(path))
        } catch {
            #expect("\(error)".contains("branching is not a zoo model and the checkpoint carries no backbone graph"), "\(error)")
        }
    }
}
