import Foundation
import Tensors
import Testing
import TestSupport
import Training
@testable import Serving

/// `mpw serve DIR`: a folder of checkpoints served as Triton's model repository, with versions,
/// the repository extension's index, load and unload, and checkpoints replaced on disk swapped in
/// while clients keep asking, without a failed request.
@Suite(.serialized) struct ServingRepositoryTests {
    /// One image's values, the same for every request, so that answers tell the models apart.
    static let pixels: [Float] = (0..<(3 * 32 * 32)).map { Float(($0 * 37) % 101) / 100 }

    static var inferBody: [String: Any] {
        ["inputs": [["name": "input", "shape": [1, 3, 32, 32], "datatype": "FP32", "data": pixels.map(Double.init)]],
         "outputs": [["name": "logits"]]]
    }

    /// The logits of `pixels` computed directly by the model, as the oracle for the served ones.
    static func logits(_ checkpoint: URL) throws -> [Float] {
        let model = try TrainedModel(checkpoint: try Checkpoint.read(checkpoint))
        return withoutGradients { model.model(Tensor(pixels, shape: [1, 3, 32, 32])) }.scalars
    }

    /// Which of `candidates` the reply's logits are (their index), nil for none of them.
    static func which(_ reply: ServerFixture.Reply, of candidates: [[Float]]) -> Int? {
        guard let outputs = reply.json["outputs"] as? [[String: Any]], let data = outputs.first?["data"] as? [Double] else { return nil }
        return candidates.firstIndex { expected in
            expected.count == data.count && zip(expected, data).allSatisfy { abs(Double($0) - $1) <= 1e-4 * max(1, abs($1)) }
        }
    }

    /// Whether a retired version's batcher has stopped (within 10 s): it then refuses work with 503.
    static func hasStopped(_ served: ServedModel) async -> Bool {
        await eventually(10) {
            do {
                _ = try await served.batcher.submit(.tensor(pixels, count: 1), timeout: .seconds(10))
                return false
            } catch let error as ServingError {
                return error.status == .serviceUnavailable
            } catch {
                return false
            }
        }
    }

