import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import Tensors
import TestSupport
import Training
@testable import mpw

/// The `mpw serve` binary: flags are checked, it prints where it listens, and SIGTERM stops it
/// gracefully: the requests in flight are answered and it exits 0.
@Suite(.serialized) struct ServeCommandTests {
    static let mpw = BuiltProducts.mpw

    @Test func badFlagsAreRefusedInOneLine() throws {
        for arguments in [["c.safetensors", "--port", "70000"], ["c.safetensors", "--max-batch", "0"], ["c.safetensors", "--max-delay-ms", "-1"],
                          ["c.safetensors", "--model-name", "a/b"], ["c.safetensors", "--timeout-ms", "0"], [],
                          ["c.safetensors", "--max-request-images", "0"], ["c.safetensors", "--idle-timeout-ms", "0"], ["c.safetensors", "--drain-seconds", "-1"],
                          ["c.safetensors", "--max-connections", "0"]] {
            #expect(throws: (any Error).self, "\(arguments)") { try ServeCommand.parse(arguments) }
        }
        let command = try ServeCommand.parse(["c.safetensors"])
        #expect(command.settings.host == "127.0.0.1" && command.settings.port == 8080)
        #expect(command.settings.maxBatch == 32 && command.settings.maxDelayMilliseconds == 5)
        #expect(command.settings.requestImageLimit == 32 && command.settings.idleTimeoutMilliseconds == 30_000 && command.settings.drainSeconds == 5)
    }

