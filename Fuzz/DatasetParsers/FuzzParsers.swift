// libFuzzer entry point for the Datasets parsers: the first input byte picks a parser, the rest
// is the file. Any thrown DatasetError is a correct outcome; a crash, trap, hang or sanitizer
// report is a bug. Built and run by ./run (see there).
@testable import Datasets

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var pixels: [UInt8] = []
    var labels: [Int32] = []
    switch data[0] % 5 {
    case 0: _ = try? NumPyArray(bytes: bytes, path: "fuzz.npy")
    case 1: _ = try? IDXFile(fileBytes: bytes, path: "fuzz.idx")
    case 2: try? CIFAR10.records.append(bytes, path: "fuzz.bin", to: &pixels, labels: &labels)
    case 3: try? CIFAR100.records(.fine).append(bytes, path: "fuzz.bin", to: &pixels, labels: &labels)
    default: _ = try? ImageDecoder.decode(bytes, path: "fuzz.image")
    }
    return 0
}
