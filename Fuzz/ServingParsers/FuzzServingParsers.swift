// libFuzzer entry point for the request parsers of `mpw serve` that read untrusted bytes before
// anything else does: the JSON reader, the KServe inference request (JSON tensors, and Triton's
// binary tensors after an Inference-Header-Content-Length), multipart/form-data, and the image
// size claimed by a PNG or JPEG header. The first input byte picks the parser, the rest is its
// input. A refusal (a thrown JSONReader.Failure or RequestRefusal, a nil size) is a correct
// outcome; a crash, trap, hang, sanitizer report or broken invariant is a bug. Built and run by
// ./run (see there), which scripts/test calls for a few seconds per parser.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServingParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 5 {
    case 0: fuzzJSON(bytes)
    case 1: fuzzImageSize(bytes)
    case 2: fuzzInferRequest(bytes, headerLength: nil)
    case 3:
        // Two bytes of header length (big-endian), then the body: Triton's binary form.
        guard bytes.count >= 2 else { return 0 }
        fuzzInferRequest(Array(bytes[2...]), headerLength: Int(bytes[0]) << 8 | Int(bytes[1]))
    default: fuzzMultipart(bytes)
    }
    return 0
}

private func fuzzJSON(_ bytes: [UInt8]) {
    if let value = try? JSONReader.parse(bytes, tensorKeys: ["data"]) {
        // Memory stays bounded by the body: a number takes at least one byte and a separator.
        precondition(numberCount(value) <= bytes.count / 2 + 1, "more numbers than the body can hold")
    }
}

private func fuzzImageSize(_ bytes: [UInt8]) {
    if let claimed = ClaimedImageSize.of(bytes) {
        precondition(claimed.width >= 0 && claimed.height >= 0 && claimed.width < 1 << 32 && claimed.height < 1 << 32, "an impossible size")
    }
}

/// A model of (1, 2, 2) inputs taking at most 8 images: an accepted request holds exactly the
/// values its shape declares, all finite, and asks only for the model's outputs.
private func fuzzInferRequest(_ body: [UInt8], headerLength: Int?) {
    do {
        let request = try KServeRequest.parse(body, headerLength: headerLength, inputShape: (1, 2, 2), maxImages: 8)
        precondition((1...8).contains(request.count), "an image count outside the limit")
        precondition(request.values.count == request.count * 4, "values that do not fill the declared shape")
        precondition(request.values.allSatisfy(\.isFinite), "a value that is not finite")
        precondition(Set(request.outputs).isSubset(of: KServeRequest.outputNames) && request.binaryOutputs.isSubset(of: request.outputs),
                     "an output the model does not have")
    } catch let refusal as RequestRefusal {
        checkOneLine(refusal)
    } catch {
        preconditionFailure("a failure that is not a refusal: \(error)")
    }
}

/// The first line is the Content-Type (whose boundary is read), the rest the body: every part's
/// content lies within the body.
private func fuzzMultipart(_ bytes: [UInt8]) {
    let newline = bytes.firstIndex(of: 10) ?? bytes.count
    guard let boundary = MultipartForm.boundary(String(decoding: bytes[..<newline], as: UTF8.self)) else { return }
    let body = Array(bytes[min(newline + 1, bytes.count)...])
    do {
        let parts = try MultipartForm.parts(body, boundary: boundary)
        precondition(parts.reduce(0) { $0 + $1.content.count } <= body.count, "parts larger than the body")
    } catch let refusal as RequestRefusal {
        checkOneLine(refusal)
    } catch {
        preconditionFailure("a failure that is not a refusal: \(error)")
    }
}

/// A refusal is answered to the client as one line.
private func checkOneLine(_ refusal: RequestRefusal) {
    precondition(!refusal.message.isEmpty && !refusal.message.contains("\n"), "a refusal that is not one line: \(refusal.message)")
}

private func numberCount(_ value: JSONValue) -> Int {
    switch value {
    case .numbers(let values): values.count
    case .array(let elements): elements.reduce(0) { $0 + numberCount($1) }
    case .object(let members): members.values.reduce(0) { $0 + numberCount($1) }
    case .number: 1
    default: 0
    }
}
