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
    /// field at fault.
    static func decode(_ body: [UInt8], inputShape: (channels: Int, height: Int, width: Int)) throws -> InferRequest {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body))
        } catch {
            throw ServingError.badRequest("the body is not valid JSON")
        }
        guard let request = object as? [String: Any] else { throw ServingError.badRequest("the body must be a JSON object with \"inputs\"") }
        guard let inputs = request["inputs"] as? [[String: Any]], inputs.count == 1, let input = inputs.first else {
            throw ServingError.badRequest("\"inputs\" must hold exactly one tensor, \"\(inputName)\"")
        }
        let name = input["name"] as? String
        guard name == inputName else { throw ServingError.badRequest("unknown input \"\(name ?? "")\"; the model's input is \"\(inputName)\"") }
        guard let datatype = input["datatype"] as? String else { throw ServingError.badRequest("input \"\(inputName)\" has no \"datatype\"") }
        guard datatype == "FP32" else { throw ServingError.badRequest("input \"\(inputName)\" has datatype \(datatype); the model takes FP32") }
        guard let shape = input["shape"] as? [Any], let dimensions = shape.map({ $0 as? Int }) as? [Int] else {
            throw ServingError.badRequest("input \"\(inputName)\" has no \"shape\" of integers")
        }
        let (channels, height, width) = inputShape
        guard dimensions.count == 4, dimensions[0] >= 1, Array(dimensions[1...]) == [channels, height, width] else {
            throw ServingError.badRequest("input \"\(inputName)\" has shape \(dimensions); the model takes [N, \(channels), \(height), \(width)] with N >= 1")
        }
        guard let data = input["data"] else { throw ServingError.badRequest("input \"\(inputName)\" has no \"data\"") }
        var values: [Float] = []
        values.reserveCapacity(dimensions.reduce(1, *))
        guard flatten(data, into: &values) else {
            throw ServingError.badRequest("input \"\(inputName)\": \"data\" must be an array of numbers (flat or nested)")
        }
        guard values.count == dimensions.reduce(1, *) else {
            throw ServingError.badRequest("input \"\(inputName)\" has \(values.count) values; shape \(dimensions) needs \(dimensions.reduce(1, *))")
        }
        guard values.allSatisfy(\.isFinite) else { throw ServingError.badRequest("input \"\(inputName)\" holds a value that is not a finite FP32 number") }
        var outputs = outputNames
        if let requested = request["outputs"] {
            guard let list = requested as? [[String: Any]] else { throw ServingError.badRequest("\"outputs\" must be an array of objects with a \"name\"") }
            outputs = try list.map { entry in
                guard let name = entry["name"] as? String, outputNames.contains(name) else {
                    throw ServingError.badRequest("unknown output \"\(entry["name"] as? String ?? "")\"; the model answers \(outputNames.map { "\"\($0)\"" }.joined(separator: " and "))")
                }
                return name
            }
        }
        let id = request["id"] as? String
        return InferRequest(id: id, values: values, count: dimensions[0], outputs: outputs)
    }

    /// Appends the numbers of a flat or nested JSON array; false if anything is not a number.
    private static func flatten(_ value: Any, into values: inout [Float]) -> Bool {
        if let array = value as? [Any] {
            for element in array where !flatten(element, into: &values) { return false }
            return true
        }
        if value is Bool { return false }
        if let number = value as? Double {
            values.append(Float(number))
            return true
        }
        if let number = value as? Int {
            values.append(Float(number))
            return true
        }
        return false
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
