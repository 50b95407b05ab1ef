import Training

/// The parts of Triton's HTTP extensions that describe the served model: its configuration
/// (`model_configuration`), the repository index and load/unload (`model_repository`, for the
/// one checkpoint this server serves), so that `tritonclient` calls answer instead of 404.
enum TritonModelRepository {
    struct TensorConfig: Encodable {
        let name: String
        let dataType = "TYPE_FP32"
        let format: String?
        let dims: [Int]

        enum CodingKeys: String, CodingKey { case name, dataType = "data_type", format, dims }
    }

    struct DynamicBatching: Encodable {
        let maxQueueDelayMicroseconds: Int

        enum CodingKeys: String, CodingKey { case maxQueueDelayMicroseconds = "max_queue_delay_microseconds" }
    }

    /// Triton's model configuration: with `max_batch_size` above 0 the dims leave out the batch.
    struct ModelConfig: Encodable {
        let name: String
        let platform = "mpw"
        let backend = "mpw"
        let maxBatchSize: Int
        let input: [TensorConfig]
        let output: [TensorConfig]
        let dynamicBatching: DynamicBatching

        enum CodingKeys: String, CodingKey {
            case name, platform, backend, maxBatchSize = "max_batch_size", input, output, dynamicBatching = "dynamic_batching"
        }
    }

    struct IndexEntry: Encodable {
        let name: String
        let version: String
        let state: String
    }

    static func config(name: String, model: TrainedModel, settings: ServerSettings) -> ModelConfig {
        let (channels, height, width) = model.inputShape
        return ModelConfig(
            name: name, maxBatchSize: settings.requestImageLimit,
            input: [TensorConfig(name: KServeProtocol.inputName, format: "FORMAT_NCHW", dims: [channels, height, width])],
            output: KServeProtocol.outputNames.map { TensorConfig(name: $0, format: nil, dims: [model.classNames.count]) },
            dynamicBatching: DynamicBatching(maxQueueDelayMicroseconds: settings.maxDelayMilliseconds * 1000))
    }

    /// The repository of one model: ready while the server is, unavailable once it drains.
    static func index(name: String, ready: Bool) -> [IndexEntry] {
        [IndexEntry(name: name, version: KServeProtocol.version, state: ready ? "READY" : "UNAVAILABLE")]
    }
}
