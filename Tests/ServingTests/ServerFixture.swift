import Datasets
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Models
import MultiProxy
import Serving
import Tensors
import TestSupport
import Training

/// A running `mpw serve` in the test process, on a free loopback port, with an untrained
/// CIFAR-sized checkpoint, and an HTTP client for it.
final class ServerFixture: @unchecked Sendable {
    let root: TemporaryDirectory
    let model: TrainedModel
    let checkpointPath: String
    let server: ModelServer
    let port: Int
    private let running: Task<Void, any Error>

    /// A resnet20 checkpoint with 10 CIFAR-10 classes and `head`, its weights drawn from `seed`,
    /// written to `file` under `root` (default: HEAD.safetensors).
    static func checkpoint(head kind: HeadConfiguration.Kind, in root: TemporaryDirectory, seed: UInt64 = 4, file: String? = nil) throws -> URL {
        let head = HeadSettings(HeadConfiguration(kind: kind, wasserstein: WassersteinMatching()))
        let configuration = TrainingConfiguration(
            dataset: "cifar10", dataDirectory: nil, limitTrain: nil, limitTest: nil, greyscaleAdaptation: "pad-to-32", cutMix: false,
            workers: 0, model: "resnet20", head: head, epochs: 1, batchSize: 8, learningRate: 0.1, momentum: 0.9, weightDecay: 0,
            nesterov: false, decayNormalizationAndBias: true, labelSmoothing: 0, schedule: ScheduleSpecification(shape: .cosine, warmupEpochs: 0),
            seed: 1, threads: 2)
        var generator = RandomGenerator(seed: seed)
        let model = try ModelZoo.classifier("resnet20", head: try head.configuration(), classes: 10, generator: &generator)
        let path = root.file(file ?? "\(kind.rawValue).safetensors")
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Checkpoint.write(to: path, model: model, optimizer: nil, configuration: configuration, state: .start, classNames: CIFAR10.classNames)
        return path
    }

    /// Random images: a 32x32 PNG, a 50x40 JPEG and a grey 20x30 PNG, plus `extra` more 32x32 PNGs.
    static func writeImages(in root: TemporaryDirectory, extra: Int = 0) throws -> [String] {
        var generator = RandomGenerator(seed: 8)
        func pixels(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(generator.nextInt(below: 256)) } }
        var files = [
            ("a.png", try PNGCodec.encode(pixels(32 * 32 * 3), width: 32, height: 32, channels: 3)),
            ("b.jpg", try JPEGCodec.encode(pixels(50 * 40 * 3), width: 50, height: 40, channels: 3, quality: 90)),
            ("c.png", try PNGCodec.encode(pixels(20 * 30), width: 20, height: 30, channels: 1)),
        ]
        for index in 0..<extra {
            files.append(("extra\(index).png", try PNGCodec.encode(pixels(32 * 32 * 3), width: 32, height: 32, channels: 3)))
        }
        try FileManager.default.createDirectory(at: root.file("images"), withIntermediateDirectories: true)
        return try files.map { name, bytes in
            try Data(bytes).write(to: root.file("images/\(name)"))
            return root.file("images/\(name)").path
        }
    }

    /// A server of one checkpoint file, as `mpw serve FILE`.
    convenience init(head: HeadConfiguration.Kind = .mpw, configure: (inout ServerSettings) -> Void = { _ in }) async throws {
        let root = try TemporaryDirectory()
        let path = try Self.checkpoint(head: head, in: root)
        let settings = Self.settings(configure)
        let server = ModelServer(model: try TrainedModel(checkpoint: try Checkpoint.read(path)), checkpointFile: path.path, settings: settings, logger: Self.logger)
        try await self.init(root: root, model: try TrainedModel(checkpoint: try Checkpoint.read(path)), checkpointPath: path.path, server: server)
    }

    /// A server of the folder `root/models`, as `mpw serve DIR`, after `populate` wrote its
    /// checkpoints; `model` is the one at the path `populate` returns.
    convenience init(repository populate: (TemporaryDirectory) throws -> URL, configure: (inout ServerSettings) -> Void = { _ in }) async throws {
        let root = try TemporaryDirectory()
        let primary = try populate(root)
        let server = try ModelServer(layout: .directory(path: root.file("models").path), settings: Self.settings(configure), logger: Self.logger)
        try await self.init(root: root, model: try TrainedModel(checkpoint: try Checkpoint.read(primary)), checkpointPath: primary.path, server: server)
    }

    private static func settings(_ configure: (inout ServerSettings) -> Void) -> ServerSettings {
        var settings = ServerSettings()
        settings.host = "127.0.0.1"
        settings.port = 0
        // No drain unless a test asks for one: every test stops its server.
        settings.drainSeconds = 0
        configure(&settings)
        return settings
    }

    private static var logger: Logger {
        var logger = Logger(label: "mpw.serve.test")
        logger.logLevel = .warning
        return logger
    }

    private init(root: TemporaryDirectory, model: TrainedModel, checkpointPath: String, server: ModelServer) async throws {
        self.root = root
        self.model = model
        self.checkpointPath = checkpointPath
        self.server = server
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let running = Task { try await server.run(handleSignals: false) { portSink.yield($0) } }
        self.running = running
        let timeout = Task {
            try await Task.sleep(for: .seconds(60))
            portSink.finish()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            running.cancel()
            throw ServerFixtureError("the server did not start listening within 60 s")
        }
        timeout.cancel()
        self.port = port
    }

    /// Shuts the server down gracefully and waits for it to return.
    func stop() async throws {
        await server.shutDown()
        try await running.value
    }

    /// The outcome of `run` after `stop` or a failure.
    var finished: Task<Void, any Error> { running }

    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.timeoutIntervalForRequest = 120
        return URLSession(configuration: configuration)
    }()

    struct Reply {
        let status: Int
        let body: Data
        let contentType: String?

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func request(_ method: String, _ path: String, body: Data? = nil, contentType: String? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        return Reply(status: http.statusCode, body: data, contentType: http.value(forHTTPHeaderField: "Content-Type"))
    }

    func get(_ path: String) async throws -> Reply { try await request("GET", path) }

    func post(_ path: String, file: String) async throws -> Reply {
        try await request("POST", path, body: try Data(contentsOf: URL(fileURLWithPath: file)),
                          contentType: file.hasSuffix(".png") ? "image/png" : "image/jpeg")
    }

    func postJSON(_ path: String, _ object: Any) async throws -> Reply {
        try await request("POST", path, body: try JSONSerialization.data(withJSONObject: object), contentType: "application/json")
    }

    /// The value of an unlabelled sample (or `name{labels}`) in the Prometheus text at /metrics.
    func metric(_ sample: String) async throws -> Double? {
        let text = try await get("/metrics").text
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.split(separator: " ").last!)
        }
        return nil
    }
}

struct ServerFixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
