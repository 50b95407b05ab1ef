/// An inference request of the Open Inference Protocol (KServe v2) over REST, as parsed from the
/// bytes a client sent, for a model with one input, "input": FP32 [N, C, H, W], and two outputs,
/// "logits" and "probabilities". Plain Swift on `JSONReader`, with no server dependency, so that
/// Fuzz/ServingParsers compiles it with the fuzzer.
struct KServeRequest {
    static let inputName = "input"
    static let outputNames = ["logits", "probabilities"]

    /// The HTTP header that marks a body as Triton's binary tensor form: the length of the JSON
    /// that comes first; the binary tensors follow it, in input order.
    static let headerLengthField = "Inference-Header-Content-Length"

    let id: String?
    /// `count` images of preprocessed values, row-major.
    let values: [Float]
    let count: Int
    /// The outputs to answer, those in `binaryOutputs` as binary data (Triton's extension).
    let outputs: [String]
    var binaryOutputs: Set<String> = []

    /// Parses an inference request for a model taking (C, H, W) inputs; throws a refusal naming
    /// the field at fault (400; 413 for more than `maxImages` images). The shape is checked before the
    /// data is looked at, and nothing is allocated from it.
    ///
    /// `headerLength` is the `Inference-Header-Content-Length` header's value when the request
    /// carries binary tensors: the JSON is that many bytes, and an input with
    /// `parameters.binary_data_size` takes its values from the bytes after it.
    static func parse(_ body: [UInt8], headerLength: Int? = nil, inputShape: (channels: Int, height: Int, width: Int), maxImages: Int) throws -> KServeRequest {
        if let headerLength, !(0...body.count).contains(headerLength) {
            throw RequestRefusal.badRequest("\(Self.headerLengthField) is \(headerLength); the body has \(body.count) bytes")
        }
        let jsonLength = headerLength ?? body.count
        let request: JSONValue
        do {
            request = try JSONReader.parse(headerLength == nil ? body : Array(body[0..<jsonLength]), tensorKeys: ["data"])
        } catch let failure as JSONReader.Failure {
            throw RequestRefusal.badRequest("the body is not valid JSON: \(failure)")
        }
        guard case .object = request else { throw RequestRefusal.badRequest("the body must be a JSON object with \"inputs\"") }
        guard let inputs = request["inputs"]?.array, inputs.count == 1, case .object = inputs[0] else {
            throw RequestRefusal.badRequest("\"inputs\" must hold exactly one tensor, \"\(Self.inputName)\"")
        }
        let input = inputs[0]
        let name = input["name"]?.string
        guard name == Self.inputName else { throw RequestRefusal.badRequest("unknown input \"\(name ?? "")\"; the model's input is \"\(Self.inputName)\"") }
        guard let datatype = input["datatype"]?.string else { throw RequestRefusal.badRequest("input \"\(Self.inputName)\" has no \"datatype\"") }
        guard datatype == "FP32" else { throw RequestRefusal.badRequest("input \"\(Self.inputName)\" has datatype \(datatype); the model takes FP32") }
        guard let shape = input["shape"]?.array, shape.allSatisfy({ $0.integer != nil }) else {
            throw RequestRefusal.badRequest("input \"\(Self.inputName)\" has no \"shape\" of integers")
        }
        let dimensions = shape.compactMap(\.integer)
        let count = try checkedShape(dimensions, inputShape: inputShape, maxImages: maxImages)
        let values: [Float]
        if let binarySize = input["parameters"]?["binary_data_size"] {
            values = try binaryValues(body[jsonLength...], declaredSize: binarySize, count: count, hasHeaderLength: headerLength != nil)
        } else {
            guard jsonLength == body.count else {
                throw RequestRefusal.badRequest("the body has \(body.count - jsonLength) bytes after its JSON, but no input has \"binary_data_size\"")
            }
            guard let data = input["data"] else { throw RequestRefusal.badRequest("input \"\(Self.inputName)\" has no \"data\"") }
            guard case .numbers(let numbers) = data else {
                throw RequestRefusal.badRequest("input \"\(Self.inputName)\": \"data\" must be an array of numbers (flat or nested)")
            }
            guard numbers.count == count else {
                throw RequestRefusal.badRequest("input \"\(Self.inputName)\" has \(numbers.count) values; shape \(dimensions) needs \(count)")
            }
            values = numbers
        }
        guard values.allSatisfy(\.isFinite) else { throw RequestRefusal.badRequest("input \"\(Self.inputName)\" holds a value that is not a finite FP32 number") }
        // Triton's rule: outputs are binary when asked one by one, or all by the request's
        // `binary_data_output` when no output is listed.
        let allBinary = request["parameters"]?["binary_data_output"]?.bool ?? false
        var outputs = Self.outputNames
        var binaryOutputs: Set<String> = allBinary ? Set(Self.outputNames) : []
        if let requested = request["outputs"] {
            guard let list = requested.array else { throw RequestRefusal.badRequest("\"outputs\" must be an array of objects with a \"name\"") }
            binaryOutputs = []
            outputs = try list.map { entry in
                guard let name = entry["name"]?.string, Self.outputNames.contains(name) else {
                    throw RequestRefusal.badRequest("unknown output \"\(entry["name"]?.string ?? "")\"; the model answers \(Self.outputNames.map { "\"\($0)\"" }.joined(separator: " and "))")
                }
                if entry["parameters"]?["binary_data"]?.bool ?? allBinary { binaryOutputs.insert(name) }
                return name
            }
        }
        return KServeRequest(id: request["id"]?.string, values: values, count: dimensions[0], outputs: outputs, binaryOutputs: binaryOutputs)
    }

    /// The FP32 little-endian values of a binary input: its declared size must be the shape's
    /// (checked for overflow) and exactly the bytes after the JSON.
    private static func binaryValues(_ bytes: ArraySlice<UInt8>, declaredSize: JSONValue, count: Int, hasHeaderLength: Bool) throws -> [Float] {
        guard hasHeaderLength else {
            throw RequestRefusal.badRequest("input \"\(Self.inputName)\" has \"binary_data_size\" but the request has no \(Self.headerLengthField) header")
        }
        guard let size = declaredSize.integer, size >= 0 else {
            throw RequestRefusal.badRequest("input \"\(Self.inputName)\": \"binary_data_size\" must be a whole number of bytes")
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
        guard !overflow, size == needed else {
            throw RequestRefusal.badRequest("input \"\(Self.inputName)\" has binary_data_size \(size); its shape needs \(count) FP32 values, \(needed) bytes")
        }
        guard bytes.count == size else {
            throw RequestRefusal.badRequest("the body has \(bytes.count) bytes after its JSON; input \"\(Self.inputName)\" declares \(size)")
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
            throw RequestRefusal.badRequest("input \"\(Self.inputName)\" has shape \(dimensions); the model takes [N, \(channels), \(height), \(width)] with N >= 1")
        }
        guard dimensions[0] <= maxImages else {
            throw RequestRefusal(.contentTooLarge, "input \"\(Self.inputName)\" holds \(dimensions[0]) images; the server takes at most \(maxImages) per request (--max-request-images)")
        }
        var count = 1
        for dimension in dimensions {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw RequestRefusal(.contentTooLarge, "input \"\(Self.inputName)\" has shape \(dimensions), too many values to hold") }
            count = product
        }
        return count
    }

}
