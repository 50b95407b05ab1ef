import Models
import MultiProxy
import NN
import Testing
import Tensors
import TestSupport

/// Two SGD steps of a CIFAR ResNet-8 with a GAP-FC head against PyTorch 2.15
/// (Tests/Oracles/resnet_step.safetensors): both losses, every parameter and running statistic
/// afterwards, and the evaluation logits, to 1e-4 normwise relative error.
@Suite struct ResNetStepOracleTests {
    @Test func twoSGDStepsMatchPyTorch() throws {
        let file = try Oracles.file("resnet_step.safetensors")
        var generator = RandomGenerator(seed: 0)
        let model = ImageClassifier(backbone: CIFARResNet(depth: 8, generator: &generator),
                                    head: GlobalAveragePoolingHead(channels: 64, classes: 10, generator: &generator), headPrefix: "head")
        try model.load(from: file, prefix: "before.")
        let sgd = SGD(model: model, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)
        let x = try file.tensor("x")
        let labels = try file.integers("y").map(Int32.init)
        for step in 0..<2 {
            let loss = Tensor.crossEntropy(logits: model(x), labels: labels)
            #expect(relativeError(loss.scalars, try file.floats("loss_step\(step)")) < 1e-4, "loss of step \(step)")
            loss.backward()
            sgd.step()
        }
        for (name, value) in model.stateDict() {
            #expect(relativeError(value.contiguous(), try file.tensor("after.\(name)")) < 1e-4, "after.\(name)")
        }
        model.eval()
        let logits = withoutGradients { model(x) }
        #expect(relativeError(logits, try file.tensor("eval_logits_after")) < 1e-4)
    }
}
