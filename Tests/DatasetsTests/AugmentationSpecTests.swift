@testable import Datasets
import Tensors
import Testing
import TestSupport

/// `mpw train --augment SPEC`: parsing, the per-dataset defaults, and the pixels each spec gives.
@Suite struct AugmentationSpecTests {
    @Test(arguments: [
        ("none", "none"), ("crop:4", "crop:4"), ("crop:0", "crop:0"), ("crop:4,flip", "crop:4,flip"), ("flip", "flip"),
        ("flip:0.3", "flip:0.3"), ("flip:0.5", "flip"), ("rrc:0.08,flip", "rrc:0.08,flip"), ("rrc:1", "rrc:1.0"),
        (" flip , crop:2 ", "crop:2,flip"), ("rrc:0.35,flip:1", "rrc:0.35,flip:1.0"),
    ])
    func specsParseToTheirCanonicalForm(_ text: String, _ canonical: String) throws {
        let spec = try AugmentationSpec(parsing: text)
        #expect(spec.description == canonical)
        #expect(try AugmentationSpec(parsing: canonical) == spec)
    }

    @Test func partsMeanWhatTheyName() throws {
        #expect(try AugmentationSpec(parsing: "crop:4,flip") == AugmentationSpec(crop: .random(padding: 4), flipProbability: 0.5))
        #expect(try AugmentationSpec(parsing: "rrc:0.25") == AugmentationSpec(crop: .randomResized(minimumScale: 0.25)))
        #expect(try AugmentationSpec(parsing: "flip:0.2") == AugmentationSpec(flipProbability: 0.2))
        #expect(try AugmentationSpec(parsing: "none") == .none)
    }

    /// Each bad spec fails with one line that quotes the part at fault.
    @Test(arguments: [
        ("", "empty"), ("  ", "empty"), ("crop", "'crop'"), ("crop:", "'crop:'"), ("crop:x", "'crop:x'"), ("crop:-1", "'crop:-1'"),
        ("crop:4.5", "'crop:4.5'"), ("crop:999", "'crop:999'"), ("rrc", "'rrc'"), ("rrc:0", "'rrc:0'"), ("rrc:1.5", "'rrc:1.5'"),
        ("rrc:nan", "'rrc:nan'"), ("flip:2", "'flip:2'"), ("flip:x", "'flip:x'"), ("flip:-0.1", "'flip:-0.1'"),
        ("crop:4,crop:2", "'crop:2'"), ("crop:4,rrc:0.5", "'rrc:0.5'"), ("flip,flip", "'flip'"), ("none,flip", "'none'"),
        ("crop:4,,flip", "empty part"), ("crop:4,flip,", "empty part"), ("blur:3", "'blur:3'"), ("crop:4,Flip", "'Flip'"),
    ])
    func badSpecsGiveOneLineNamingThePart(_ text: String, _ named: String) {
        do {
            let spec = try AugmentationSpec(parsing: text)
            Issue.record("'\(text)' was accepted as \(spec)")
        } catch {
            let message = String(describing: error)
            #expect(error is AugmentationSpecError)
            #expect(message.contains(named) && !message.contains("\n"), "\(text): \(message)")
        }
    }

