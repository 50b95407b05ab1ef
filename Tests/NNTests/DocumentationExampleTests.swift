import NN
import Testing
import Tensors

/// The worked example of the NN documentation catalog (Sources/NN/NN.docc), as written there.
@Suite struct NNDocumentationExampleTests {
    @Test func oneStepOfALinearClassifierLowersItsLoss() {
        var generator = RandomGenerator(seed: 0)
        let layer = Linear(4, 3, generator: &generator)
        let sgd = SGD(model: layer, learningRate: 0.5)
        let inputs = Tensor.randomNormal([8, 4], generator: &generator)
        let labels: [Int32] = [0, 1, 2, 0, 1, 2, 0, 1]

        let before = Tensor.crossEntropy(logits: layer(inputs), labels: labels)
        before.backward()
        sgd.step()
        let after = withoutGradients { Tensor.crossEntropy(logits: layer(inputs), labels: labels) }
        #expect(after.scalars[0] < before.scalars[0])
        #expect(layer.weight.gradient == nil)
    }
}
