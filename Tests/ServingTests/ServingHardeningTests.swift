import Foundation
import Testing
import TestSupport
@testable import Serving

/// Hostile requests on a loopback port: declared sizes that would have taken the process down
/// (a tensor shape or an image header claiming far more than the body holds) get a one-line 4xx
/// before anything is allocated for them, and the server stays ready.
@Suite(.serialized) struct ServingHardeningTests {
    static func infer(shape: String, data: String = "[0.5]") -> Data {
        Data(#"{"inputs":[{"name":"input","shape":\#(shape),"datatype":"FP32","data":\#(data)}]}"#.utf8)
    }

    static func expectStillReady(_ fixture: ServerFixture) async throws {
        #expect(try await fixture.get("/v2/health/ready").status == 200)
        let values = [Double](repeating: 0.25, count: 3 * 32 * 32)
        let good = try await fixture.postJSON("/v2/models/mpw/infer", ["inputs": [["name": "input", "shape": [1, 3, 32, 32], "datatype": "FP32", "data": values]]])
        #expect(good.status == 200, "\(good.text)")
    }

    @Test func declaredShapesBeyondTheDataOrTheLimitGet4xx() async throws {
        let fixture = try await ServerFixture { $0.maxBatch = 4 }
        // The issue's 87-byte request (a 1-channel model's shape), and the same for this 3-channel one.
        let cases: [(String, Data, Int)] = [
            ("issue's request", Self.infer(shape: "[10000000,1,32,32]"), 400),
            ("ten million images", Self.infer(shape: "[10000000,3,32,32]"), 413),
            ("2^62 images", Self.infer(shape: "[4611686018427387904,3,32,32]"), 413),
            ("2^62 channels", Self.infer(shape: "[1,4611686018427387904,4611686018427387904,32]"), 400),
            ("negative images", Self.infer(shape: "[-4611686018427387904,3,32,32]"), 400),
            ("one image more than the cap", Self.infer(shape: "[5,3,32,32]"), 413),
            ("fewer values than the shape", Self.infer(shape: "[4,3,32,32]"), 400),
        ]
        for (name, body, status) in cases {
            #expect(body.count < 128, "\(name) is a short request")
            let reply = try await fixture.request("POST", "/v2/models/mpw/infer", body: body, contentType: "application/json")
            #expect(reply.status == status, "\(name): \(reply.status) \(reply.text)")
            let message = try #require(reply.json["error"] as? String, "\(name): \(reply.text)")
            #expect(!message.isEmpty && !message.contains("\n"))
        }
        #expect(try await fixture.request("POST", "/v2/models/mpw/infer", body: Self.infer(shape: "[5,3,32,32]"), contentType: "application/json")
            .text.contains("--max-request-images"))
        // The cap itself is served.
        let four = [Double](repeating: 0.5, count: 4 * 3 * 32 * 32)
        #expect(try await fixture.postJSON("/v2/models/mpw/infer", ["inputs": [["name": "input", "shape": [4, 3, 32, 32], "datatype": "FP32", "data": four]]]).status == 200)
        try await Self.expectStillReady(fixture)
        try await fixture.stop()
    }

