/// What `mpw serve` is told on its command line: where to listen, how to batch and the limits
/// that keep one client from taking the server down.
public struct ServerSettings: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); the bound port is passed to `onListening`.
    public var port = 8080
    /// The model's name in the Open Inference Protocol's routes (/v2/models/NAME) when one
    /// checkpoint file is served; a repository's models are named by their files and folders.
    public var modelName = "mpw"
    /// How often the checkpoint files are looked at for replacements, new and removed models;
    /// 0 never looks (the models loaded at start stay until unloaded).
    public var repositoryPollMilliseconds = 1000
    /// Images run together at most.
    public var maxBatch = 32
    /// How long the first queued request waits for others to join its batch.
    public var maxDelayMilliseconds = 5
    /// Images waiting (not yet in a running batch) beyond which requests are refused with 503.
    public var queueLimit = 256
    /// Images one request may carry (a KServe tensor's N); more get 413 before any tensor memory is
    /// allocated. nil: `maxBatch`, so one request never needs more than one batch.
    public var maxRequestImages: Int?
    /// Request bodies larger than this are refused with 413 before they are read in full.
    public var maxBodyBytes = 16 << 20
    /// Images wider or taller than this are refused from their header, before decoding.
    public var maxImageSide = 4096
    /// A request not answered within this time gets 504 (its work is dropped if not yet started).
    public var timeoutMilliseconds = 30_000
    /// Connections open at once; more wait in the listen backlog until one closes.
    public var maxConnections = 1024
    /// Time from a request's first byte to the end of its header before the connection is closed.
    public var headerTimeoutMilliseconds = 10_000
    /// Time from a request's header to the end of its body before the connection is closed.
    public var bodyTimeoutMilliseconds = 60_000
    /// Time a connection may stay open with no request in progress (a new one that sends
    /// nothing, a kept-alive one between requests).
    public var idleTimeoutMilliseconds = 30_000
    /// On SIGTERM: how long the server keeps answering, not ready and with `Connection: close`
    /// on every response, before it stops accepting and finishes what is in flight.
    public var drainSeconds = 5.0
    /// Classes answered by /v1/predict unless the request asks for `?topk=`.
    public var topK = 5
    /// A file served at GET /demo-image, which the page loads and uploads when opened as
    /// `/?demo=/demo-image` (the browser test); nil serves no such route.
    public var demoImage: String?
    /// One log line per request at info (off for load tests, where the lines would cost more
    /// than the requests).
    public var logRequests = true

    public init() {}

    /// The per-request image cap in force.
    public var requestImageLimit: Int { maxRequestImages ?? maxBatch }
}
