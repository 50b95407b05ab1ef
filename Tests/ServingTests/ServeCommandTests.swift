import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import TestSupport
@testable import mpw

/// The `mpw serve` binary: flags are checked, it prints where it listens, and SIGTERM stops it
/// gracefully: the requests in flight are answered and it exits 0.
@Suite(.serialized) struct ServeCommandTests {
    static let mpw = BuiltProducts.mpw

    @Test func badFlagsAreRefusedInOneLine() throws {
        for arguments in [["c.safetensors", "--port", "70000"], ["c.safetensors", "--max-batch", "0"], ["c.safetensors", "--max-delay-ms", "-1"],
                          ["c.safetensors", "--model-name", "a/b"], ["c.safetensors", "--timeout-ms", "0"], []] {
            #expect(throws: (any Error).self, "\(arguments)") { try ServeCommand.parse(arguments) }
        }
        let command = try ServeCommand.parse(["c.safetensors"])
        #expect(command.settings.host == "127.0.0.1" && command.settings.port == 8080)
        #expect(command.settings.maxBatch == 32 && command.settings.maxDelayMilliseconds == 5)
    }

    @Test(.enabled(if: mpw != nil, "no mpw binary: scripts/test builds it next to the tests"))
    func sigtermAnswersTheRequestsInFlightAndExitsZero() async throws {
        let root = try TemporaryDirectory()
        let checkpoint = try ServerFixture.checkpoint(head: .mpw, in: root)
        let files = try ServerFixture.writeImages(in: root)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.mpw!)
        process.arguments = ["serve", checkpoint.path, "--port", "0", "--max-delay-ms", "1500", "--max-batch", "64", "--threads", "1"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.interrupt(); kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 180, execute: watchdog)
        defer { watchdog.cancel() }

        // A line names the address: "mpw serve: ... on http://127.0.0.1:PORT/".
        var line = ""
        while !line.contains("http://127.0.0.1:") || !line.hasSuffix("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        let address = try #require(line.range(of: "http://127.0.0.1:").map { line[$0.upperBound...].prefix { $0.isNumber } }, "\(line)")
        let port = try #require(Int(address))
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
        kill(process.processIdentifier, SIGTERM)
        let statuses = try await inFlight.value
        process.waitUntilExit()
        #expect(statuses == [200, 200, 200])
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }
}
