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

    /// A decoded inference request: `count` images of preprocessed values, and the outputs to
    /// answer, those in `binaryOutputs` as binary data (Triton's extension).
    struct InferRequest {
        let id: String?
        let values: [Float]
        let count: Int
        let outputs: [String]
        var binaryOutputs: Set<String> = []
    }

    /// The extensions of the protocol this server implements, listed in the server metadata.
    static let extensions = ["binary_tensor_data", "model_configuration", "model_repository", "statistics"]

    /// The HTTP header that marks a body as Triton's binary tensor form: the length of the JSON
    /// that comes first; the binary tensors follow it, in input order.
    static let headerLengthField = "Inference-Header-Content-Length"


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
    ///
    /// `headerLength` is the `Inference-Header-Content-Length` header's value when the request
    /// carries binary tensors: the JSON is that many bytes, and an input with
    /// `parameters.binary_data_size` takes its values from the bytes after it.
    static func decode(_ body: [UInt8], headerLength: Int? = nil, inputShape: (channels: Int, height: Int, width: Int), maxImages: Int) throws -> InferRequest {
        if let headerLength, !(0...body.count).contains(headerLength) {
            throw ServingError.badRequest("\(headerLengthField) is \(headerLength); the body has \(body.count) bytes")
        }
        let jsonLength = headerLength ?? body.count
        let request: JSONValue
        do {
            request = try JSONReader.parse(headerLength == nil ? body : Array(body[0..<jsonLength]), tensorKeys: ["data"])
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
        let values: [Float]
        if let binarySize = input["parameters"]?["binary_data_size"] {
            values = try binaryValues(body[jsonLength...], declaredSize: binarySize, count: count, hasHeaderLength: headerLength != nil)
        } else {
            guard jsonLength == body.count else {
                throw ServingError.badRequest("the body has \(body.count - jsonLength) bytes after its JSON, but no input has \"binary_data_size\"")
            }
            guard let data = input["data"] else { throw ServingError.badRequest("input \"\(inputName)\" has no \"data\"") }
            guard case .numbers(let numbers) = data else {
                throw ServingError.badRequest("input \"\(inputName)\": \"data\" must be an array of numbers (flat or nested)")
            }
            guard numbers.count == count else {
                throw ServingError.badRequest("input \"\(inputName)\" has \(numbers.count) values; shape \(dimensions) needs \(count)")
            }
            values = numbers
        }
        guard values.allSatisfy(\.isFinite) else { throw ServingError.badRequest("input \"\(inputName)\" holds a value that is not a finite FP32 number") }
        // Triton's rule: outputs are binary when asked one by one, or all by the request's
        // `binary_data_output` when no output is listed.
        let allBinary = request["parameters"]?["binary_data_output"]?.bool ?? false
        var outputs = outputNames
        var binaryOutputs: Set<String> = allBinary ? Set(outputNames) : []
        if let requested = request["outputs"] {
            guard let list = requested.array else { throw ServingError.badRequest("\"outputs\" must be an array of objects with a \"name\"") }
            binaryOutputs = []
            outputs = try list.map { entry in
                guard let name = entry["name"]?.string, outputNames.contains(name) else {
                    throw ServingError.badRequest("unknown output \"\(entry["name"]?.string ?? "")\"; the model answers \(outputNames.map { "\"\($0)\"" }.joined(separator: " and "))")
                }
                if entry["parameters"]?["binary_data"]?.bool ?? allBinary { binaryOutputs.insert(name) }
                return name
            }
        }
        return InferRequest(id: request["id"]?.string, values: values, count: dimensions[0], outputs: outputs, binaryOutputs: binaryOutputs)
    }

    /// The FP32 little-endian values of a binary input: its declared size must be the shape's
    /// (checked for overflow) and exactly the bytes after the JSON.
    private static func binaryValues(_ bytes: ArraySlice<UInt8>, declaredSize: JSONValue, count: Int, hasHeaderLength: Bool) throws -> [Float] {
        guard hasHeaderLength else {
            throw ServingError.badRequest("input \"\(inputName)\" has \"binary_data_size\" but the request has no \(headerLengthField) header")
        }
        guard let size = declaredSize.integer, size >= 0 else {
            throw ServingError.badRequest("input \"\(inputName)\": \"binary_data_size\" must be a whole number of bytes")
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
        guard !overflow, size == needed else {
            throw ServingError.badRequest("input \"\(inputName)\" has binary_data_size \(size); its shape needs \(count) FP32 values, \(needed) bytes")
        }
        guard bytes.count == size else {
            throw ServingError.badRequest("the body has \(bytes.count) bytes after its JSON; input \"\(inputName)\" declares \(size)")
        }
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
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
    /// probabilities as `mpw predict` computes them (softmax in double precision). Binary
    /// outputs are returned as their bytes, to follow the JSON in the body.
    static func response(modelName: String, request: InferRequest, logits: [Float], model: TrainedModel) -> (answer: InferResponse, binary: [UInt8]) {
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
        return (InferResponse(modelName: modelName, modelVersion: version, id: request.id, outputs: outputs), binary)
    }
}
