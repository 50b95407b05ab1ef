/// What the loader does to every sample and batch: per-sample `steps` on UInt8 pixels, then
/// per-channel `normalization` into the Float32 batch, then, optionally, `cutMix` across the
/// batch. Deterministic: all randomness comes from generators derived from (seed, epoch, sample
/// or batch index); see `BatchLoader`.
public struct Transform: Sendable, Equatable {
    public var steps: [TransformStep]
    public var normalization: Normalization
    public var cutMix: CutMix?

    public init(steps: [TransformStep] = [], normalization: Normalization, cutMix: CutMix? = nil) {
        self.steps = steps
        self.normalization = normalization
        self.cutMix = cutMix
    }

    /// The (C, H, W) of the transform's output for a dataset's images. Throws `.invalidRequest`
    /// when a step does not fit the images or when images of varying size (image folders) are not
    /// brought to one size, which batching needs.
    public func outputShape(channels: Int, height: Int?, width: Int?) throws -> (channels: Int, height: Int, width: Int) {
        var size = (channels: channels, height: height, width: width)
        for step in steps {
            size = try step.outputSize(channels: size.channels, height: size.height, width: size.width)
        }
        guard let outputHeight = size.height, let outputWidth = size.width else {
            throw DatasetError(.invalidRequest, path: "transform",
                               "images vary in size; end the steps with a crop (randomResizedCrop or centerCrop) so batches have one size")
        }
        guard normalization.fits(channels: size.channels) else {
            throw DatasetError(.invalidRequest, path: "transform",
                               "normalisation has \(normalization.mean.count) channels, the images have \(size.channels)")
        }
        return (size.channels, outputHeight, outputWidth)
    }

    public func outputShape(for dataset: any Dataset) throws -> (channels: Int, height: Int, width: Int) {
        try outputShape(channels: dataset.channels, height: dataset.height, width: dataset.width)
    }
}
