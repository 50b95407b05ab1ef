/// What `mpw serve` is told on its command line: where to listen, how to batch and the limits
/// that keep one client from taking the server down.
public struct ServerSettings: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); the bound port is passed to `onListening`.
    public var port = 8080
    /// The model's name in the Open Inference Protocol's routes (/v2/models/NAME).
    public var modelName = "mpw"
    /// Images run together at most.
    public var maxBatch = 32
    /// How long the first queued request waits for others to join its batch.
    public var maxDelayMilliseconds = 5
    /// Images waiting (not yet in a running batch) beyond which requests are refused with 503.
    public var queueLimit = 256
    /// Request bodies larger than this are refused with 413 before they are read in full.
    public var maxBodyBytes = 16 << 20
    /// Images wider or taller than this are refused from their header, before decoding.
    public var maxImageSide = 4096
    /// A request not answered within this time gets 504 (its work is dropped if not yet started).
    public var timeoutMilliseconds = 30_000
    /// Classes answered by /v1/predict unless the request asks for `?topk=`.
    public var topK = 5
    /// A file served at GET /demo-image, which the page loads and uploads when opened as
    /// `/?demo=/demo-image` (the browser test); nil serves no such route.
    public var demoImage: String?
    /// One log line per request at info (off for load tests, where the lines would cost more
    /// than the requests).
    public var logRequests = true

    public init() {}
}
