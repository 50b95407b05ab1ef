/// The training transforms an augmentation spec stands for.
extension AugmentationSpec {
    /// The side of the square images ImageNet-style networks take, and the short side that image
    /// folders are resized to before a `crop:P` or `none` (torchvision's `Resize(256)`).
    static let folderInputSide = 224, folderResizeSide = 256

    /// The training transform for a dataset's images: the grey adaptation (`adaptation`, 1-channel
    /// images only), then this spec's crop and flip, normalisation with the dataset's statistics,
    /// and `cutMix` if given.
    ///
    /// For image folders, whose images vary in size, every spec ends at 224x224: `rrc:S` resizes
    /// its box to it; `crop:P` and `none` first resize the short side to 256, then cut a random
    /// (`crop:P`) or the central (`none`, the evaluation transform's) 224x224 window.
    public func trainingTransform(for kind: DatasetKind, channels: Int, cutMix: CutMix? = nil,
                                  adaptation: Transform.GreyscaleAdaptation = .padTo32) -> Transform {
        var steps: [TransformStep]
        let side: Int
        if kind == .folder {
            side = Self.folderInputSide
            switch crop {
            case .randomResized: steps = []
            case .random(let padding): steps = [.resizeShortSide(Self.folderResizeSide), .randomCrop(size: side, padding: padding)]
            case nil: steps = [.resizeShortSide(Self.folderResizeSide), .centerCrop(side)]
            }
        } else {
            side = adaptation == .none && channels == 1 ? 28 : 32
            steps = adaptation.steps(channels: channels)
            if case .random(let padding) = crop { steps.append(.randomCrop(size: side, padding: padding)) }
        }
        if case .randomResized(let minimumScale) = crop {
            steps.append(.randomResizedCrop(size: side, scale: minimumScale...1, ratio: (3.0 / 4.0)...(4.0 / 3.0)))
        }
        if let flipProbability { steps.append(.horizontalFlip(probability: flipProbability)) }
        return Transform(steps: steps, normalization: kind.normalization, cutMix: cutMix)
    }
}
