import Foundation
import GraphRuntime
import ModelGraph
import Models
import MultiProxy
import NN
import OptimalTransport
import Testing
import Tensors
import TestSupport

/// The serialised graph: a captured graph survives JSON unchanged (and still runs to the same
/// logits), and what is not a readable version-1 graph is refused in one line naming why.
@Suite struct GraphFormatTests {
    static func capturedGraph(head: HeadConfiguration) throws -> (ModelGraph, ImageClassifier) {
        var generator = RandomGenerator(seed: 9)
        let backbone = PyramidNet(depth: 11, alpha: 12, generator: &generator)
        let side = backbone.featureSize(forInput: 16)
        let model = ImageClassifier(backbone: backbone,
                                    head: head.makeHead(channels: backbone.featureChannels, height: side, width: side, classes: 4, generator: &generator),
                                    headPrefix: "head")
        return (try GraphCapture.capture(model, inputShape: [3, 16, 16]), model)
    }

    static var unbalanced: HeadConfiguration {
        var settings = WassersteinMatching(sinkhorn: SinkhornParameters(lambda: 0.2, threshold: 0.05, maximumIterations: 30, domain: .kernel),
                                           costExponent: 1.5)
        settings.sinkhorn.relaxation = MarginalRelaxation(source: .infinity, target: 0.5)
        settings.normalizesScoreByMass = true
        return HeadConfiguration(kind: .mpw, proxies: 2, wasserstein: settings, bias: true)
    }

    static var implicitGradient: HeadConfiguration {
        HeadConfiguration(kind: .mpw, proxies: 3, wasserstein: WassersteinMatching(gradient: .implicit))
    }

    @Test(arguments: [HeadConfiguration(kind: .mpw), unbalanced, implicitGradient, HeadConfiguration(kind: .multiFCAverage, proxies: 2),
                      HeadConfiguration(kind: .wsdan, proxies: 2), HeadConfiguration(kind: .multiFCCosine, proxies: 2)])
    func roundTripIsExact(head: HeadConfiguration) throws {
        let (graph, model) = try Self.capturedGraph(head: head)
        let data = try graph.jsonData()
        let read = try ModelGraph(json: data)
        #expect(read == graph)
        #expect(try read.jsonData() == data)
        var generator = RandomGenerator(seed: 1)
        let images = Tensor.randomNormal([2, 3, 16, 16], generator: &generator)
        model.eval()
        let expected = withoutGradients { model(images) }
        let logits = try GraphInterpreter(graph: read, stateDict: Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.value) }))(images)
        #expect(relativeError(logits, expected) <= 1e-5)
    }

    @Test func theFileStartsWithItsFormatAndVersion() throws {
        let (graph, _) = try Self.capturedGraph(head: HeadConfiguration(kind: .gapfc))
        let object = try #require(try JSONSerialization.jsonObject(with: graph.jsonData()) as? [String: Any])
        #expect(object["format"] as? String == "mpw-graph" && object["version"] as? Int == 1)
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        #expect(nodes.first?["op"] as? String == "convolution" && nodes.first?["module"] as? String == "conv1")
        #expect((nodes.first?["attributes"] as? [String: Any])?["weight"] as? String == "conv1.weight")
    }

    /// Edits one field of a valid file and expects the one-line reason.
    @Test(arguments: [
        ("\"version\" : 1", "\"version\" : 2", "version 2 is not supported (this build reads version 1)"),
        ("\"format\" : \"mpw-graph\"", "\"format\" : \"onnx\"", "format is 'onnx', expected 'mpw-graph'"),
        ("\"op\" : \"relu\"", "\"op\" : \"gelu\"", "unknown op 'gelu'"),
        ("\"output\" : 2\n", "\"output\" : 1\n", "node 1 (batch_norm at 'bn1') writes value 1, which is missing or already written"),
    ])
    func brokenFilesAreRefusedInOneLine(field: String, replacement: String, reason: String) throws {
        let (graph, _) = try Self.capturedGraph(head: HeadConfiguration(kind: .gapfc))
        let text = String(decoding: try graph.jsonData(), as: UTF8.self)
        #expect(text.contains(field))
        let broken = Data(text.replacingOccurrences(of: field, with: replacement).utf8)
        #expect {
            _ = try ModelGraph(json: broken, source: "model.graph.json")
        } throws: { error in
            let message = "\(error)"
            return message.hasPrefix("model.graph.json: not a readable mpw-graph graph: ") && message.contains(reason) && !message.contains("\n")
        }
    }

    /// Settings no head can run are refused when the graph is loaded, not when it runs.
    @Test func anUnrunnableTransportIsRefusedInOneLine() throws {
        let (graph, model) = try Self.capturedGraph(head: Self.unbalanced)
        let text = String(decoding: try graph.jsonData(), as: UTF8.self).replacingOccurrences(of: "\"unrolled\"", with: "\"implicit\"")
        let read = try ModelGraph(json: Data(text.utf8))
        #expect {
            _ = try GraphInterpreter(graph: read, stateDict: Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.value) }))
        } throws: { error in
            "\(error)" == "graph interpreter: node \(read.nodes.count - 1) at 'head': multi_proxy op: unbalanced transport has the unrolled gradient only, the graph says 'implicit'"
        }
    }

    @Test func aStateDictThatDoesNotFitIsRefused() throws {
        let (graph, model) = try Self.capturedGraph(head: HeadConfiguration(kind: .gapfc))
        var weights = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.value) })
        weights["conv1.weight"] = Tensor.zeros([16, 3, 1, 1])
        #expect {
            _ = try GraphInterpreter(graph: graph, stateDict: weights)
        } throws: { error in
            "\(error)" == "graph interpreter: 'conv1.weight' has shape [16, 3, 1, 1] in the state dict, [16, 3, 3, 3] in the graph"
        }
    }
}
