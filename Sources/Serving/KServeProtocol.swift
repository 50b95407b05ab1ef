import Foundation
import Training

/// The Open Inference Protocol (KServe v2) over REST: the JSON bodies of its metadata and
/// inference routes for one image classifier. One input, "input": FP32 [N, C, H, W], preprocessed
/// as the checkpoint's test split; two outputs, "logits" and "probabilities": FP32 [N, classes].
enum KServeProtocol {
    static let inputName = "input"
    static let outputNames = ["logits", "probabilities"]
    static let version = "1"

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

    struct OutputTensor: Encodable {
        let name: String
        let datatype: String
        let shape: [Int]
        let data: [Float]
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

    /// A decoded inference request: `count` images of preprocessed values, and the outputs to answer.
    struct InferRequest {
        let id: String?
        let values: [Float]
        let count: Int
        let outputs: [String]
    }

    static func metadata(name: String, model: TrainedModel) -> ModelMetadata {
        let (channels, height, width) = model.inputShape
        let classes = model.classNames.count
        let configuration = model.checkpoint.configuration
        return ModelMetadata(
            name: name, versions: [version], platform: "mpw",
            inputs: [TensorMetadata(name: inputName, datatype: "FP32", shape: [-1, channels, height, width])],
            outputs: outputNames.map { TensorMetadata(name: $0, datatype: "FP32", shape: [-1, classes]) },
            parameters: ["model": configuration.model, "head": configuration.head.kind, "dataset": configuration.dataset,
                         "classes": model.classNames.joined(separator: ",")])
    }

    /// Parses an inference request for a model taking (C, H, W) inputs; throws a 400 naming the
    /// field at fault (413 for more than `maxImages` images). The shape is checked before the
    /// data is looked at, and nothing is allocated from it.
    static func decode(_ body: [UInt8], inputShape: (channels: Int, height: Int, width: Int), maxImages: Int) throws -> InferRequest {
        let request: JSONValue
        do {
            request = try JSONReader.parse(body, tensorKeys: ["data"])
        } catch let failure as JSONReader.Failure {
            throw ServingError.badRequest("the body is not valid JSON: \(failure)")
        }
        guard case .object = request else { throw ServingError.badRequest("the body must be a JSON object with \"inputs\"") }
        guard let inputs = request["inputs"]?.array, inputs.count == 1, case .object = inputs[0] else {
            throw ServingError.badRequest("\"inputs\" must hold exactly one tensor, \"\(inputName)\"")
        }
        let input = inputs[0]
        let name = input["name"]?.string
        guard name == inputName else { throw ServingError.badRequest("unknown input \"\(name ?? "")\"; the model's input is \"\(inputName)\"") }
        guard let datatype = input["datatype"]?.string else { throw ServingError.badRequest("input \"\(inputName)\" has no \"datatype\"") }
        guard datatype == "FP32" else { throw ServingError.badRequest("input \"\(inputName)\" has datatype \(datatype); the model takes FP32") }
        guard let shape = input["shape"]?.array, shape.allSatisfy({ $0.integer != nil }) else {
            throw ServingError.badRequest("input \"\(inputName)\" has no \"shape\" of integers")
        }
        let dimensions = shape.compactMap(\.integer)
        let count = try checkedShape(dimensions, inputShape: inputShape, maxImages: maxImages)
        guard let data = input["data"] else { throw ServingError.badRequest("input \"\(inputName)\" has no \"data\"") }
        guard case .numbers(let values) = data else {
            throw ServingError.badRequest("input \"\(inputName)\": \"data\" must be an array of numbers (flat or nested)")
        }
        guard values.count == count else {
            throw ServingError.badRequest("input \"\(inputName)\" has \(values.count) values; shape \(dimensions) needs \(count)")
        }
        guard values.allSatisfy(\.isFinite) else { throw ServingError.badRequest("input \"\(inputName)\" holds a value that is not a finite FP32 number") }
        var outputs = outputNames
        if let requested = request["outputs"] {
            guard let list = requested.array else { throw ServingError.badRequest("\"outputs\" must be an array of objects with a \"name\"") }
            outputs = try list.map { entry in
                guard let name = entry["name"]?.string, outputNames.contains(name) else {
                    throw ServingError.badRequest("unknown output \"\(entry["name"]?.string ?? "")\"; the model answers \(outputNames.map { "\"\($0)\"" }.joined(separator: " and "))")
                }
                return name
            }
        }
        return InferRequest(id: request["id"]?.string, values: values, count: dimensions[0], outputs: outputs)
    }

    /// The number of values a declared shape holds, checked before anything is allocated for it:
    /// [N, C, H, W] with the model's (C, H, W), 1 <= N (400 otherwise) and N <= `maxImages` (413),
    /// multiplied with overflow checks so that no declared shape can trap.
    static func checkedShape(_ dimensions: [Int], inputShape: (channels: Int, height: Int, width: Int), maxImages: Int) throws -> Int {
        let (channels, height, width) = inputShape
        guard dimensions.count == 4, dimensions[0] >= 1, Array(dimensions[1...]) == [channels, height, width] else {
            throw ServingError.badRequest("input \"\(inputName)\" has shape \(dimensions); the model takes [N, \(channels), \(height), \(width)] with N >= 1")
        }
        guard dimensions[0] <= maxImages else {
            throw ServingError(.contentTooLarge, "input \"\(inputName)\" holds \(dimensions[0]) images; the server takes at most \(maxImages) per request (--max-request-images)")
        }
        var count = 1
        for dimension in dimensions {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw ServingError(.contentTooLarge, "input \"\(inputName)\" has shape \(dimensions), too many values to hold") }
            count = product
        }
        return count
    }

    /// The requested outputs for `count` images' logits: the logits as computed, and the
    /// probabilities as `mpw predict` computes them (softmax in double precision).
    static func response(modelName: String, request: InferRequest, logits: [Float], model: TrainedModel) -> InferResponse {
        let classes = model.classNames.count
        let outputs = request.outputs.map { name in
            OutputTensor(name: name, datatype: "FP32", shape: [request.count, classes],
                         data: name == "logits" ? logits : model.probabilities(logits: logits).map(Float.init))
        }
        return InferResponse(modelName: modelName, modelVersion: version, id: request.id, outputs: outputs)
    }
}
