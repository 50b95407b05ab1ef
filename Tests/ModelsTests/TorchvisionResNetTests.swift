import Foundation
import Models
import MultiProxy
import NN
import Testing
import Tensors
import TestSupport

/// The ImageNet ResNets against torchvision 0.29 (Tests/Oracles/torchvision_resnets.json): the
/// state dict's keys in torchvision's order with its shapes, the parameter total, and a converted
/// torchvision checkpoint (safetensors, I64 `num_batches_tracked`) loading directly.
@Suite struct TorchvisionResNetTests {
    struct Reference {
        let parameters: Int
        let stateDict: [(name: String, shape: [Int])]
    }

    static func reference(_ name: String) throws -> Reference {
        let data = try Data(contentsOf: Oracles.directory.appendingPathComponent("torchvision_resnets.json"))
        let models = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let model = try #require(models[name] as? [String: Any])
        let entries = try #require(model["state_dict"] as? [[Any]])
        let stateDict = try entries.map { entry in
            (name: try #require(entry[0] as? String), shape: try #require(entry[1] as? [Int]))
        }
        return Reference(parameters: try #require(model["num_parameters"] as? Int), stateDict: stateDict)
    }

    static func model(_ name: String) throws -> ImageClassifier {
        var generator = RandomGenerator(seed: 3)
        return try ModelZoo.classifier(name, head: HeadConfiguration(kind: .gapfc), classes: 1000, generator: &generator)
    }

    @Test(arguments: ["resnet18", "resnet50", "resnet101"])
    func stateDictMatchesTorchvision(name: String) throws {
        let reference = try Self.reference(name)
        let model = try Self.model(name)
        let ours = model.stateDict().map { (name: $0.name, shape: $0.value.shape) }
        #expect(ours.map(\.name) == reference.stateDict.map(\.name))
        #expect(ours.map(\.shape) == reference.stateDict.map(\.shape))
        #expect(model.parameterCount == reference.parameters)
        #expect(ArchitectureTally.imageNetResNet(blocks: Self.blocks[name]!, bottleneck: name != "resnet18").parameters == reference.parameters)
    }

    static let blocks = ["resnet18": [2, 2, 2, 2], "resnet50": [3, 4, 6, 3], "resnet101": [3, 4, 23, 3]]

    /// A checkpoint written the way a torchvision state dict converts (every key at top level,
    /// `num_batches_tracked` as I64) loads into our ResNet-18 and lands in the right places.
    @Test func torchvisionCheckpointLoads() throws {
        let reference = try Self.reference("resnet18")
        var generator = RandomGenerator(seed: 11)
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        var written: [String: Tensor] = [:]
        for (name, shape) in reference.stateDict {
            if name.hasSuffix("num_batches_tracked") {
                writer.add(name, int64s: [12_345], shape: shape)
            } else {
                let tensor = Tensor.randomNormal(shape, generator: &generator)
                writer.add(name, tensor)
                written[name] = tensor
            }
        }
        let directory = try TemporaryDirectory()
        let url = directory.file("resnet18.safetensors")
        try writer.write(to: url)

        let model = try Self.model("resnet18")
        try model.load(from: SafeTensorsFile(contentsOf: url))
        let loaded = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.value) })
        for (name, tensor) in written {
            #expect(loaded[name]?.contiguous().scalars == tensor.scalars, "\(name)")
        }
        #expect(loaded["layer4.1.bn2.num_batches_tracked"]?.scalars == [12_345])
        #expect(loaded["fc.weight"]?.shape == [1000, 512])
    }
}
