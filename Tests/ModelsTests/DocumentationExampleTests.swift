import Models
import MultiProxy
import NN
import Testing
import Tensors

/// The worked example of the Models documentation catalog (Sources/Models/Models.docc), as written there.
@Suite struct ModelsDocumentationExampleTests {
    @Test func resNet20WithTheMPWHeadTrainsForAStep() throws {
        var generator = RandomGenerator(seed: 3)
        let model = try ModelZoo.classifier("resnet20", head: HeadConfiguration(kind: .mpw), classes: 10, generator: &generator)
        let sgd = SGD(model: model, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)
        let images = Tensor.randomNormal([4, 3, 32, 32], generator: &generator)
        let labels: [Int32] = [0, 1, 2, 3]
        let head = try #require(model.head as? MultiProxyHead)
        let proxiesBefore = head.proxies.value.scalars

        let loss = Tensor.crossEntropy(logits: model(images), labels: labels)
        loss.backward()
        sgd.step()
        let flow = (model.head as! MultiProxyHead).matchingFlow(for: model.backbone(images))
        #expect(loss.scalars[0].isFinite)
        #expect(head.proxies.value.scalars != proxiesBefore)
        #expect(flow.shape == [4, 10, 64, 4])
    }
}
