import GraphRuntime
import ModelGraph
import Models
import MultiProxy
import NN
import OptimalTransport
import Testing
import Tensors
import TestSupport

/// Capture of every backbone family with every head: the graph interpreter, running the
/// captured graph on the model's state dict, must give the module's own evaluation-mode logits;
/// and the graph must hold exactly the model's layers.
@Suite struct GraphCaptureTests {
    static let families = SmallBackbones.zooFamilies + ["branching"]

    static func backbone(_ family: String, generator: inout RandomGenerator) -> any Backbone {
        SmallBackbones.backbone(family, generator: &generator)
    }

    static func classifier(_ backbone: any Backbone, head: HeadConfiguration, side: Int, generator: inout RandomGenerator) -> ImageClassifier {
        SmallBackbones.classifier(backbone, head: head, side: side, generator: &generator)
    }

    static let cases = families.flatMap { family in HeadConfiguration.Kind.allCases.map { (family, $0) } }

    @Test(arguments: cases)
    func interpreterEqualsTheModule(family: String, head: HeadConfiguration.Kind) throws {
        var generator = RandomGenerator(seed: 5)
        let model = Self.classifier(Self.backbone(family, generator: &generator), head: HeadConfiguration(kind: head), side: 32, generator: &generator)
        model.train()
        let graph = try GraphCapture.capture(model, inputShape: [3, 32, 32])
        #expect(model.isTraining, "capture restores the training mode")
        #expect(graph.structuralProblem == nil)
        #expect(graph.values[graph.outputs[0]].shape == [1, 5])

        model.eval()
        let images = Tensor.randomNormal([3, 3, 32, 32], generator: &generator)
        let expected = withoutGradients { model(images) }
        let interpreter = try GraphInterpreter(graph: graph, stateDict: Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.value) }))
        let logits = try interpreter(images)
        #expect(relativeError(logits, expected) <= 1e-5, "\(family) \(head): \(relativeError(logits, expected))")
    }

    @Test(arguments: families)
    func graphHoldsEveryLayerOfTheModel(family: String) throws {
        var generator = RandomGenerator(seed: 6)
        let model = Self.classifier(Self.backbone(family, generator: &generator), head: HeadConfiguration(kind: .gapfc), side: 32, generator: &generator)
        let graph = try GraphCapture.capture(model, inputShape: [3, 32, 32])
        let counts = graph.operationCounts
        let convolutions = model.modules.filter { $0 is Conv2d }.count
        let norms = model.modules.compactMap { $0 as? BatchNorm2d }
        #expect(counts["convolution"] == convolutions)
        #expect(counts["batch_norm"] == norms.count)
        #expect(counts["linear"] == 1 && counts["global_average_pool"] == 1)
        // Every weight of the state dict is read by the graph; buffers only BN's statistics.
        let trainable = Set(model.namedParameters(includingBuffers: false).map(\.name))
        #expect(trainable.isSubset(of: Set(graph.parameters.keys)))
        switch family {
        case "densenet": #expect(counts["concatenate_channels", default: 0] > 0 && counts["average_pool"] == 2)
        case "pyramidnet": #expect(counts["zero_pad_channels", default: 0] > 0 && counts["add"] == 3)
        case "torchvision-resnet-basic", "torchvision-resnet-bottleneck": #expect(counts["max_pool"] == 1)
        case "branching": #expect(counts["max_pool"] == 1 && counts["concatenate_channels"] == 1)
        default: break
        }
    }

    /// The zoo's own members (as `mpw` builds them) with the MPW head: the graph names every
    /// layer by its state-dict path and carries the head's transport settings.
    @Test(arguments: ["resnet20", "resnet110", "wrn40_2", "densenet100", "pyramidnet200", "resnet18"])
    func zooMembersCapture(name: String) throws {
        var generator = RandomGenerator(seed: 7)
        var settings = WassersteinMatching(sinkhorn: SinkhornParameters(lambda: 0.05, threshold: 0.01, maximumIterations: 60, domain: .log),
                                           costExponent: 2)
        settings.sinkhorn.stopRule = .batchAbsolute
        let head = HeadConfiguration(kind: .mpw, proxies: 3, wasserstein: settings)
        let model = try ModelZoo.classifier(name, head: head, classes: 10, generator: &generator)
        let side = try ModelZoo.inputSize(of: name)
        let graph = try GraphCapture.capture(model, inputShape: [3, side, side])
        #expect(graph.operationCounts["convolution"] == model.modules.filter { $0 is Conv2d }.count)
        let names = Set(model.stateDict().map(\.name))
        #expect(Set(graph.parameters.keys).isSubset(of: names))
        // Every node names the module that ran it: a module owning state-dict entries, or a parameter-free container.
        let paths = Set(model.namedModules().map(\.name))
        #expect(graph.nodes.allSatisfy { node in paths.contains(node.module) })
        guard case .multiProxy(let mpw) = graph.nodes.last?.operation, case .wasserstein(let transport) = mpw.flow else {
            Issue.record("the last node is not the MPW head: \(String(describing: graph.nodes.last))")
            return
        }
        #expect(transport == GraphOperation.Transport(lambda: 0.05, threshold: 0.01, maximumIterations: 60, stopRule: "batch-absolute", domain: "log",
                                                      costExponent: 2, relaxation: nil, normalizesScoreByMass: false, gradient: "unrolled"))
        #expect(mpw.proxies == (name.hasPrefix("resnet") && side == 224 ? "proxies" : "head.proxies"))
        if name == "resnet20" || name == "resnet110" {
            model.eval()
            let images = Tensor.randomNormal([2, 3, side, side], generator: &generator)
            let expected = withoutGradients { model(images) }
            let logits = try GraphInterpreter(graph: graph, stateDict: Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.value) }))(images)
            #expect(relativeError(logits, expected) <= 1e-5, "\(name): \(relativeError(logits, expected))")
        }
    }
}