    /// The Python client of docs/serving.md, as printed there (an all-zero image: every value
    /// exactly 0, which JSON tensors must accept), against the binary.
    @Test(.enabled(if: mpw != nil, "no mpw binary: scripts/test builds it next to the tests"))
    func theDocsPythonExampleGetsTheModelsAnswer() async throws {
        let root = try TemporaryDirectory()
        let checkpoint = try ServerFixture.checkpoint(head: .mpw, in: root)
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/serving.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let block = try #require(text.components(separatedBy: "```python\n").dropFirst().first?.components(separatedBy: "```").first)
        #expect(block.contains("127.0.0.1:8080") && block.contains("[0.0] * (c * h * w)"))
        let server = try ServeProcess([checkpoint.path, "--threads", "1"])
        let outcome = try await Task.detached { try PythonTools.run(["-c", block.replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(server.port)")]) }.value
        server.terminate()
        #expect(outcome.status == 0, "\(outcome.output)")

        let model = try TrainedModel(checkpoint: try Checkpoint.read(checkpoint))
        let logits = withoutGradients { model.model(Tensor([Float](repeating: 0, count: 3 * 32 * 32), shape: [1, 3, 32, 32])) }
        let best = try #require(model.rankedClasses(logits: logits, top: 1).first?.first)
        let printed = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")
        #expect(printed.count == 2 && printed.first.map(String.init) == best.name, "\(outcome.output)")
        #expect(abs((Double(printed.last ?? "") ?? -1) - best.probability) <= 1e-6)
        #expect(server.process.terminationStatus == 0)
    }

    /// `mpw bench serve` loads the server with each way of sending the image (the image itself,
    /// a JSON tensor, a binary tensor): every request is answered 200 and the report says so.
    @Test(.enabled(if: mpw != nil, "no mpw binary: scripts/test builds it next to the tests"))
    func benchServeAnswersEveryRequestOfEachProtocol() throws {
        let root = try TemporaryDirectory()
        let checkpoint = try ServerFixture.checkpoint(head: .mpw, in: root)
        for transport in ["image", "json", "binary"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.mpw!)
            process.arguments = ["bench", "serve", checkpoint.path, "--protocol", transport, "--seconds", "1", "--clients", "4", "--threads", "1", "--json"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(transport): \(String(decoding: data, as: UTF8.self))")
            let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(transport)")
            #expect(report["protocol"] as? String == transport && report["errors"] as? Int == 0, "\(report)")
            #expect((report["requests"] as? Int ?? 0) > 0, "\(report)")
        }
    }

    /// `mpw serve DIR` names the folder's models where it says it listens and serves them; a
    /// folder with nothing to serve, or one given --model-name, ends it with one line.
    @Test(.enabled(if: mpw != nil, "no mpw binary: scripts/test builds it next to the tests"))
    func aFolderIsServedAsAModelRepository() async throws {
        let root = try TemporaryDirectory()
        _ = try ServerFixture.checkpoint(head: .mpw, in: root, file: "models/shoes.safetensors")
        _ = try ServerFixture.checkpoint(head: .mpw, in: root, file: "models/digits/2/model.safetensors")
        let server = try ServeProcess([root.file("models").path, "--threads", "1", "--drain-seconds", "0"])
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/v2/repository/index")!)
        request.httpMethod = "POST"
        let (data, _) = try await URLSession(configuration: .ephemeral).data(for: request)
        let index = try JSONSerialization.jsonObject(with: data) as? [[String: String]]
        #expect(index == [["name": "digits", "version": "2", "state": "READY"], ["name": "shoes", "version": "1", "state": "READY"]],
                "\(String(decoding: data, as: UTF8.self))")
        server.terminate()
        #expect(server.process.terminationStatus == 0)

        try FileManager.default.createDirectory(at: root.file("empty"), withIntermediateDirectories: true)
        for (arguments, expected) in [([root.file("empty").path], "no checkpoint to serve"),
                                      ([root.file("models").path, "--model-name", "x"], "--model-name names the model of a checkpoint file")] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.mpw!)
            process.arguments = ["serve"] + arguments + ["--port", "0", "--threads", "1"]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus != 0 && message.contains(expected) && message.hasPrefix("Error: "), "\(message)")
        }
    }

    /// A second server on a port in use says so in one line, naming the flag to change.
    @Test(.enabled(if: mpw != nil, "no mpw binary: scripts/test builds it next to the tests"))
    func aPortInUseIsReportedInOneLine() async throws {
        let root = try TemporaryDirectory()
        let checkpoint = try ServerFixture.checkpoint(head: .mpw, in: root)
        let first = try ServeProcess([checkpoint.path, "--threads", "1", "--drain-seconds", "0"])
        let second = Process()
        second.executableURL = URL(fileURLWithPath: Self.mpw!)
        second.arguments = ["serve", checkpoint.path, "--port", "\(first.port)", "--threads", "1"]
        let errors = Pipe()
        second.standardError = errors
        second.standardOutput = FileHandle.nullDevice
        try second.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        second.waitUntilExit()
        first.terminate()
        #expect(second.terminationStatus != 0)
        #expect(message == "Error: port \(first.port) is in use (another mpw serve?); choose another with --port\n", "\(message)")
        #expect(first.process.terminationStatus == 0)
    }

    @Test(.enabled(if: mpw != nil, "no mpw binary: scripts/test builds it next to the tests"))
    func sigtermAnswersTheRequestsInFlightAndExitsZero() async throws {
        let root = try TemporaryDirectory()
        let checkpoint = try ServerFixture.checkpoint(head: .mpw, in: root)
        let files = try ServerFixture.writeImages(in: root)
        let server = try ServeProcess([checkpoint.path, "--max-delay-ms", "1500", "--max-batch", "64", "--threads", "1", "--drain-seconds", "1"])
        let port = server.port
        let session = URLSession(configuration: .ephemeral)
        func post(_ file: String) async throws -> Int {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/predict")!)
            request.httpMethod = "POST"
            request.httpBody = try Data(contentsOf: URL(fileURLWithPath: file))
            let (_, response) = try await session.data(for: request)
            return (response as! HTTPURLResponse).statusCode
        }
        let inFlight = Task {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for file in files { group.addTask { try await post(file) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        // Wait (at most 10 s) until the three wait in the 1.5 s batching window, then SIGTERM.
        for _ in 0..<500 {
            let (data, _) = try await session.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            if String(decoding: data, as: UTF8.self).contains("mpw_queue_depth_images 3") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(server.process.processIdentifier, SIGTERM)
        let statuses = try await inFlight.value
        server.process.waitUntilExit()
        #expect(statuses == [200, 200, 200])
        #expect(server.process.terminationReason == .exit && server.process.terminationStatus == 0)
    }
}
