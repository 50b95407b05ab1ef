import Tensors

/// The loader's random generators, each derived from the run's seed, the epoch and an index by a
/// SplitMix64 hash, rather than drawn from one shared stream. So an epoch's order is a pure function
/// of (seed, epoch), a resumed run reproduces it exactly, and a sample's augmentation does not
/// depend on which worker thread handled it or in what order.
enum LoaderRandomness {
    enum Stream: UInt64 {
        /// The epoch's sample order.
        case shuffle = 0x5348_5546
        /// One sample's augmentation; index = the sample's dataset index.
        case sample = 0x5341_4D50
        /// Batch-level augmentation (CutMix); index = the batch's position in the epoch.
        case batch = 0x4241_5443
    }

    static func generator(seed: UInt64, epoch: Int, stream: Stream, index: Int = 0) -> RandomGenerator {
        var state = mix(seed)
        state = mix(state ^ UInt64(bitPattern: Int64(epoch)))
        state = mix(state ^ stream.rawValue)
        state = mix(state ^ UInt64(bitPattern: Int64(index)))
        return RandomGenerator(seed: state)
    }

    /// The SplitMix64 output function: a bijective mix in which every input bit affects every
    /// output bit.
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
