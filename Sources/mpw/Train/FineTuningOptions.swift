import ArgumentParser
import Training

/// `mpw train`'s fine-tuning flags: the starting weights and the recipe.
struct FineTuningOptions: ParsableArguments {
    @Option(name: .customLong("init"),
            help: "Start from these weights: a torch.save file (.pth, zip or legacy), a safetensors state dict or an mpw checkpoint. The head is kept when it fits, replaced when its classes differ, and seeded from a GAP-FC head's rows for --head mpw.")
    var initPath: String?

    @Flag(help: "With --init: train the head only; the backbone's weights and BatchNorm statistics stay as loaded.")
    var freezeBackbone = false

    @Option(parsing: .unconditional, help: "With --init: the backbone's learning rate as a multiple of the head's (default 1).")
    var backboneLrScale: Float?

    @Option(parsing: .unconditional, help: "With --init from a GAP-FC head into --head mpw: noise added to each seeded proxy, relative to its FC row's RMS (default \(FineTuningSettings.defaultProxyNoise)).")
    var proxyNoise: Float?

    /// Flags that a resumed run must not be given (it keeps its own).
    var flagsGiven: [(String, Bool)] {
        [("--init", initPath != nil), ("--freeze-backbone", freezeBackbone), ("--backbone-lr-scale", backboneLrScale != nil),
         ("--proxy-noise", proxyNoise != nil)]
    }

    func validate() throws {
        if initPath == nil, let flag = flagsGiven.dropFirst().first(where: \.1) {
            throw ValidationError("\(flag.0) needs --init PATH: it sets how pretrained weights are fine-tuned")
        }
        if let backboneLrScale, !(backboneLrScale > 0) || !backboneLrScale.isFinite {
            throw ValidationError("--backbone-lr-scale must be positive, got \(backboneLrScale) (use --freeze-backbone to keep the backbone fixed)")
        }
        if freezeBackbone && backboneLrScale != nil {
            throw ValidationError("--backbone-lr-scale cannot be combined with --freeze-backbone: a frozen backbone is not trained")
        }
        if let proxyNoise, !(proxyNoise >= 0) || !proxyNoise.isFinite {
            throw ValidationError("--proxy-noise must not be negative, got \(proxyNoise)")
        }
    }

    var settings: FineTuningSettings? {
        initPath.map {
            FineTuningSettings(initPath: $0, freezeBackbone: freezeBackbone, backboneLearningRateScale: backboneLrScale ?? 1,
                               proxyNoise: proxyNoise ?? FineTuningSettings.defaultProxyNoise)
        }
    }
}
