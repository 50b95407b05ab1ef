import Foundation
import GraphRuntime
import Interchange
import Kernels
import ModelGraph
import Models
import MultiProxy
import NN
import SwiftProtobuf
import Tensors

/// `mpw export`: a trained classifier as an ONNX model (opset 17) that ONNX Runtime runs with
/// the logits `mpw eval` computes. Input `images` (batch, C, H, W), already preprocessed as
/// `metadata_props` says; output `logits` (batch, K). The batch dimension is dynamic.
public enum ONNXExport {
    public static let opset = 17
    /// ONNX IR version 8 (ONNX 1.10+), the one opset 17 came with.
    public static let irVersion = 8

    /// The ONNX model of a trained model from a checkpoint, with its preprocessing, classes and
    /// head settings in `metadata_props`.
    public static func model(_ trained: TrainedModel) throws -> Onnx_ModelProto {
        let configuration = trained.checkpoint.configuration
        let (channels, height, width) = trained.inputShape
        let normalization = trained.transform.normalization
        let head = try configuration.head.configuration()
        let sinkhorn = head.wasserstein.sinkhorn
        let transport: [(String, String)] = head.kind != .mpw ? [] : [
            ("sinkhorn_stop_rule", sinkhorn.stopRule.rawValue), ("sinkhorn_lambda", "\(sinkhorn.lambda)"),
            ("sinkhorn_threshold", "\(sinkhorn.threshold)"), ("sinkhorn_maximum_iterations", String(sinkhorn.maximumIterations)),
            ("cost_exponent", "\(head.wasserstein.costExponent)"),
        ]
        let metadata: [(String, String)] = [
            ("model", configuration.model),
            ("head", head.kind.rawValue),
            ("head_settings", head.description),
            ("dataset", configuration.dataset),
            ("input_channels", String(channels)),
            ("input_height", String(height)),
            ("input_width", String(width)),
            ("greyscale_adaptation", configuration.greyscaleAdaptation),
            ("preprocessing", (trained.transform.steps.map(\.description) + ["normalize with mean and std"]).joined(separator: ", ")),
            ("mean", json(normalization.mean)),
            ("std", json(normalization.standardDeviation)),
            ("class_names", json(trained.classNames)),
            ("mpw_version", MPWVersion.string),
        ] + transport
        return try model(trained.model, inputShape: trained.inputShape, metadata: metadata)
    }

    /// The ONNX model of `classifier` (evaluation mode) for inputs of `inputShape`: its forward
    /// pass captured as a `ModelGraph`, then exported op by op, so any model made of the graph's
    /// op set exports, whatever its type.
    public static func model(_ classifier: some Layer, inputShape: (channels: Int, height: Int, width: Int),
                             metadata: [(String, String)]) throws -> Onnx_ModelProto {
        let graph: ModelGraph
        do {
            graph = try GraphCapture.capture(classifier, inputShape: [inputShape.channels, inputShape.height, inputShape.width])
        } catch {
            throw ONNXExportError(error.description)
        }
        return try model(graph, stateDict: Dictionary(classifier.stateDict().map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }), metadata: metadata)
    }

    /// The ONNX model of a one-input, one-output graph (images to logits) with the weights of
    /// `stateDict`. The batch dimension is dynamic; the others are the graph's.
    public static func model(_ graph: ModelGraph, stateDict: [String: Tensor], metadata: [(String, String)]) throws -> Onnx_ModelProto {
        guard graph.inputs.count == 1, graph.outputs.count == 1 else {
            throw ONNXExportError("ONNX export needs a graph with one input and one output, this one has \(graph.inputs.count) and \(graph.outputs.count)")
        }
        do { _ = try GraphInterpreter(graph: graph, stateDict: stateDict) } catch { throw ONNXExportError(error.description) }
        var onnx = ONNXGraph(weights: stateDict)
        let input = "images"
        var names = [graph.inputs[0]: input]
        for node in graph.nodes {
            names[node.output] = try onnx.emit(node, node.inputs.map { names[$0]! }, shapes: node.inputs.map { graph.values[$0].shape })
        }
        onnx.identity(names[graph.outputs[0]]!, named: "logits")

        var proto = Onnx_GraphProto()
        proto.name = "mpw"
        proto.node = onnx.nodes
        proto.initializer = onnx.initializers
        let imageShape = graph.values[graph.inputs[0]].shape.dropFirst().map { Onnx_ValueInfoProto.Dimension.fixed($0) }
        let logitShape = graph.values[graph.outputs[0]].shape.dropFirst().map { Onnx_ValueInfoProto.Dimension.fixed($0) }
        proto.input = [.tensor(input, .float, dims: [.named("batch")] + imageShape)]
        proto.output = [.tensor("logits", .float, dims: [.named("batch")] + logitShape)]

        var model = Onnx_ModelProto()
        model.irVersion = Int64(irVersion)
        var opset = Onnx_OperatorSetIdProto()
        opset.version = Int64(Self.opset)
        model.opsetImport = [opset]
        model.producerName = "mpw"
        model.producerVersion = MPWVersion.string
        model.graph = proto
        model.metadataProps = metadata.map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        return model
    }

    /// Writes `model` to `url` atomically.
    public static func write(_ model: Onnx_ModelProto, to url: URL) throws {
        let bytes: Data = try model.serializedBytes()
        do {
            try AtomicFile.write(bytes, to: url)
        } catch let error as AtomicFile.WriteError {
            throw ONNXExportError(error.description)
        }
    }

    private static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }
}
