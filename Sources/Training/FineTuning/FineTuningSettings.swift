/// How a run starts from existing weights (`mpw train --init`). Stored in config.json and the
/// checkpoints, so a resumed run needs none of the flags again (it restores its own weights).
public struct FineTuningSettings: Codable, Sendable, Equatable {
    /// The weights the run started from: a safetensors state dict, an mpw checkpoint, or a
    /// torch.save file.
    public var initPath: String
    /// Train the head only; the backbone's weights and BatchNorm statistics stay as loaded.
    public var freezeBackbone: Bool
    /// The backbone's learning rate as a multiple of the head's (1: one rate for all).
    public var backboneLearningRateScale: Float
    /// Standard deviation of the noise added to proxies seeded from a GAP-FC row, relative to
    /// the row's root mean square.
    public var proxyNoise: Float

    public static let defaultProxyNoise: Float = 0.05

    public init(initPath: String, freezeBackbone: Bool = false, backboneLearningRateScale: Float = 1,
                proxyNoise: Float = FineTuningSettings.defaultProxyNoise) {
        self.initPath = initPath
        self.freezeBackbone = freezeBackbone
        self.backboneLearningRateScale = backboneLearningRateScale
        self.proxyNoise = proxyNoise
    }
}
