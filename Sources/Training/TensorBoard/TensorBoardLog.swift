import Datasets
import Foundation
import Interchange
import Models
import Tensors

/// What `mpw train` shows in TensorBoard, in the run directory's event file.
///
/// The step of every event is the number of training batches seen since the run began
/// (epoch × batches per epoch + batches of the epoch in progress; global batches under mpirun),
/// so it is the same on any number of ranks and a resumed run continues it: the events after
/// the checkpoint's step are dropped from the file first, since the run redoes those steps.
///
/// - every `--log-every` steps and at the end of each epoch: `train/loss` and `train/accuracy`,
///   the running means over the epoch so far (what the progress line shows);
/// - each epoch, at its last step: every figure of the epoch's metrics.jsonl line as
///   `epoch/<key>` (train and test loss, accuracy, top-1, top-5, learning rate, images per
///   second, mean Sinkhorn iterations, seconds), and for a multi-proxy head the matching-flow
///   sheet of the first test images as the image `matching_flow`;
/// - at step 0 of a new run: the configuration (config.json) as the text `config`.
public final class TensorBoardLog {
    public let file: EventFile
    let batchesPerEpoch: Int
    let logEvery: Int
    let sheetInput: (images: Tensor, pixels: [DecodedImage])?
    let classNames: [String]
    let title: String

    public static let sheetImages = 4

    init(directory: RunDirectory, setup: RunSetup, model: ImageClassifier, batchesPerEpoch: Int, state: TrainingState, logEvery: Int) throws {
        self.batchesPerEpoch = batchesPerEpoch
        self.logEvery = max(1, logEvery)
        classNames = setup.train.classNames
        let configuration = setup.configuration
        title = "\(configuration.model) + \(configuration.head.kind): matching flow per proxy"
        file = try EventFile(directory: directory.url, keepingStepsThrough: Int64(state.epoch * batchesPerEpoch + state.batch))
        if model.multiProxyHead != nil {
            let (channels, height, width) = try setup.testTransform.outputShape(for: setup.test)
            sheetInput = try TrainedModel.batch(setup.test.prefix(Self.sheetImages), transform: setup.testTransform,
                                                inputShape: (channels, height, width))
        } else {
            sheetInput = nil
        }
        if file.isNew {
            try file.write([.text("config", "```json\n\(configuration.json())\n```")], step: 0)
        }
    }

    func globalStep(epoch: Int, batch: Int) -> Int64 { Int64(epoch * batchesPerEpoch + batch) }

    /// After a training step: the running means, every `logEvery` steps and at the epoch's end.
    func step(epoch: Int, batchesDone: Int, loss: Double, accuracy: Double) throws {
        guard batchesDone % logEvery == 0 || batchesDone == batchesPerEpoch else { return }
        try file.write([.scalar("train/loss", loss), .scalar("train/accuracy", accuracy)],
                       step: globalStep(epoch: epoch, batch: batchesDone))
    }

    /// The matching-flow sheet's label of its image `index`: "#0", "#1", ... (the bitmap font draws '#').
    static func sheetLabel(_ index: Int) -> String { "#\(index)" }

    /// After an epoch: its metrics.jsonl figures, and the matching-flow sheet of the MPW head.
    func epoch(_ record: EpochRecord, model: ImageClassifier) throws {
        let step = globalStep(epoch: record.epoch, batch: 0)
        var values = Self.figures(of: record).map { Tensorboard_Summary.Value.scalar("epoch/\($0.key)", $0.value) }
        if let sheetInput {
            let wasTraining = model.isTraining
            model.eval()
            let sheet = FlowSheet.render(model, input: sheetInput.images, pixels: sheetInput.pixels,
                                         labels: sheetInput.pixels.indices.map(Self.sheetLabel), classNames: classNames, title: title)
            if wasTraining { model.train() }
            let png = try PNGCodec.encode(sheet.pixels, width: sheet.width, height: sheet.height, channels: sheet.channels)
            values.append(.image("matching_flow", png: png, width: sheet.width, height: sheet.height, channels: sheet.channels))
        }
        try file.write(values, step: step)
    }

    /// The numbers of a metrics.jsonl line by key, without the epoch number itself.
    static func figures(of record: EpochRecord) -> [(key: String, value: Double)] {
        guard let data = try? JSONEncoder().encode(record),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        return object.compactMap { key, value in
            guard key != "epoch", let number = value as? NSNumber else { return nil }
            return (key, number.doubleValue)
        }.sorted { $0.key < $1.key }
    }
}
