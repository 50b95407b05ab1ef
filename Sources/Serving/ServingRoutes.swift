import Foundation
import Hummingbird
import HTTPTypes
import Datasets
import Kernels
import Tensors
import Training

/// The routes of `mpw serve`: the Open Inference Protocol's (KServe v2) health, metadata and
/// inference, the image routes /v1/predict and /v1/explain, the metrics and the page.
struct ServingRoutes: Sendable {
    let repository: ModelRepository
    let metrics: ServerMetrics
    let settings: ServerSettings
    let readiness: Readiness

    func add(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in
            let page = try await repository.withModel(nil, version: nil) { served in ServingPage.html(model: "\(served.name): \(served.summary)") }
            return JSONResponse.body(Data(page.utf8), status: .ok, contentType: "text/html; charset=utf-8")
        }
        router.get("/metrics") { _, _ in
            JSONResponse.body(Data(metrics.exposition().utf8), status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        if let demoImage = settings.demoImage {
            router.get("/demo-image") { _, _ in
                guard let data = FileManager.default.contents(atPath: demoImage) else { throw ServingError.notFound("\(demoImage): cannot read the demo image") }
                return JSONResponse.body(data, status: .ok, contentType: demoImage.lowercased().hasSuffix(".png") ? "image/png" : "image/jpeg")
            }
        }

        router.get("/v2") { _, _ in
            try JSONResponse.encode(KServeProtocol.ServerMetadata(name: "mpw", version: MPWVersion.string, extensions: KServeProtocol.extensions))
        }
        router.get("/v2/health/live") { _, _ in try JSONResponse.encode(["live": true]) }
        router.post("/v2/repository/index") { request, _ in
            let readyOnly = try await indexReadyOnly(request)
            return try JSONResponse.encode(repository.index(serverReady: readiness.isReady, readyOnly: readyOnly))
        }
        router.post("/v2/repository/models/:name/load") { _, context in
            let name = context.parameters.get("name") ?? ""
            try await Self.offThePool { try repository.load(name) }
            return try JSONResponse.encode([String: String]())
        }
        router.post("/v2/repository/models/:name/unload") { _, context in
            try repository.unload(context.parameters.get("name") ?? "")
            return try JSONResponse.encode([String: String]())
        }
        router.get("/v2/models/stats") { _, _ in try statistics(nil, version: nil) }
        router.get("/v2/health/ready") { _, _ in try ready() }
        for prefix in ["/v2/models/:name", "/v2/models/:name/versions/:version"] {
            router.get(RouterPath(prefix)) { _, context in
                let name = context.parameters.get("name") ?? ""
                let versions = repository.versions(of: name)
                return try await repository.withModel(name, version: context.parameters.get("version")) { served in
                    try JSONResponse.encode(KServeProtocol.metadata(name: served.name, versions: versions, model: served.model))
                }
            }
            router.get(RouterPath(prefix + "/config")) { _, context in
                try await repository.withModel(context.parameters.get("name") ?? "", version: context.parameters.get("version")) { served in
                    try JSONResponse.encode(TritonModelRepository.config(name: served.name, model: served.model, settings: settings))
                }
            }
            router.get(RouterPath(prefix + "/stats")) { _, context in
                try statistics(context.parameters.get("name") ?? "", version: context.parameters.get("version"))
            }
            router.get(RouterPath(prefix + "/ready")) { _, context in
                try await repository.withModel(context.parameters.get("name") ?? "", version: context.parameters.get("version")) { _ in try ready() }
            }
            router.post(RouterPath(prefix + "/infer")) { request, context in
                try await infer(request, name: context.parameters.get("name") ?? "", version: context.parameters.get("version"))
            }
        }

        router.post("/v1/predict") { request, _ in try await predict(request) }
        router.post("/v1/explain") { request, _ in try await explain(request) }
    }

    /// Runs blocking work (reading and loading checkpoints) on a thread of its own, not on Swift's
    /// cooperative pool, whose few threads answer every request.
    private static func offThePool(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Triton's index request may ask for the ready models only: `{"ready": true}`.
    private func indexReadyOnly(_ request: Request) async throws -> Bool {
        let bytes = try await body(request)
        guard !bytes.isEmpty else { return false }
        guard let parsed = try? JSONReader.parse(bytes, tensorKeys: []), case .object = parsed else {
            throw ServingError.badRequest("the repository index request must be a JSON object, such as {\"ready\": true}")
        }
        return parsed["ready"]?.bool ?? false
    }

    private func statistics(_ name: String?, version: String?) throws -> Response {
        try JSONResponse.encode(["model_stats": try repository.statisticsSnapshot(name, version: version)])
    }

    private func ready() throws -> Response {
        guard readiness.isReady else { throw ServingError(.serviceUnavailable, "the server is shutting down") }
        return try JSONResponse.encode(["ready": true])
    }

    /// The whole body, refused with 413 from its declared length before any of it is read, or
    /// as soon as more than --max-body-bytes arrive.
    private func body(_ request: Request) async throws -> [UInt8] {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > settings.maxBodyBytes {
            throw ServingError(.contentTooLarge, "the request body of \(declared) bytes exceeds \(settings.maxBodyBytes) bytes (--max-body-bytes)")
        }
        do {
            let buffer = try await request.body.collect(upTo: settings.maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw ServingError(.contentTooLarge, "the request body exceeds \(settings.maxBodyBytes) bytes (--max-body-bytes)")
        }
    }

    private var timeout: Duration { .milliseconds(settings.timeoutMilliseconds) }

    private func infer(_ request: Request, name: String, version: String?) async throws -> Response {
        let headerLength = try request.headers[HTTPField.Name(KServeProtocol.headerLengthField)!].map { text in
            guard let length = Int(text) else { throw ServingError.badRequest("\(KServeProtocol.headerLengthField): \(text) is not a byte count") }
            return length
        }
        let body = try await body(request)
        let inference = try await repository.infer(name, version: version, timeout: timeout) { inputShape in
            try KServeProtocol.decode(body, headerLength: headerLength, inputShape: inputShape, maxImages: settings.requestImageLimit)
        }
        let (answer, binary) = KServeProtocol.response(inference)
        guard !binary.isEmpty else { return try JSONResponse.encode(answer) }
        let json = try JSONResponse.encoder().encode(answer)
        var response = JSONResponse.body(json + Data(binary), status: .ok, contentType: "application/octet-stream")
        response.headers[HTTPField.Name(KServeProtocol.headerLengthField)!] = "\(json.count)"
        return response
    }

    private func image(_ request: Request) async throws -> DecodedImage {
        try ImageUpload.decode(try await body(request), contentType: request.headers[.contentType], maxSide: settings.maxImageSide)
    }

    private func topK(_ request: Request, classes: Int) throws -> Int {
        guard let text = request.uri.queryParameters.get("topk") else { return min(settings.topK, classes) }
        guard let value = Int(text), value >= 1 else { throw ServingError.badRequest("topk=\(text): give a whole number of at least 1") }
        return min(value, classes)
    }

    /// The image routes' model: `?model=NAME` (and `&version=V`), else the first model by name.
    private func chosenModel<T>(_ request: Request, _ body: (ServedModel) async throws -> T) async throws -> T {
        let parameters = request.uri.queryParameters
        return try await repository.withModel(parameters.get("model"), version: parameters.get("version"), body)
    }

    private func predict(_ request: Request) async throws -> Response {
        let decoded = try await image(request)
        return try await chosenModel(request) { served in
            let top = try topK(request, classes: served.model.classNames.count)
            guard case .logits(let logits) = try await served.batcher.submit(.images([decoded]), timeout: timeout) else {
                throw ServingError(.internalServerError, "the model answered a prediction with an explanation")
            }
            let ranked = served.model.rankedClasses(logits: .init(logits, shape: [1, served.model.classNames.count]), top: top)[0]
            return try JSONResponse.encode(PredictAnswer(predictions: ranked), snakeCase: true)
        }
    }

    private func explain(_ request: Request) async throws -> Response {
        try await chosenModel(request) { served in
            let trained = served.model
            guard trained.multiProxyHead != nil else {
                throw ServingError.badRequest("the \(trained.checkpoint.configuration.head.kind) head has no matching flow; /v1/explain needs an mpw (or multifc-cosine) checkpoint")
            }
            let top = try topK(request, classes: trained.classNames.count)
            let classIndex = try request.uri.queryParameters.get("class").map { try Self.classIndex($0, names: trained.classNames) }
            let decoded = try await image(request)
            guard case .explanation(let explanation, let logits, let pixels) = try await served.batcher.submit(.explain(decoded, classIndex: classIndex), timeout: timeout) else {
                throw ServingError(.internalServerError, "the model answered an explanation with logits")
            }
            return try JSONResponse.encode(try ExplainAnswer(explanation: explanation, logits: logits, pixels: pixels, model: trained, top: top), snakeCase: true)
        }
    }

    /// A class given by index or by name (case-insensitive), as `mpw explain --class`.
    static func classIndex(_ text: String, names: [String]) throws -> Int {
        if let index = Int(text), names.indices.contains(index) { return index }
        if let index = names.firstIndex(where: { $0.caseInsensitiveCompare(text) == .orderedSame }) { return index }
        throw ServingError.badRequest("class=\(text): not a class index (0 to \(names.count - 1)) or name")
    }
}

/// The body of POST /v1/predict: the most probable classes, most probable first.
struct PredictAnswer: Encodable {
    let predictions: [RankedClass]
}
