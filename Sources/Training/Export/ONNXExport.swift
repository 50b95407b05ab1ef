import Foundation
import Interchange
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
    /// The version `mpw_version` names in every exported model.
    public static let mpwVersion = "0.1.0"

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
            ("mpw_version", mpwVersion),
        ] + transport
        return try model(trained.model, inputShape: trained.inputShape, metadata: metadata)
    }

    /// The ONNX model of `classifier` (evaluation mode) for inputs of `inputShape`.
    public static func model(_ classifier: ImageClassifier, inputShape: (channels: Int, height: Int, width: Int),
                             metadata: [(String, String)]) throws -> Onnx_ModelProto {
        let names = Dictionary(classifier.namedParameters().map { (ObjectIdentifier($0.parameter), $0.name) },
                               uniquingKeysWith: { first, _ in first })
        var graph = ONNXGraph(parameterNames: names)
        let input = "images", side = classifier.backbone.featureSize(forInput: inputShape.height)
        guard let features = graph.backbone(input, classifier.backbone) else {
            throw ONNXExportError("the backbone \(type(of: classifier.backbone)) has no ONNX export")
        }
        let featureWidth = classifier.backbone.featureSize(forInput: inputShape.width)
        let logits = try graph.head(features, classifier.head, channels: classifier.backbone.featureChannels, height: side, width: featureWidth)
        graph.identity(logits, named: "logits")

        var proto = Onnx_GraphProto()
        proto.name = "mpw"
        proto.node = graph.nodes
        proto.initializer = graph.initializers
        proto.input = [.tensor(input, .float, dims: [.named("batch"), .fixed(inputShape.channels), .fixed(inputShape.height), .fixed(inputShape.width)])]
        proto.output = [.tensor("logits", .float, dims: [.named("batch"), .fixed(classifier.head.classes)])]

        var model = Onnx_ModelProto()
        model.irVersion = Int64(irVersion)
        var opset = Onnx_OperatorSetIdProto()
        opset.version = Int64(Self.opset)
        model.opsetImport = [opset]
        model.producerName = "mpw"
        model.producerVersion = mpwVersion
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
