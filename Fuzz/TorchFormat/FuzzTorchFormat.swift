// libFuzzer entry point for the torch.save reader (zip container, legacy stream, restricted
// pickle machine, tensor conversion). The first input byte picks the mode, the rest is the input:
// 0 reads it as a whole file; 1 puts a valid legacy header (magic, protocol, system info) before
// it, so mutations reach the object pickle, the key list and the storages at once. Any thrown
// TorchFormatError is a correct outcome; a crash, trap, hang, leak or sanitizer report is a bug.
// Built and run by ./run (see there).
import TorchFormat

private let legacyHeader: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E,
                                     0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E, 0x80, 0x02, 0x7D, 0x2E]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorchFormat(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let bytes = data[0] % 2 == 0 ? body : legacyHeader + body
    if let state = try? TorchFile.readStateDict(bytes: bytes, path: "fuzz.pth") {
        _ = state.safeTensors().serialized()
    }
    return 0
}