    @Test func defaultsPerDataset() {
        let expected: [DatasetKind: String] = [.fashionMNIST: "crop:4,flip", .mnistIDX: "crop:4", .cifar10: "crop:4,flip",
                                               .cifar100: "crop:4,flip", .folder: "rrc:0.08,flip"]
        for (kind, spec) in expected { #expect(AugmentationSpec.standard(for: kind).description == spec, "\(kind)") }
        #expect(AugmentationSpec.defaultsSummary == "crop:4,flip (fashion-mnist, cifar10, cifar100), crop:4 (mnist-idx), rrc:0.08,flip (folder)")
        // `Transform.standard` trains with the dataset's default unless told otherwise.
        #expect(Transform.standard(for: .mnistIDX, training: true, channels: 1).steps == [.pad(2), .randomCrop(size: 32, padding: 4)])
        #expect(Transform.standard(for: .mnistIDX, training: true, channels: 1, augmentation: AugmentationSpec.none).steps == [.pad(2)])
    }

    /// Runs stored without a spec resume with exactly the transforms they were trained with.
    @Test func theLegacySpecBuildsTheTransformsOfOldRuns() {
        for kind in DatasetKind.allCases where kind != .folder {
            for adaptation in Transform.GreyscaleAdaptation.allCases {
                for channels in [1, 3] {
                    let transform = AugmentationSpec.legacy(for: kind).trainingTransform(for: kind, channels: channels, adaptation: adaptation)
                    #expect(transform == .cifarTraining(normalization: kind.normalization, channels: channels, adaptation: adaptation))
                }
            }
        }
        let folder = AugmentationSpec.legacy(for: .folder).trainingTransform(for: .folder, channels: 3, cutMix: CutMix())
        #expect(folder == .imageNetTraining(normalization: .imageNet, cutMix: CutMix()))
    }

    @Test func imageFolderSpecsEndAt224() throws {
        let specs: [(String, [TransformStep])] = [
            ("none", [.resizeShortSide(256), .centerCrop(224)]),
            ("crop:8,flip", [.resizeShortSide(256), .randomCrop(size: 224, padding: 8), .horizontalFlip(probability: 0.5)]),
            ("rrc:0.35", [.randomResizedCrop(size: 224, scale: 0.35...1, ratio: (3.0 / 4.0)...(4.0 / 3.0))]),
        ]
        for (text, steps) in specs {
            let transform = try AugmentationSpec(parsing: text).trainingTransform(for: .folder, channels: 3)
            #expect(transform.steps == steps, "\(text)")
            #expect(transform.normalization == .imageNet)
            #expect(try transform.outputShape(channels: 3, height: nil, width: nil) == (3, 224, 224), "\(text)")
        }
    }

    // MARK: Pixels

    /// The documented transform computed directly on image 4 of the fixtures: `channels`x`size`x`size`,
    /// zero-padded by `pad` (the grey adaptation), then the spec's crop to `side` and its flip, with
    /// the draws in the documented order from the loader's generator for sample 0.
    static func expected(_ spec: AugmentationSpec, channels: Int, size: Int, pad: Int, side: Int, seed: UInt64) -> [Float] {
        var generator = LoaderRandomness.generator(seed: seed, epoch: 1, stream: .sample, index: 0)
        let padded = size + 2 * pad
        func source(_ channel: Int, _ y: Int, _ x: Int) -> UInt8 {
            let row = y - pad, column = x - pad
            return row >= 0 && row < size && column >= 0 && column < size ? Fixtures.pixel(4, channel, row, column) : 0
        }
        var window: (Int, Int, Int) -> UInt8 = source
        switch spec.crop {
        case .random(let padding):
            let top = generator.nextInt(below: padded + 2 * padding - side + 1) - padding
            let left = generator.nextInt(below: padded + 2 * padding - side + 1) - padding
            window = { channel, y, x in
                let row = top + y, column = left + x
                return row >= 0 && row < padded && column >= 0 && column < padded ? source(channel, row, column) : 0
            }
        case .randomResized(let minimumScale):
            let box = CropGeometry.randomResizedCrop(height: padded, width: padded, scale: minimumScale...1,
                                                     ratio: (3.0 / 4.0)...(4.0 / 3.0), generator: &generator)
            var crop: [UInt8] = []
            for channel in 0..<channels {
                for y in 0..<box.height { for x in 0..<box.width { crop.append(source(channel, box.top + y, box.left + x)) } }
            }
            let output = ScratchBuffer<UInt8>(), rows = ScratchBuffer<UInt8>()
            let resized = crop.withUnsafeBufferPointer { buffer in
                let view = BilinearResize.resize(.planar(buffer.baseAddress!, channels: channels, height: box.height, width: box.width),
                                                 height: side, width: side, into: output, rows: rows)
                return (0..<channels).flatMap { c in (0..<side).flatMap { y in (0..<side).map { x in view[c, y, x] } } }
            }
            window = { channel, y, x in resized[(channel * side + y) * side + x] }
        case nil:
            break
        }
        let flip = spec.flipProbability.map { generator.nextUniformDouble() < $0 } ?? false
        var result: [Float] = []
        for channel in 0..<channels {
            for y in 0..<side {
                for x in 0..<side { result.append(Float(window(channel, y, flip ? side - 1 - x : x)) * (1 / Float(255))) }
            }
        }
        return result
    }

    /// Every spec on a colour 32x32 image and on a grey 28x28 one padded to 32 (or kept at 28):
    /// the loader's output equals the directly computed transform, for seeds that do and do not flip.
    @Test(arguments: ["none", "crop:4", "crop:2,flip", "crop:4,flip", "flip", "flip:1", "rrc:0.08,flip", "rrc:0.5"])
    func eachSpecGivesTheDocumentedPixels(_ text: String) throws {
        let spec = try AugmentationSpec(parsing: text)
        let cases: [(kind: DatasetKind, channels: Int, size: Int, adaptation: Transform.GreyscaleAdaptation, pad: Int, side: Int)] = [
            (.cifar10, 3, 32, .padTo32, 0, 32), (.mnistIDX, 1, 28, .padTo32, 2, 32), (.fashionMNIST, 1, 28, .none, 0, 28),
        ]
        for item in cases {
            let dataset = TransformTests.single(channels: item.channels, height: item.size, width: item.size)
            var transform = spec.trainingTransform(for: item.kind, channels: item.channels, adaptation: item.adaptation)
            #expect(transform.normalization == item.kind.normalization)
            transform.normalization = .unit
            var flips = 0
            for seed in UInt64(0)..<12 {
                let actual = try TransformTests.output(dataset, transform, seed: seed, epoch: 1)
                #expect(actual.shape == [1, item.channels, item.side, item.side])
                let expected = Self.expected(spec, channels: item.channels, size: item.size, pad: item.pad, side: item.side, seed: seed)
                #expect(actual.scalars == expected, "\(text) on \(item.kind), seed \(seed)")
                // The flip is the last draw, so the same seed without it gives the unflipped window.
                flips += expected == Self.expected(AugmentationSpec(crop: spec.crop), channels: item.channels, size: item.size,
                                                   pad: item.pad, side: item.side, seed: seed) ? 0 : 1
            }
            switch spec.flipProbability {
            case 1: #expect(flips == 12, "\(text) on \(item.kind)")
            case .some: #expect(flips > 0 && flips < 12, "\(text) on \(item.kind): \(flips) of 12 flipped")
            case nil: #expect(flips == 0)
            }
        }
    }
}
