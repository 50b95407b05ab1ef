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
    let model: ModelBox
    let batcher: InferenceBatcher
    let metrics: ServerMetrics
    let settings: ServerSettings
    let readiness: Readiness

    func add(to router: Router<BasicRequestContext>) {
        let configuration = model.value.checkpoint.configuration
        let page = Data(ServingPage.html(model: "\(configuration.model) + \(configuration.head.kind), \(configuration.dataset)").utf8)
        router.get("/") { _, _ in JSONResponse.body(page, status: .ok, contentType: "text/html; charset=utf-8") }
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
        router.post("/v2/repository/index") { _, _ in
            try JSONResponse.encode(TritonModelRepository.index(name: settings.modelName, ready: readiness.isReady))
        }
        router.post("/v2/repository/models/:name/load") { _, context in
            try checkModel(context)
            return try JSONResponse.encode([String: String]())
        }
        router.post("/v2/repository/models/:name/unload") { _, context -> Response in
            try checkModel(context)
            throw ServingError.badRequest("mpw serve serves one checkpoint and cannot unload it; stop the server instead")
        }
        router.get("/v2/models/stats") { _, _ in try statistics() }
        router.get("/v2/health/ready") { _, _ in try ready() }
        for prefix in ["/v2/models/:name", "/v2/models/:name/versions/:version"] {
            router.get(RouterPath(prefix)) { _, context in
                try checkModel(context)
                return try JSONResponse.encode(KServeProtocol.metadata(name: settings.modelName, model: model.value))
            }
            router.get(RouterPath(prefix + "/config")) { _, context in
                try checkModel(context)
                return try JSONResponse.encode(TritonModelRepository.config(name: settings.modelName, model: model.value, settings: settings))
            }
            router.get(RouterPath(prefix + "/stats")) { _, context in
                try checkModel(context)
                return try statistics()
            }
            router.get(RouterPath(prefix + "/ready")) { _, context in
                try checkModel(context)
                return try ready()
            }
            router.post(RouterPath(prefix + "/infer")) { request, context in
                try checkModel(context)
                return try await infer(request)
            }
        }

        router.post("/v1/predict") { request, _ in try await predict(request) }
        router.post("/v1/explain") { request, _ in try await explain(request) }
    }

    private func statistics() throws -> Response {
        try JSONResponse.encode(["model_stats": [metrics.statistics.snapshot(name: settings.modelName, version: KServeProtocol.version)]])
    }

    private func ready() throws -> Response {
        guard readiness.isReady else { throw ServingError(.serviceUnavailable, "the server is shutting down") }
        return try JSONResponse.encode(["ready": true])
    }

    /// 404 unless the route names this model (and its one version).
    private func checkModel(_ context: BasicRequestContext) throws {
        let name = context.parameters.get("name") ?? ""
        guard name == settings.modelName else { throw ServingError.notFound("no model \"\(name)\"; this server serves \"\(settings.modelName)\"") }
        if let version = context.parameters.get("version"), version != KServeProtocol.version {
            throw ServingError.notFound("model \"\(name)\" has no version \"\(version)\"; it has version \"\(KServeProtocol.version)\"")
        }
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

    private func infer(_ request: Request) async throws -> Response {
        let headerLength = try request.headers[HTTPField.Name(KServeProtocol.headerLengthField)!].map { text in
            guard let length = Int(text) else { throw ServingError.badRequest("\(KServeProtocol.headerLengthField): \(text) is not a byte count") }
            return length
        }
        let inference = try KServeProtocol.decode(try await body(request), headerLength: headerLength, inputShape: model.value.inputShape,
                                                  maxImages: settings.requestImageLimit)
        guard case .logits(let logits) = try await batcher.submit(.tensor(inference.values, count: inference.count), timeout: timeout) else {
            throw ServingError(.internalServerError, "the model answered an inference with an explanation")
        }
        let (answer, binary) = KServeProtocol.response(modelName: settings.modelName, request: inference, logits: logits, model: model.value)
        guard !binary.isEmpty else { return try JSONResponse.encode(answer) }
        let json = try JSONResponse.encoder().encode(answer)
        var response = JSONResponse.body(json + Data(binary), status: .ok, contentType: "application/octet-stream")
        response.headers[HTTPField.Name(KServeProtocol.headerLengthField)!] = "\(json.count)"
        return response
    }

    private func image(_ request: Request) async throws -> DecodedImage {
        try ImageUpload.decode(try await body(request), contentType: request.headers[.contentType], maxSide: settings.maxImageSide)
    }

    private func topK(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("topk") else { return min(settings.topK, model.value.classNames.count) }
        guard let value = Int(text), value >= 1 else { throw ServingError.badRequest("topk=\(text): give a whole number of at least 1") }
        return min(value, model.value.classNames.count)
    }

    private func predict(_ request: Request) async throws -> Response {
        let top = try topK(request)
        let decoded = try await image(request)
        guard case .logits(let logits) = try await batcher.submit(.images([decoded]), timeout: timeout) else {
            throw ServingError(.internalServerError, "the model answered a prediction with an explanation")
        }
        let classes = model.value.classNames.count
        let ranked = model.value.rankedClasses(logits: .init(logits, shape: [1, classes]), top: top)[0]
        return try JSONResponse.encode(PredictAnswer(predictions: ranked), snakeCase: true)
    }

    private func explain(_ request: Request) async throws -> Response {
        let trained = model.value
        guard trained.multiProxyHead != nil else {
            throw ServingError.badRequest("the \(trained.checkpoint.configuration.head.kind) head has no matching flow; /v1/explain needs an mpw (or multifc-cosine) checkpoint")
        }
        let top = try topK(request)
        let classIndex = try request.uri.queryParameters.get("class").map { try Self.classIndex($0, names: trained.classNames) }
        let decoded = try await image(request)
        guard case .explanation(let explanation, let logits, let pixels) = try await batcher.submit(.explain(decoded, classIndex: classIndex), timeout: timeout) else {
            throw ServingError(.internalServerError, "the model answered an explanation with logits")
        }
        return try JSONResponse.encode(try ExplainAnswer(explanation: explanation, logits: logits, pixels: pixels, model: trained, top: top), snakeCase: true)
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
