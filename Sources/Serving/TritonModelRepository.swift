import Training

/// The bodies of Triton's HTTP extensions that describe the served models: a model's
/// configuration (`model_configuration`) and the repository index (`model_repository`), so that
/// `tritonclient` calls answer instead of 404. `ModelRepository` holds what they describe.
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

    /// A model version in the index; a model with no version served has no version, and says why.
    struct IndexEntry: Encodable {
        let name: String
        let version: String?
        let state: String
        let reason: String?
    }

    static func config(name: String, model: TrainedModel, settings: ServerSettings) -> ModelConfig {
        let (channels, height, width) = model.inputShape
        return ModelConfig(
            name: name, maxBatchSize: settings.requestImageLimit,
            input: [TensorConfig(name: KServeProtocol.inputName, format: "FORMAT_NCHW", dims: [channels, height, width])],
            output: KServeProtocol.outputNames.map { TensorConfig(name: $0, format: nil, dims: [model.classNames.count]) },
            dynamicBatching: DynamicBatching(maxQueueDelayMicroseconds: settings.maxDelayMilliseconds * 1000))
    }
}
