import Foundation
import Models
import MultiProxy
import NN
import Testing
import Tensors
@testable import Training

/// `BatchMemoryCheck`: the probe measures a step's memory without changing the model, and a
/// batch beyond the machine's memory is refused with `--batch` and the largest that fits.
@Suite struct BatchMemoryCheckTests {
    static func resnet8() throws -> ImageClassifier {
        var generator = RandomGenerator(seed: 3)
        return ImageClassifier(backbone: CIFARResNet(depth: 8, inputChannels: 1, generator: &generator),
                               head: HeadConfiguration(kind: .mpw).makeHead(channels: 64, height: 8, width: 8, classes: 10, generator: &generator),
                               headPrefix: "head")
    }

    @Test func theProbeLeavesTheModelAsItWas() throws {
        let model = try Self.resnet8()
        let before = model.stateDict().map { $0.value.contiguous().scalars.map(\.bitPattern) }
        let estimate = BatchMemoryCheck.estimate(model: model, channels: 1, side: 32, freezeBackbone: false)
        // At least the input image and the stem's 16 x 32 x 32 activation and its gradient per image.
        #expect(estimate.bytesPerImage >= 4 * (32 * 32 + 2 * 16 * 32 * 32))
        #expect(model.stateDict().map { $0.value.contiguous().scalars.map(\.bitPattern) } == before)
        #expect(model.trainableParameters.allSatisfy { $0.gradient == nil })
    }

    @Test func aBatchBeyondMemoryIsRefusedWithTheLargestThatFits() throws {
        let estimate = BatchMemoryCheck.Estimate(bytesPerImage: 1 << 20, fixedBytes: 100 << 20)
        let available = 10 << 30  // 10 GiB, 8 GiB of it usable: (8192 - 100) MiB / 1 MiB = 8092 images
        try BatchMemoryCheck.require(images: 8092, flag: 8092, estimate: estimate, available: available)
        let refused = #expect(throws: ConfigurationError.self) {
            try BatchMemoryCheck.require(images: 8093, flag: 8093, estimate: estimate, available: available)
        }
        #expect(refused?.description == "--batch 8093: a training step of 8093 images needs about 8.0 GiB (1.0 MiB per image), more than the 8.0 GiB this machine can give it; the largest batch that fits is 8092")
        // A batch beyond the training set runs as one step of the whole set; the flag is named as given.
        let whole = #expect(throws: ConfigurationError.self) {
            try BatchMemoryCheck.require(images: 60_000, flag: 100_000_000, estimate: estimate, available: available)
        }
        #expect(whole?.description.hasPrefix("--batch 100000000: a training step of 60000 images needs about 58.7 GiB") == true)
        // Per process under data parallelism: the largest batch is the global one.
        let parallel = #expect(throws: ConfigurationError.self) {
            try BatchMemoryCheck.require(images: 10000, flag: 20000, estimate: estimate, available: available, ranks: 2)
        }
        #expect(parallel?.description == "--batch 20000: a training step of 10000 images per process needs about 9.9 GiB (1.0 MiB per image), more than the 8.0 GiB this machine can give it; the largest batch that fits is 16184")
    }
}
