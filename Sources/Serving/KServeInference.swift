import Training

/// An answered inference of the Open Inference Protocol: what was asked, of which model version,
/// and the logits it computed, from which each transport writes its response.
struct KServeAnswer {
    let modelName: String
    let modelVersion: String
    let request: KServeProtocol.InferRequest
    let logits: [Float]
    let model: TrainedModel
}

extension ModelRepository {
    /// The one inference path of the Open Inference Protocol, for its REST route and its gRPC
    /// service alike: finds the model version, decodes the request against its input shape
    /// (`decode` is the transport's parser), and runs it in the version's batches.
    func infer(_ name: String, version: String?, timeout: Duration,
               decode: (_ inputShape: (channels: Int, height: Int, width: Int)) throws -> KServeProtocol.InferRequest) async throws -> KServeAnswer {
        try await withModel(name, version: version) { served in
            let request = try decode(served.model.inputShape)
            guard case .logits(let logits) = try await served.batcher.submit(.tensor(request.values, count: request.count), timeout: timeout) else {
                throw ServingError(.internalServerError, "the model answered an inference with an explanation")
            }
            return KServeAnswer(modelName: served.name, modelVersion: served.version, request: request, logits: logits, model: served.model)
        }
    }
}
