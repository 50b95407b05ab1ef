import ArgumentParser
import Datasets
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Kernels
import Serving
import Tensors
import Training

/// `mpw bench serve`: `mpw serve` under load on loopback against `mpw predict` offline, with
/// the same model, image and threads.
struct ServeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Load-test mpw serve on loopback: requests/s, p50/p99 latency and errors against mpw predict offline.",
        discussion: """
        Measures mpw predict's loop offline first (decode and classify, --batch images at a time) for --seconds, \
        then starts the server in this process on a free loopback port and runs --clients clients for --seconds, \
        each posting the image and waiting for the answer before the next: to /v1/predict (--protocol image), \
        or preprocessed as a KServe v2 FP32 tensor to /v2/models/mpw/infer, as JSON (--protocol json) or as \
        Triton's binary tensor data (--protocol binary). Stops by itself. With --url, the clients load the server \
        already listening there instead (another KServe v2 server, for comparison: \
        Benchmarks/reference/serving/kserve_peer.py), at /v2/models/--model-name/infer.
        """
    )

    @Argument(help: "A checkpoint written by mpw train.")
    var checkpoint: String

    @Option(help: "A JPEG or PNG to post (default: random pixels of the model's input size, as a PNG).")
    var image: String?

    /// How the clients send the image.
    enum Transport: String, ExpressibleByArgument, CaseIterable {
        case image, json, binary
    }

    @Option(help: "How clients send the image: image (/v1/predict), json or binary (a KServe v2 tensor).")
    var `protocol` = Transport.image

    @Option(help: "Load the server already listening at this address (http://HOST:PORT) instead of starting one.")
    var url: String?

    @Option(help: "The model's name in the KServe v2 route (/v2/models/NAME/infer).")
    var modelName = "mpw"

    @Option(help: "Concurrent clients.")
    var clients = 32

    @Option(help: "Seconds of load (and of the offline measurement).")
    var seconds = 10

    @Option(help: "The server's --max-batch.")
    var maxBatch = 32

    @Option(help: "The server's --max-delay-ms.")
    var maxDelayMs = 5

    @Option(help: "Images per batch of the offline measurement (mpw predict's --batch).")
    var batch = 64

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try requireCounts(("--clients", clients), ("--seconds", seconds), ("--max-batch", maxBatch), ("--batch", batch))
        if let url, URL(string: url)?.host == nil || !url.hasPrefix("http://") {
            throw ValidationError("--url must be an address such as http://127.0.0.1:8081, got \"\(url)\"")
        }
        guard maxDelayMs >= 0 else { throw ValidationError("--max-delay-ms must be at least 0, got \(maxDelayMs)") }
    }

    func run() throws {
        compute.apply()
        let contents = try Checkpoint.read(URL(fileURLWithPath: checkpoint))
        let model = try TrainedModel(checkpoint: contents)
        let bytes = try imageBytes(model: model)
        let offline = try Self.offlineImagesPerSecond(bytes, model: model, batch: batch, seconds: Double(seconds))

        let load: LoadRun
        if let url {
            load = try LoadRun.run(base: URL(string: url)!, post: try post(bytes, model: model), clients: clients, seconds: Double(seconds))
        } else {
            var settings = ServerSettings()
            settings.port = 0
            settings.maxBatch = maxBatch
            settings.maxDelayMilliseconds = maxDelayMs
            settings.queueLimit = max(settings.queueLimit, 2 * clients)
            settings.logRequests = false
            // The measurement ends with a shutdown; no load balancer needs the drain.
            settings.drainSeconds = 0
            settings.modelName = modelName
            let server = ModelServer(model: try TrainedModel(checkpoint: contents), checkpointFile: checkpoint, settings: settings)
            load = try LoadRun.run(server: server, post: try post(bytes, model: model), clients: clients, seconds: Double(seconds))
        }

        var report = Report()
        report.add("model", "model", "\(contents.configuration.model) + \(contents.configuration.head.kind), \(contents.configuration.dataset)")
        report.add("threads", "threads", Threads.count)
        report.add("protocol", "protocol", `protocol`.rawValue)
        report.add("clients", "clients", clients)
        report.add("server", "server", url ?? "mpw serve, in process")
        if url == nil { report.add("max_batch", "max batch / delay ms", "\(maxBatch) / \(maxDelayMs)") }
        report.add("requests", "requests answered", load.latencies.count)
        report.add("errors", "errors", load.errors)
        report.add("requests_per_second", "requests/s (served)", load.requestsPerSecond, decimals: 1)
        report.add("p50_ms", "p50 latency ms", load.percentile(0.5) * 1e3, decimals: 2)
        report.add("p99_ms", "p99 latency ms", load.percentile(0.99) * 1e3, decimals: 2)
        if url == nil { report.add("mean_batch", "mean batch (images)", load.meanBatch, decimals: 2) }
        report.add("offline_images_per_second", "images/s (mpw predict offline)", offline, decimals: 1)
        report.add("served_over_offline", "served / offline", load.requestsPerSecond / offline, decimals: 3)
        report.print(json: output.json)
        if load.errors > 0 { throw ExitCode(1) }
    }

    /// The request of `--protocol`: the image itself, or the tensor `mpw predict` would make of
    /// it, for the probabilities.
    private func post(_ bytes: [UInt8], model: TrainedModel) throws -> LoadRun.Post {
        let image = try ImageDecoder.decode(bytes, path: self.image ?? "image")
        let (channels, height, width) = model.inputShape
        let values = try model.batch([image]).images.scalars
        let shape = "[1,\(channels),\(height),\(width)]"
        let path = "/v2/models/\(modelName)/infer"
        switch `protocol` {
        case .image:
            return LoadRun.Post(path: "/v1/predict", body: bytes, headers: ["Content-Type": bytes.starts(with: [0x89, 0x50]) ? "image/png" : "image/jpeg"])
        case .json:
            let data = values.map { "\($0)" }.joined(separator: ",")
            let body = #"{"inputs":[{"name":"input","shape":\#(shape),"datatype":"FP32","data":[\#(data)]}],"outputs":[{"name":"probabilities"}]}"#
            return LoadRun.Post(path: path, body: Array(body.utf8), headers: ["Content-Type": "application/json"])
        case .binary:
            let header = Array(#"{"inputs":[{"name":"input","shape":\#(shape),"datatype":"FP32","parameters":{"binary_data_size":\#(values.count * 4)}}],"outputs":[{"name":"probabilities","parameters":{"binary_data":true}}]}"#.utf8)
            var body = header
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
            return LoadRun.Post(path: path, body: body, headers: ["Content-Type": "application/octet-stream", "Inference-Header-Content-Length": "\(header.count)"])
        }
    }

    private func imageBytes(model: TrainedModel) throws -> [UInt8] {
        if let image {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: image)))
        }
        let (_, height, width) = model.inputShape
        var generator = RandomGenerator(seed: 1)
        return try PNGCodec.encode((0..<(height * width * 3)).map { _ in UInt8(generator.nextInt(below: 256)) }, width: width, height: height, channels: 3)
    }

    /// `mpw predict`'s loop on copies of one image (decode, then classify `batch` at a time),
    /// repeated for `seconds`: images per second.
    static func offlineImagesPerSecond(_ bytes: [UInt8], model: TrainedModel, batch: Int, seconds: Double) throws -> Double {
        func round() throws {
            let images = try (0..<batch).map { _ in try ImageDecoder.decode(bytes, path: "image") }
            _ = try model.classify(images, top: 5)
        }
        try round()
        var images = 0
        let start = Timing.now()
        while Timing.now() - start < seconds {
            try round()
            images += batch
        }
        return Double(images) / (Timing.now() - start)
    }
}