    /// A kB figure of /proc/self/status ("VmRSS", "VmHWM"), in bytes.
    static func memory(_ field: String) throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix(field + ":") })
        return try #require(Int(line.split(separator: " ").dropFirst().first ?? "")) * 1024
    }

    /// The issue's amplification: a 15.6 MiB JSON request of 4,000 images took the server from
    /// 407 MB to a 1,579 MB peak. Now the numbers go straight into FP32 and the shape is refused
    /// (413) without a tensor: the process's peak (server and client, both here) grows by a
    /// small multiple of the body (under 10x; JSONSerialization's tree took over 60x).
    @Test func aLargeJSONRequestTakesASmallMultipleOfItsBody() async throws {
        let fixture = try await ServerFixture { $0.maxBodyBytes = 32 << 20 }
        let count = 4000 * 3 * 32 * 32
        var text = #"{"inputs":[{"name":"input","shape":[4000,3,32,32],"datatype":"FP32","data":["#
        text.reserveCapacity(2 * count + 128)
        for index in 0..<count { text += index == 0 ? "0" : ",1" }
        text += "]}]}"
        let body = Data(text.utf8)
        text = ""
        #expect(body.count > 20 << 20)
        let before = try Self.memory("VmRSS")
        // Resets the peak (VmHWM) to the current size, so that it measures this request alone.
        try "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let reply = try await fixture.request("POST", "/v2/models/mpw/infer", body: body, contentType: "application/json")
        #expect(reply.status == 413 && (reply.json["error"] as? String)?.contains("--max-request-images") == true, "\(reply.status) \(reply.text.prefix(200))")
        let peak = try Self.memory("VmHWM")
        #expect(peak - before < 10 * body.count, "peak grew by \((peak - before) >> 20) MiB for a \(body.count >> 20) MiB body")
        try await Self.expectStillReady(fixture)
        try await fixture.stop()
    }

    @Test func aShapeWhoseValueCountOverflowsIsRefusedWithoutTrapping() throws {
        for dimensions in [[1 << 62, 3, 32, 32], [Int.max, 3, 32, 32]] {
            #expect {
                try KServeProtocol.checkedShape(dimensions, inputShape: (3, 32, 32), maxImages: .max)
            } throws: { ($0 as? ServingError)?.status == .contentTooLarge }
        }
        #expect(try KServeProtocol.checkedShape([7, 3, 32, 32], inputShape: (3, 32, 32), maxImages: 7) == 7 * 3 * 32 * 32)
    }

    @Test func imageHeadersClaimingHugeSizesGet413() async throws {
        let fixture = try await ServerFixture()
        func bigEndian(_ value: Int, bytes: Int) -> [UInt8] { (0..<bytes).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + bigEndian(13, bytes: 4) + Array("IHDR".utf8)
            + bigEndian(100_000, bytes: 4) + bigEndian(100_000, bytes: 4) + [8, 2, 0, 0, 0] + [0, 0, 0, 0]
        // SOI, an APP0 segment, then a baseline start-of-frame claiming 60000x50000.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + bigEndian(16, bytes: 2) + Array("JFIF\0".utf8) + [1, 1, 0, 0, 1, 0, 1, 0, 0]
            + [0xFF, 0xC0] + bigEndian(17, bytes: 2) + [8] + bigEndian(50_000, bytes: 2) + bigEndian(60_000, bytes: 2) + [3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]
        for (name, bytes, type) in [("PNG", png, "image/png"), ("JPEG", jpeg, "image/jpeg")] {
            let reply = try await fixture.request("POST", "/v1/predict", body: Data(bytes), contentType: type)
            #expect(reply.status == 413, "\(name): \(reply.status) \(reply.text)")
            #expect((reply.json["error"] as? String)?.contains("--max-image-side") == true, "\(name): \(reply.text)")
        }
        #expect(ClaimedImageSize.of(png).map { [$0.width, $0.height] } == [100_000, 100_000])
        #expect(ClaimedImageSize.of(jpeg).map { [$0.width, $0.height] } == [60_000, 50_000])
        try await Self.expectStillReady(fixture)
        try await fixture.stop()
    }

    /// Triton's binary tensor form: the JSON, then FP32 little-endian bytes whose declared size
    /// must match the shape and the body; a size that cannot be right is a 400, never a crash.
    @Test func binaryTensorsAreCheckedAgainstTheirShapeAndTheBody() throws {
        func request(size: String, shape: String = "[1,1,2,2]", values: [Float] = [0, 1, -2.5, 3e-3], header: Bool = true) throws -> KServeProtocol.InferRequest {
            let json = Array(#"{"inputs":[{"name":"input","shape":\#(shape),"datatype":"FP32","parameters":{"binary_data_size":\#(size)}}],"outputs":[{"name":"logits","parameters":{"binary_data":true}},{"name":"probabilities"}]}"#.utf8)
            var body = json
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
            return try KServeProtocol.decode(body, headerLength: header ? json.count : nil, inputShape: (1, 2, 2), maxImages: 4)
        }
        let decoded = try request(size: "16")
        #expect(decoded.values == [0, 1, -2.5, 3e-3] && decoded.count == 1)
        #expect(decoded.outputs == ["logits", "probabilities"] && decoded.binaryOutputs == ["logits"])
        for (name, attempt) in [("size against shape", { try request(size: "12") }), ("size against body", { try request(size: "20", shape: "[1,1,2,2]", values: [0, 1, 2, 3, 4]) }),
                                ("2^62 bytes", { try request(size: "4611686018427387904") }), ("negative size", { try request(size: "-16") }),
                                ("no header length", { try request(size: "16", header: false) }), ("fractional size", { try request(size: "15.5") })] as [(String, () throws -> KServeProtocol.InferRequest)] {
            #expect(throws: ServingError.self, "\(name)") { try attempt() }
        }
        #expect(throws: ServingError.self) { try KServeProtocol.decode(Array("{}".utf8), headerLength: 3, inputShape: (1, 2, 2), maxImages: 4) }
    }
}
