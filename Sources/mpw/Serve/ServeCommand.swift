import ArgumentParser
import Foundation
import Serving
import Training

/// `mpw serve`: a trained checkpoint, or a folder of them, behind HTTP, for clients of the Open Inference Protocol
/// (KServe v2), for images posted directly, and for a person with a browser.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a checkpoint, or a folder of them, over HTTP: KServe v2 inference, image prediction and explanation, metrics, a page.",
        discussion: """
        Routes: GET / (the page), POST /v1/predict and /v1/explain (a JPEG or PNG body, or multipart/form-data), \
        the Open Inference Protocol's GET /v2, /v2/health/live, /v2/health/ready, /v2/models/NAME[/versions/V] and \
        POST /v2/models/NAME[/versions/V]/infer (FP32 [N, C, H, W]), Triton's repository, configuration and statistics routes, \
        and GET /metrics (Prometheus). A folder is served as Triton's model repository: DIR/NAME.safetensors, or \
        DIR/NAME/VERSION/model.safetensors (the newest version by default); a checkpoint renamed into place replaces the \
        one serving without failing a request. Requests arriving within \
        --max-delay-ms of each other run as one batch of up to --max-batch images. SIGTERM or SIGINT turns readiness 503, \
        answers for --drain-seconds with Connection: close, then stops accepting, answers the requests in flight and exits 0. See docs/serving.md.
        """
    )

    @Argument(help: "A checkpoint written by mpw train (last.safetensors or best.safetensors), or a folder of them (a model repository).")
    var checkpoint: String

    @Option(help: "Address to listen on (0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port, printed at start).")
    var port = 8080

    @Option(help: "The model's name in the KServe v2 routes (/v2/models/NAME) when serving a checkpoint file (default: mpw).")
    var modelName: String?

    @Option(help: "How often the checkpoints are looked at for replacements, new and removed models, in milliseconds (0: never).")
    var repositoryPollMs = 1000

    @Option(help: "Images run together at most.")
    var maxBatch = 32

    @Option(help: "How long the first waiting request waits for others to join its batch, in milliseconds.")
    var maxDelayMs = 5

    @Option(help: "Images waiting beyond which requests are refused with 503.")
    var queueLimit = 256

    @Option(help: "Images one request may carry (413 above; default: --max-batch).")
    var maxRequestImages: Int?

    @Option(help: "Largest request body, in bytes (413 above).")
    var maxBodyBytes = 16 << 20

    @Option(help: "Largest image width or height, in pixels (413 above).")
    var maxImageSide = 4096

    @Option(help: "Time to answer a request, in milliseconds (504 after).")
    var timeoutMs = 30_000

    @Option(help: "Connections open at once; more wait in the listen backlog.")
    var maxConnections = 1024

    @Option(help: "Time from a request's first byte to the end of its header, in milliseconds (the connection is closed after).")
    var headerTimeoutMs = 10_000

    @Option(help: "Time from a request's header to the end of its body, in milliseconds (the connection is closed after).")
    var bodyTimeoutMs = 60_000

    @Option(help: "Time a connection may stay open with no request in progress, in milliseconds.")
    var idleTimeoutMs = 30_000

    @Option(help: "On SIGTERM, seconds of answering (not ready, Connection: close) before the listener closes.")
    var drainSeconds = 5.0

    @Option(help: "Classes answered by /v1/predict unless the request asks ?topk=N.")
    var topk = 5

    @Option(help: .hidden)
    var demoImage: String?

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        try requireCounts(("--max-batch", maxBatch), ("--max-request-images", maxRequestImages), ("--queue-limit", queueLimit), ("--max-body-bytes", maxBodyBytes),
                          ("--max-image-side", maxImageSide), ("--timeout-ms", timeoutMs), ("--topk", topk),
                          ("--max-connections", maxConnections), ("--header-timeout-ms", headerTimeoutMs), ("--body-timeout-ms", bodyTimeoutMs),
                          ("--idle-timeout-ms", idleTimeoutMs))
        guard repositoryPollMs >= 0 else { throw ValidationError("--repository-poll-ms must be at least 0, got \(repositoryPollMs)") }
        guard drainSeconds >= 0 && drainSeconds.isFinite else { throw ValidationError("--drain-seconds must be at least 0, got \(drainSeconds)") }
        guard maxDelayMs >= 0 else { throw ValidationError("--max-delay-ms must be at least 0, got \(maxDelayMs)") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535, got \(port)") }
        if let modelName, modelName.isEmpty || modelName.contains("/") {
            throw ValidationError("--model-name must be a non-empty name without '/', got \"\(modelName)\"")
        }
    }

    var settings: ServerSettings {
        var settings = ServerSettings()
        settings.host = host
        settings.port = port
        settings.modelName = modelName ?? settings.modelName
        settings.repositoryPollMilliseconds = repositoryPollMs
        settings.maxBatch = maxBatch
        settings.maxDelayMilliseconds = maxDelayMs
        settings.queueLimit = queueLimit
        settings.maxRequestImages = maxRequestImages
        settings.maxBodyBytes = maxBodyBytes
        settings.maxImageSide = maxImageSide
        settings.timeoutMilliseconds = timeoutMs
        settings.topK = topk
        settings.maxConnections = maxConnections
        settings.headerTimeoutMilliseconds = headerTimeoutMs
        settings.bodyTimeoutMilliseconds = bodyTimeoutMs
        settings.idleTimeoutMilliseconds = idleTimeoutMs
        settings.drainSeconds = drainSeconds
        settings.demoImage = demoImage
        return settings
    }

    func run() throws {
        compute.apply()
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: checkpoint, isDirectory: &isFolder)
        let server: ModelServer
        let serving: String
        if exists && isFolder.boolValue {
            if modelName != nil {
                throw ConfigurationError("--model-name names the model of a checkpoint file; the models of \(checkpoint) are named by their files and folders")
            }
            server = try ModelServer(layout: .directory(path: checkpoint), settings: settings)
            serving = "mpw serve: \(server.modelNames.map { "\"\($0)\"" }.joined(separator: ", ")) from \(checkpoint) on http://\(host):"
        } else {
            let model = try TrainedModel(checkpoint: try Checkpoint.read(URL(fileURLWithPath: checkpoint)))
            server = ModelServer(model: model, checkpointFile: checkpoint, settings: settings)
            let configuration = model.checkpoint.configuration
            serving = "mpw serve: \(configuration.model) + \(configuration.head.kind) as \"\(settings.modelName)\" on http://\(host):"
        }
        try server.runBlocking { port in
            FileHandle.standardOutput.write(Data("\(serving)\(port)/\n".utf8))
        }
    }
}