    /// Waits up to `seconds` for `condition`.
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    @Test func everyCheckpointOfAFolderIsServedWithItsVersionsNewestByDefault() async throws {
        let fixture = try await ServerFixture(repository: { root in
            _ = try ServerFixture.checkpoint(head: .mpw, in: root, seed: 1, file: "models/flat.safetensors")
            _ = try ServerFixture.checkpoint(head: .mpw, in: root, seed: 2, file: "models/versioned/1/model.safetensors")
            _ = try ServerFixture.checkpoint(head: .gapfc, in: root, seed: 3, file: "models/versioned/3/last.safetensors")
            // Not checkpoints of the repository: a hidden file, a half-written one, a stray file.
            try Data("partial".utf8).write(to: root.file("models/.hidden.safetensors"))
            try Data("partial".utf8).write(to: root.file("models/flat.safetensors.partial"))
            try Data("notes".utf8).write(to: root.file("models/README"))
            return root.file("models/flat.safetensors")
        })
        let oracle = [try Self.logits(fixture.root.file("models/flat.safetensors")),
                      try Self.logits(fixture.root.file("models/versioned/1/model.safetensors")),
                      try Self.logits(fixture.root.file("models/versioned/3/last.safetensors"))]

        let index = try await fixture.request("POST", "/v2/repository/index")
        let entries = try JSONSerialization.jsonObject(with: index.body) as? [[String: String]]
        #expect(entries == [["name": "flat", "version": "1", "state": "READY"], ["name": "versioned", "version": "1", "state": "READY"],
                            ["name": "versioned", "version": "3", "state": "READY"]], "\(index.text)")
        let metadata = try await fixture.get("/v2/models/versioned")
        #expect(metadata.json["versions"] as? [String] == ["1", "3"], "\(metadata.text)")

        let routes = [("/v2/models/flat/infer", 0, "1"), ("/v2/models/versioned/infer", 2, "3"),
                      ("/v2/models/versioned/versions/1/infer", 1, "1"), ("/v2/models/versioned/versions/3/infer", 2, "3")]
        for (path, model, version) in routes {
            let reply = try await fixture.postJSON(path, Self.inferBody)
            #expect(reply.status == 200 && Self.which(reply, of: oracle) == model, "\(path): \(reply.text.prefix(300))")
            #expect(reply.json["model_version"] as? String == version, "\(path)")
        }
        let config = try await fixture.get("/v2/models/versioned/versions/1/config")
        #expect(config.status == 200 && config.json["name"] as? String == "versioned", "\(config.text)")
        let statistics = try await fixture.get("/v2/models/versioned/versions/3/stats")
        let counted = (statistics.json["model_stats"] as? [[String: Any]])?.first
        #expect(counted?["version"] as? String == "3" && counted?["inference_count"] as? Int == 2, "\(statistics.text)")

        for (path, status, words) in [("/v2/models/versioned/versions/2/infer", 404, #"no version "2"; it has "1", "3""#),
                                      ("/v2/models/hidden/infer", 404, #"no model "hidden""#)] {
            let reply = try await fixture.postJSON(path, Self.inferBody)
            #expect(reply.status == status && (reply.json["error"] as? String)?.contains(words) == true, "\(path): \(reply.text)")
        }
        try await fixture.stop()
    }

    @Test func unloadTakesAModelOutOfServiceAndLoadBringsItBack() async throws {
        let fixture = try await ServerFixture(repository: { root in
            _ = try ServerFixture.checkpoint(head: .mpw, in: root, seed: 2, file: "models/kept.safetensors")
            return try ServerFixture.checkpoint(head: .mpw, in: root, seed: 1, file: "models/moved/2/model.safetensors")
        })
        let moved = try await fixture.server.repository.withModel("moved", version: nil) { $0 }
        let unload = try await fixture.request("POST", "/v2/repository/models/moved/unload")
        #expect(unload.status == 200, "\(unload.text)")
        let refused = try await fixture.postJSON("/v2/models/moved/infer", Self.inferBody)
        #expect(refused.status == 503 && refused.text.contains("unloaded"), "\(refused.text)")
        let index = try await fixture.request("POST", "/v2/repository/index", body: Data(#"{"ready": false}"#.utf8))
        let entries = try JSONSerialization.jsonObject(with: index.body) as? [[String: String]]
        #expect(entries?.contains(["name": "moved", "state": "UNAVAILABLE", "reason": "unloaded"]) == true, "\(index.text)")
        let readyOnly = try await fixture.request("POST", "/v2/repository/index", body: Data(#"{"ready": true}"#.utf8))
        #expect((try JSONSerialization.jsonObject(with: readyOnly.body) as? [[String: String]])?.map { $0["name"] } == ["kept"], "\(readyOnly.text)")
        // Unloaded means its batcher has stopped, not just that it is hidden.
        #expect(await Self.hasStopped(moved), "the unloaded model's batcher still runs")
        #expect(try await fixture.postJSON("/v2/models/kept/infer", Self.inferBody).status == 200)

        let load = try await fixture.request("POST", "/v2/repository/models/moved/load")
        #expect(load.status == 200, "\(load.text)")
        let answered = try await fixture.postJSON("/v2/models/moved/infer", Self.inferBody)
        let reloaded = try Self.logits(URL(fileURLWithPath: fixture.checkpointPath))
        #expect(answered.status == 200 && Self.which(answered, of: [reloaded]) == 0)
        #expect(answered.json["model_version"] as? String == "2")
        for (path, words) in [("/v2/repository/models/absent/load", #"no model "absent" in the repository"#),
                              ("/v2/repository/models/absent/unload", #"no model "absent""#)] {
            let reply = try await fixture.request("POST", path)
            #expect(reply.status == 404 && (reply.json["error"] as? String)?.contains(words) == true, "\(path): \(reply.text)")
        }
        try await fixture.stop()
    }

    /// Clients ask without pause while the checkpoint is replaced as a user would (written
    /// beside it, renamed into place): no request fails, each answer is the old model's or the
    /// new one's, a client never sees the old one after the new, the old one's thread stops,
    /// and the version's statistics count every request across the swap.
    @Test func replacingACheckpointOfAFolderSwapsTheModelWithoutAFailedRequest() async throws {
        try await Self.swapUnderLoad(folder: true)
    }

    /// The same for the one checkpoint of `mpw serve FILE`.
    @Test func replacingTheServedFileSwapsTheModelWithoutAFailedRequest() async throws {
        try await Self.swapUnderLoad(folder: false)
    }

    static func swapUnderLoad(folder: Bool) async throws {
        let configure: (inout ServerSettings) -> Void = { $0.repositoryPollMilliseconds = 100; $0.maxDelayMilliseconds = 1 }
        let fixture = folder
            ? try await ServerFixture(repository: { try ServerFixture.checkpoint(head: .mpw, in: $0, seed: 1, file: "models/swapped.safetensors") },
                                      configure: configure)
            : try await ServerFixture(configure: configure)
        let name = folder ? "swapped" : "mpw"
        let target = URL(fileURLWithPath: fixture.checkpointPath)
        let staged = try ServerFixture.checkpoint(head: .mpw, in: fixture.root, seed: 9, file: "staging/next.safetensors")
        let oracle = [try Self.logits(target), try Self.logits(staged)]
        let old = try await fixture.server.repository.withModel(name, version: nil) { $0 }

        let swapped = ManagedFlag(), stop = ManagedFlag()
        let clients = (0..<6).map { _ in
            Task { () -> [(status: Int, model: Int?)] in
                var seen: [(status: Int, model: Int?)] = []
                while !stop.isSet {
                    let reply = try await fixture.postJSON("/v2/models/\(name)/infer", Self.inferBody)
                    seen.append((reply.status, Self.which(reply, of: oracle)))
                    if seen.last?.model == 1 { swapped.set() }
                }
                return seen
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        // Copied next to the target (the same file system), then renamed over it.
        let beside = target.deletingLastPathComponent().appendingPathComponent(".next.safetensors")
        try FileManager.default.copyItem(at: staged, to: beside)
        #expect(rename(beside.path, target.path) == 0)
        let sawNew = await Self.eventually(30) { swapped.isSet }
        try await Task.sleep(for: .milliseconds(300))
        stop.set()
        var answers: [[(status: Int, model: Int?)]] = []
        for client in clients { answers.append(try await client.value) }

        #expect(sawNew, "no answer from the new checkpoint within 30 s")
        let all = answers.flatMap { $0 }
        #expect(all.allSatisfy { $0.status == 200 }, "statuses \(Set(all.map(\.status)))")
        #expect(all.allSatisfy { $0.model != nil }, "an answer from neither checkpoint")
        #expect(all.contains { $0.model == 0 }, "no answer from the old checkpoint")
        for client in answers {
            let firstNew = client.firstIndex { $0.model == 1 } ?? client.count
            #expect(client[firstNew...].allSatisfy { $0.model == 1 }, "a client saw the old model after the new one")
        }
        #expect(await Self.hasStopped(old), "the replaced model's batcher still runs")
        let statistics = try await fixture.get("/v2/models/\(name)/stats")
        let counted = (statistics.json["model_stats"] as? [[String: Any]])?.first?["inference_count"] as? Int
        #expect(counted == all.count, "\(statistics.text)")
        try await fixture.stop()
    }

    /// A replacement that does not load (a truncated file) leaves the model serving in place
    /// and the index says why.
    @Test func aCheckpointThatDoesNotLoadLeavesTheServingOneInPlace() async throws {
        let fixture = try await ServerFixture(repository: { try ServerFixture.checkpoint(head: .mpw, in: $0, seed: 1, file: "models/kept.safetensors") },
                                              configure: { $0.repositoryPollMilliseconds = 100 })
        let target = URL(fileURLWithPath: fixture.checkpointPath)
        let expected = try Self.logits(target)
        let beside = fixture.root.file("models/.broken")
        try Data(try Data(contentsOf: target).prefix(1000)).write(to: beside)
        #expect(rename(beside.path, target.path) == 0)
        let explained = await Self.eventually(10) {
            let index = try? await fixture.request("POST", "/v2/repository/index")
            return index?.text.contains("kept.safetensors") ?? false
        }
        #expect(explained)
        let reply = try await fixture.postJSON("/v2/models/kept/infer", Self.inferBody)
        #expect(reply.status == 200 && Self.which(reply, of: [expected]) == 0, "\(reply.text.prefix(300))")
        try await fixture.stop()
    }
}

/// A flag set once, read by other tasks.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func set() {
        lock.lock()
        value = true
        lock.unlock()
    }
}
