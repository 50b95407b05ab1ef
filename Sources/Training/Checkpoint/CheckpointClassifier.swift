import Foundation
import ModelGraph
import Models
import MultiProxy
import Tensors

extension Checkpoint.Contents {
    /// The classifier the checkpoint holds, freshly initialised (load its weights with
    /// `Checkpoint.restore`): the zoo's model by name, or, for a model outside the zoo, a
    /// `GraphBackbone` from the graph the checkpoint carries with the configured head.
    public func makeClassifier(classes: Int, inputChannels: Int, inputSize: Int, generator: inout RandomGenerator) throws -> ImageClassifier {
        let head = try configuration.head.configuration()
        guard let backboneGraph, (try? ModelZoo.entry(configuration.model)) == nil else {
            do {
                return try ModelZoo.classifier(configuration.model, head: head, classes: classes, inputChannels: inputChannels,
                                               inputSize: inputSize, generator: &generator)
            } catch let error as ModelZoo.UnknownModel {
                throw ConfigurationError("\(file.path): \(error.name) is not a zoo model and the checkpoint carries no backbone graph (it was written before checkpoints stored one, or by a program that did not store it)")
            }
        }
        let backbone: GraphBackbone
        do { backbone = try GraphBackbone(graph: backboneGraph) } catch {
            throw ConfigurationError("\(file.path): the stored backbone graph: \(error)")
        }
        let side = backbone.featureSize(forInput: inputSize)
        let made = head.makeHead(channels: backbone.featureChannels, height: side, width: side, classes: classes, generator: &generator)
        return ImageClassifier(backbone: backbone, head: made, headPrefix: headPrefix ?? "head")
    }
}
