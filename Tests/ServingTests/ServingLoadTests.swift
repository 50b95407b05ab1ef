import Datasets
import Foundation
import Testing
import Tensors
import TestSupport
import Training
@testable import Serving

/// Batching, limits and shutdown of `mpw serve`: concurrent requests share batches and each gets
/// its own answer, bad input gets a one-line 4xx, a full queue 503, a shutdown loses nothing.
@Suite(.serialized) struct ServingLoadTests {
    /// Each file's top class and probability from the model directly, one image at a time.
    static func expectedTop(_ files: [String], model: TrainedModel) throws -> [(index: Int, probability: Double)] {
        try files.map { file in
            let top = try model.classify([try ImageDecoder.decode(fileAt: file)], top: 1)[0][0]
            return (top.index, top.probability)
        }
    }

    /// Posts every file at once; the replies in file order.
    static func postAll(_ files: [String], to fixture: ServerFixture, path: String = "/v1/predict") async throws -> [ServerFixture.Reply] {
        try await withThrowingTaskGroup(of: (Int, ServerFixture.Reply).self) { group in
            for (index, file) in files.enumerated() {
                group.addTask { (index, try await fixture.post(path, file: file)) }
            }
            var replies: [(Int, ServerFixture.Reply)] = []
            for try await reply in group { replies.append(reply) }
            return replies.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    @Test func concurrentRequestsRunAsOneBatchAndEachGetsItsOwnAnswer() async throws {
        let fixture = try await ServerFixture { $0.maxBatch = 8; $0.maxDelayMilliseconds = 2000 }
        let files = Array(try ServerFixture.writeImages(in: fixture.root, extra: 5).prefix(8))
        let expected = try Self.expectedTop(files, model: fixture.model)
        #expect(Set(expected.map(\.probability)).count == 8, "the images must be told apart by their answers")
        let replies = try await Self.postAll(files, to: fixture)
        for (reply, (index, probability)) in zip(replies, expected) {
            #expect(reply.status == 200, "\(reply.text)")
            let top = try #require((reply.json["predictions"] as? [[String: Any]])?.first)
            #expect(top["index"] as? Int == index && abs((top["probability"] as? Double ?? -1) - probability) <= 1e-6)
        }
        // Eight images arrived within the 2 s window, so they ran as one batch of 8.
        #expect(try await fixture.metric("mpw_batch_size_images_count") == 1)
        #expect(try await fixture.metric("mpw_batch_size_images_sum") == 8)
        #expect(try await fixture.metric(#"mpw_batch_size_images_bucket{le="4.0"}"#) == 0)
        try await fixture.stop()
    }

    @Test func badInputGetsAOneLine4xxAndTheServerKeepsServing() async throws {
        let fixture = try await ServerFixture { $0.maxBodyBytes = 64 << 10; $0.maxImageSide = 48 }
        let files = try ServerFixture.writeImages(in: fixture.root)
        let jpeg = try Data(contentsOf: URL(fileURLWithPath: files[1]))
        let good = try Data(contentsOf: URL(fileURLWithPath: files[0]))
        let values = [Double](repeating: 0.5, count: 3 * 32 * 32)
        func infer(_ input: [String: Any]) -> [String: Any] { ["inputs": [input]] }
        let cases: [(String, Int, ServerFixture.Reply)] = [
            ("not an image", 422, try await fixture.request("POST", "/v1/predict", body: Data("hello, world".utf8), contentType: "image/png")),
            ("truncated JPEG", 422, try await fixture.request("POST", "/v1/predict", body: good.prefix(good.count / 2), contentType: "image/png")),
            ("empty body", 400, try await fixture.request("POST", "/v1/predict", body: Data(), contentType: "image/png")),
            ("too many pixels", 413, try await fixture.request("POST", "/v1/predict", body: jpeg, contentType: "image/jpeg")),
            ("too large a body", 413, try await fixture.request("POST", "/v1/predict", body: Data(count: 100 << 10), contentType: "image/png")),
            ("bad topk", 400, try await fixture.request("POST", "/v1/predict?topk=0", body: good, contentType: "image/png")),
            ("broken multipart", 400, try await fixture.request("POST", "/v1/predict", body: Data("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end".utf8),
                                                               contentType: "multipart/form-data; boundary=x")),
            ("malformed JSON", 400, try await fixture.request("POST", "/v2/models/mpw/infer", body: Data("{\"inputs\": [".utf8), contentType: "application/json")),
            ("wrong shape", 400, try await fixture.postJSON("/v2/models/mpw/infer", infer(["name": "input", "shape": [1, 3, 28, 28], "datatype": "FP32", "data": values]))),
            ("wrong count", 400, try await fixture.postJSON("/v2/models/mpw/infer", infer(["name": "input", "shape": [2, 3, 32, 32], "datatype": "FP32", "data": values]))),
            ("wrong datatype", 400, try await fixture.postJSON("/v2/models/mpw/infer", infer(["name": "input", "shape": [1, 3, 32, 32], "datatype": "INT8", "data": values]))),
            ("strings as data", 400, try await fixture.postJSON("/v2/models/mpw/infer", infer(["name": "input", "shape": [1, 3, 32, 32], "datatype": "FP32", "data": values.map { "\($0)" }]))),
            ("unknown input", 400, try await fixture.postJSON("/v2/models/mpw/infer", infer(["name": "pixels", "shape": [1, 3, 32, 32], "datatype": "FP32", "data": values]))),
            ("unknown output", 400, try await fixture.postJSON("/v2/models/mpw/infer", ["inputs": [["name": "input", "shape": [1, 3, 32, 32], "datatype": "FP32", "data": values]],
                                                                                        "outputs": [["name": "features"]]])),
            ("wrong model", 404, try await fixture.postJSON("/v2/models/resnet/infer", infer(["name": "input", "shape": [1, 3, 32, 32], "datatype": "FP32", "data": values]))),
            ("wrong method", 404, try await fixture.get("/v1/predict")),
        ]
        for (name, status, reply) in cases {
            #expect(reply.status == status, "\(name): \(reply.status) \(reply.text)")
            let message = reply.json["error"] as? String
            #expect(message.map { !$0.isEmpty && !$0.contains("\n") } == true, "\(name): \(reply.text)")
        }
        #expect(try await fixture.post("/v1/predict", file: files[0]).status == 200)
        #expect(try await fixture.postJSON("/v2/models/mpw/infer", infer(["name": "input", "shape": [1, 3, 32, 32], "datatype": "FP32", "data": values])).status == 200)
        try await fixture.stop()
    }

    @Test func aFullQueueAnswers503AndASlowAnswer504() async throws {
        let fixture = try await ServerFixture { $0.maxBatch = 64; $0.maxDelayMilliseconds = 3000; $0.queueLimit = 3 }
        let files = try ServerFixture.writeImages(in: fixture.root, extra: 5)
        let replies = try await Self.postAll(files, to: fixture)
        // The 3 s batching window holds the first three; the other five find the queue full.
        #expect(replies.filter { $0.status == 200 }.count == 3 && replies.filter { $0.status == 503 }.count == 5)
        #expect(replies.filter { $0.status == 503 }.allSatisfy { ($0.json["error"] as? String)?.contains("queue is full") == true })
        try await fixture.stop()

        let slow = try await ServerFixture { $0.maxBatch = 64; $0.maxDelayMilliseconds = 3000; $0.timeoutMilliseconds = 200 }
        let late = try await slow.post("/v1/predict", file: files[0])
        #expect(late.status == 504 && (late.json["error"] as? String)?.contains("timeout") == true)
        #expect(try await slow.metric("mpw_queue_depth_images") == 0, "a request that timed out leaves the queue")
        try await slow.stop()
    }

    @Test func aGracefulShutdownAnswersEveryRequestInFlight() async throws {
        let fixture = try await ServerFixture { $0.maxBatch = 64; $0.maxDelayMilliseconds = 1500 }
        let files = try ServerFixture.writeImages(in: fixture.root, extra: 3)
        let expected = try Self.expectedTop(files, model: fixture.model)
        let inFlight = Task { try await Self.postAll(files, to: fixture) }
        // Wait (at most 10 s) until all six wait in the batching window, then shut down.
        for _ in 0..<500 {
            if try await fixture.metric("mpw_queue_depth_images") == Double(files.count) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try await fixture.metric("mpw_queue_depth_images") == Double(files.count))
        try await fixture.stop()
        let replies = try await inFlight.value
        for (reply, (index, _)) in zip(replies, expected) {
            #expect(reply.status == 200, "\(reply.text)")
            #expect((reply.json["predictions"] as? [[String: Any]])?.first?["index"] as? Int == index)
        }
        await #expect(throws: (any Error).self) { try await fixture.get("/v2/health/live") }
    }
}
