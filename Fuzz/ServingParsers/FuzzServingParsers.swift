// libFuzzer entry point for the request parsers of `mpw serve` that read untrusted bytes before
// anything else does: the JSON reader (KServe/Triton request bodies, tensor data) and the image
// size claimed by a PNG or JPEG header. The first input byte picks the parser, the rest is the
// body. A thrown JSONReader.Failure or a nil size is a correct outcome; a crash, trap, hang,
// sanitizer report or a broken invariant is a bug. Built and run by ./run (see there).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServingParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] % 2 == 0 {
        if let value = try? JSONReader.parse(bytes, tensorKeys: ["data"]) {
            // Memory stays bounded by the body: a number takes at least one byte and a separator.
            precondition(numberCount(value) <= bytes.count / 2 + 1, "more numbers than the body can hold")
        }
    } else if let claimed = ClaimedImageSize.of(bytes) {
        precondition(claimed.width >= 0 && claimed.height >= 0 && claimed.width < 1 << 32 && claimed.height < 1 << 32, "an impossible size")
    }
    return 0
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
