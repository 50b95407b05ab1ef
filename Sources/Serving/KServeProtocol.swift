import Foundation
import Training

/// The Open Inference Protocol (KServe v2) over REST: the JSON bodies of its metadata and
/// inference routes for one image classifier. One input, "input": FP32 [N, C, H, W], preprocessed
/// as the checkpoint's test split; two outputs, "logits" and "probabilities": FP32 [N, classes].
enum KServeProtocol {
    static let inputName = KServeRequest.inputName
    static let outputNames = KServeRequest.outputNames

    struct TensorMetadata: Encodable {
        let name: String
        let datatype: String
        let shape: [Int]
    }

    struct ModelMetadata: Encodable {
        let name: String
        let versions: [String]
        let platform: String
        let inputs: [TensorMetadata]
        let outputs: [TensorMetadata]
        let parameters: [String: String]
    }

    struct ServerMetadata: Encodable {
        let name: String
        let version: String
        let extensions: [String]
    }

    /// An output; with Triton's binary tensor extension its values travel after the JSON
    /// (`parameters.binary_data_size` bytes, FP32 little-endian) instead of in `data`.
    struct OutputTensor: Encodable {
        let name: String
        let datatype: String
        let shape: [Int]
        let data: [Float]?
        let parameters: [String: Int]?
    }

    struct InferResponse: Encodable {
        let modelName: String
        let modelVersion: String
        let id: String?
        let outputs: [OutputTensor]

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name", modelVersion = "model_version", id, outputs
        }
    }

    /// A decoded inference request.
    typealias InferRequest = KServeRequest

    /// The extensions of the protocol this server implements, listed in the server metadata.
    static let extensions = ["binary_tensor_data", "model_configuration", "model_repository", "statistics"]

    static let headerLengthField = KServeRequest.headerLengthField


    static func metadata(name: String, versions: [String], model: TrainedModel) -> ModelMetadata {
        let (channels, height, width) = model.inputShape
        let classes = model.classNames.count
        let configuration = model.checkpoint.configuration
        return ModelMetadata(
            name: name, versions: versions, platform: "mpw",
            inputs: [TensorMetadata(name: inputName, datatype: "FP32", shape: [-1, channels, height, width])],
            outputs: outputNames.map { TensorMetadata(name: $0, datatype: "FP32", shape: [-1, classes]) },
            parameters: ["model": configuration.model, "head": configuration.head.kind, "dataset": configuration.dataset,
                         "classes": model.classNames.joined(separator: ",")])
    }

    /// Parses an inference request for a model taking (C, H, W) inputs (see `KServeRequest.parse`);
    /// a refusal becomes the server's 400 or 413 answer.
    static func decode(_ body: [UInt8], headerLength: Int? = nil, inputShape: (channels: Int, height: Int, width: Int), maxImages: Int) throws -> InferRequest {
        do {
            return try KServeRequest.parse(body, headerLength: headerLength, inputShape: inputShape, maxImages: maxImages)
        } catch let refusal as RequestRefusal {
            throw ServingError(refusal)
        }
    }

    /// The number of values a declared shape holds (see `KServeRequest.checkedShape`).
    static func checkedShape(_ dimensions: [Int], inputShape: (channels: Int, height: Int, width: Int), maxImages: Int) throws -> Int {
        do {
            return try KServeRequest.checkedShape(dimensions, inputShape: inputShape, maxImages: maxImages)
        } catch let refusal as RequestRefusal {
            throw ServingError(refusal)
        }
    }

    /// The requested outputs for `count` images' logits: the logits as computed, and the
    /// probabilities as `mpw predict` computes them (softmax in double precision). Binary
    /// outputs are returned as their bytes, to follow the JSON in the body.
    static func response(_ answer: KServeAnswer) -> (answer: InferResponse, binary: [UInt8]) {
        let (request, logits, model) = (answer.request, answer.logits, answer.model)
        let classes = model.classNames.count
        var binary: [UInt8] = []
        let outputs = request.outputs.map { name in
            let values = name == "logits" ? logits : model.probabilities(logits: logits).map(Float.init)
            guard request.binaryOutputs.contains(name) else {
                return OutputTensor(name: name, datatype: "FP32", shape: [request.count, classes], data: values, parameters: nil)
            }
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { binary.append(contentsOf: $0) } }
            return OutputTensor(name: name, datatype: "FP32", shape: [request.count, classes], data: nil, parameters: ["binary_data_size": values.count * 4])
        }
        return (InferResponse(modelName: answer.modelName, modelVersion: answer.modelVersion, id: request.id, outputs: outputs), binary)
    }
}
