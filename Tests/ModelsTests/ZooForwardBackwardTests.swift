import Models
import MultiProxy
import NN
import Testing
import Tensors

/// Every zoo backbone with the GAP-FC and the MPW head: a training-mode forward pass at batch 2,
/// the feature map and logits shapes, and a backward pass reaching every parameter with finite
/// gradients. Serialized: the big models are several GFLOPs each on a small shared machine.
@Suite(.serialized) struct ZooForwardBackwardTests {
    static let heads: [HeadConfiguration.Kind] = [.gapfc, .mpw]

    @Test(arguments: ModelZoo.names, heads)
    func forwardAndBackward(name: String, head: HeadConfiguration.Kind) throws {
        // The ImageNet ResNets end in global pooling over whatever map they get, so 64x64 images
        // (a 2x2 map) run every layer at a twelfth of the 224x224 cost.
        let side = try min(ModelZoo.inputSize(of: name), 64)
        let classes = 5
        var generator = RandomGenerator(seed: 5)
        let model = try ModelZoo.classifier(name, head: HeadConfiguration(kind: head), classes: classes, inputSize: side,
                                            generator: &generator)
        let images = Tensor.randomNormal([2, 3, side, side], generator: &generator)

        let features = model.backbone(images)
        let mapSide = model.backbone.featureSize(forInput: side)
        #expect(features.shape == [2, model.backbone.featureChannels, mapSide, mapSide])
        let logits = model.head(features)
        #expect(logits.shape == [2, classes])
        #expect(logits.scalars.allSatisfy { $0.isFinite })

        Tensor.crossEntropy(logits: logits, labels: [1, 4]).backward()
        for (parameterName, parameter) in model.namedParameters(includingBuffers: false) {
            let gradient = try #require(parameter.gradient, "\(name)/\(head): no gradient for \(parameterName)")
            #expect(gradient.shape == parameter.shape, "\(parameterName)")
            #expect(gradient.scalars.allSatisfy { $0.isFinite }, "\(name)/\(head): non-finite gradient for \(parameterName)")
        }
        let stem = try #require(model.namedParameters(includingBuffers: false).first?.parameter.gradient)
        #expect(stem.scalars.contains { $0 != 0 }, "\(name)/\(head): the gradient does not reach the stem")
    }
}
