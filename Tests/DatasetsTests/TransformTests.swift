@testable import Datasets
import Tensors
import Testing
import TestSupport

@Suite struct TransformTests {
    /// A one-image dataset of `channels`×`height`×`width` fixture pixels.
    static func single(channels: Int = 3, height: Int = 32, width: Int = 32, image: Int = 4) -> InMemoryDataset {
        InMemoryDataset(pixels: Fixtures.planarImages(image..<(image + 1), channels: channels, height: height, width: width),
                        labels: [0], classNames: ["only"], channels: channels, height: height, width: width)
    }

    /// Runs `transform` on sample 0 of `dataset` with the loader's generator for (seed, epoch).
    static func output(_ dataset: any Dataset, _ transform: Transform, seed: UInt64 = 3, epoch: Int = 0) throws -> Tensor {
        let loader = try BatchLoader(dataset: dataset, batchSize: 1, shuffle: false, dropLast: false, transform: transform,
                                     seed: seed, epoch: epoch, workers: 0)
        return try #require(try loader.next()).images
    }

    @Test func seededRandomCropAndFlipCutTheExpectedWindow() throws {
        let dataset = Self.single()
        let transform = Transform.cifarTraining(normalization: .unit)
        var flips = 0
        var offsets = Set<[Int]>()
        for seed in UInt64(0)..<40 {
            var generator = LoaderRandomness.generator(seed: seed, epoch: 2, stream: .sample, index: 0)
            let top = generator.nextInt(below: 9) - 4
            let left = generator.nextInt(below: 9) - 4
            let flip = generator.nextUniformDouble() < 0.5
            var expected: [Float] = []
            for channel in 0..<3 {
                for row in 0..<32 {
                    for column in 0..<32 {
                        let y = top + row, x = left + (flip ? 31 - column : column)
                        let inside = y >= 0 && y < 32 && x >= 0 && x < 32
                        expected.append(inside ? Float(Fixtures.pixel(4, channel, y, x)) * (1 / Float(255)) : 0)
                    }
                }
            }
            let actual = try Self.output(dataset, transform, seed: seed, epoch: 2)
            #expect(actual.shape == [1, 3, 32, 32])
            #expect(actual.scalars == expected, "seed \(seed): top \(top), left \(left), flip \(flip)")
            flips += flip ? 1 : 0
            offsets.insert([top, left])
        }
        #expect(flips > 5 && flips < 35)
        #expect(offsets.count > 20)
    }

    @Test func normalisationIsPerChannel() throws {
        let normalization = Normalization(mean: [0.1, 0.5, 0.9], standardDeviation: [0.2, 0.25, 0.5])
        let output = try Self.output(Self.single(height: 4, width: 5), Transform(normalization: normalization)).scalars
        for channel in 0..<3 {
            for row in 0..<4 {
                for column in 0..<5 {
                    let pixel = Float(Fixtures.pixel(4, channel, row, column)) / 255
                    let expected = (pixel - normalization.mean[channel]) / normalization.standardDeviation[channel]
                    #expect(abs(output[(channel * 4 + row) * 5 + column] - expected) < 1e-5)
                }
            }
        }
    }

    @Test func greyscaleAdaptationsPadTo32AndRepeatTheChannel() throws {
        let dataset = Self.single(channels: 1, height: 28, width: 28)
        let padded = try Self.output(dataset, .cifarEvaluation(normalization: .unit, channels: 1, adaptation: .padTo32))
        #expect(padded.shape == [1, 1, 32, 32])
        let rgb = try Self.output(dataset, .cifarEvaluation(normalization: .fashionMNIST, channels: 1, adaptation: .padTo32RGB))
        #expect(rgb.shape == [1, 3, 32, 32])
        let values = padded.scalars, colour = rgb.scalars
        for row in 0..<32 {
            for column in 0..<32 {
                let inside = (2..<30).contains(row) && (2..<30).contains(column)
                let expected = inside ? Float(Fixtures.pixel(4, 0, row - 2, column - 2)) / 255 : 0
                #expect(abs(values[row * 32 + column] - expected) < 1e-6)
                let normalised = (expected - 0.2860) / 0.3530
                for channel in 0..<3 { #expect(abs(colour[(channel * 32 + row) * 32 + column] - normalised) < 1e-5) }
            }
        }
        let native = try Self.output(dataset, .cifarTraining(normalization: .unit, channels: 1, adaptation: .none))
        #expect(native.shape == [1, 1, 28, 28])
        let training = try Transform.cifarTraining(normalization: .unit, channels: 1, adaptation: .padTo32RGB).outputShape(for: dataset)
        #expect(training == (3, 32, 32))
    }

    @Test func centerCropAndShortSideResizeFollowTorchvision() {
        #expect(CropGeometry.shortSideResize(height: 375, width: 500, shortSide: 256) == (256, 341))
        #expect(CropGeometry.shortSideResize(height: 500, width: 375, shortSide: 256) == (341, 256))
        #expect(CropGeometry.shortSideResize(height: 256, width: 256, shortSide: 256) == (256, 256))
        // (341 - 224) / 2 = 58.5 rounds half to even.
        #expect(CropGeometry.centerCrop(height: 256, width: 341, size: 224) == .init(top: 16, left: 58, height: 224, width: 224))
        #expect(CropGeometry.centerCrop(height: 256, width: 343, size: 224) == .init(top: 16, left: 60, height: 224, width: 224))
        // Smaller than the crop: torchvision pads (size - length) // 2 before.
        #expect(CropGeometry.centerCrop(height: 5, width: 7, size: 8) == .init(top: -1, left: 0, height: 8, width: 8))
    }

    @Test func centerCropPadsSmallImagesWithZeros() throws {
        let output = try Self.output(Self.single(channels: 3, height: 5, width: 7), Transform(steps: [.centerCrop(8)], normalization: .unit))
        #expect(output.shape == [1, 3, 8, 8])
        let values = output.scalars
        for row in 0..<8 {
            for column in 0..<8 {
                let y = row - 1, x = column
                let expected = y >= 0 && y < 5 && x < 7 ? Float(Fixtures.pixel(4, 2, y, x)) / 255 : 0
                #expect(abs(values[(2 * 8 + row) * 8 + column] - expected) < 1e-6)
            }
        }
    }

    @Test func randomResizedCropBoxesRespectScaleAndRatio() {
        for seed in UInt64(0)..<300 {
            var generator = RandomGenerator(seed: seed)
            let box = CropGeometry.randomResizedCrop(height: 300, width: 400, scale: 0.08...1, ratio: 0.75...(4.0 / 3.0), generator: &generator)
            #expect(box.top >= 0 && box.left >= 0 && box.top + box.height <= 300 && box.left + box.width <= 400)
            let fraction = Double(box.height * box.width) / 120_000
            #expect(fraction > 0.07 && fraction <= 1)
            let ratio = Double(box.width) / Double(box.height)
            #expect(ratio > 0.7 && ratio < 1.4)
        }
    }

    @Test func randomResizedCropFallsBackToTheCentralBox() {
        var generator = RandomGenerator(seed: 1)
        // A 1x100 strip: no box of at least 8% of the area with a ratio of at most 4/3 fits, so all
        // ten attempts fail and the fallback takes the full height and a width of round(4/3) = 1.
        let wide = CropGeometry.randomResizedCrop(height: 1, width: 100, scale: 0.08...1, ratio: 0.75...(4.0 / 3.0), generator: &generator)
        #expect(wide == .init(top: 0, left: 49, height: 1, width: 1))
        let tall = CropGeometry.randomResizedCrop(height: 90, width: 2, scale: 0.5...1, ratio: 0.75...(4.0 / 3.0), generator: &generator)
        #expect(tall == .init(top: 43, left: 0, height: 3, width: 2))
        // A square image with scale 1...1 and ratio 1...1 is kept whole.
        let whole = CropGeometry.randomResizedCrop(height: 10, width: 10, scale: 1...1, ratio: 1...1, generator: &generator)
        #expect(whole == .init(top: 0, left: 0, height: 10, width: 10))
    }

    /// Reference values from Pillow 13 (`Image.resize(size, Image.BILINEAR)`).
    @Test func bilinearResizeMatchesPIL() {
        func resize(_ row: [UInt8], to width: Int) -> [UInt8] {
            let output = ScratchBuffer<UInt8>(), rows = ScratchBuffer<UInt8>()
            return row.withUnsafeBufferPointer { buffer in
                let view = BilinearResize.resize(.planar(buffer.baseAddress!, channels: 1, height: 1, width: row.count),
                                                 height: 1, width: width, into: output, rows: rows)
                return (0..<width).map { view[0, 0, $0] }
            }
        }
        #expect(resize([0, 100, 200, 255], to: 2) == [71, 209])
        #expect(resize([0, 100], to: 4) == [0, 25, 75, 100])
        #expect(resize([7, 99, 3, 250, 18], to: 5) == [7, 99, 3, 250, 18])
    }

    @Test func imageNetRecipesGiveFixedSizeBatchesFromFolders() throws {
        let directory = try TemporaryDirectory()
        try Fixtures.imageFolder(at: directory.url)
        let dataset = try ImageFolderDataset(root: directory.url.path)
        let training = try BatchLoader(dataset: dataset, batchSize: 5, shuffle: true, dropLast: false,
                                       transform: .imageNetTraining(size: 12), seed: 9, epoch: 0, workers: 2)
        #expect(try training.next()?.images.shape == [5, 3, 12, 12])
        let evaluation = try BatchLoader(dataset: dataset, batchSize: 5, shuffle: false, dropLast: false,
                                         transform: .imageNetEvaluation(resize: 14, crop: 12), seed: 9, epoch: 0, workers: 0)
        let batch = try #require(try evaluation.next())
        #expect(batch.images.shape == [5, 3, 12, 12])
        #expect(batch.images.scalars.allSatisfy { $0.isFinite && abs($0) < 3 })
        let unsized = try #require(throws: DatasetError.self) {
            try BatchLoader(dataset: dataset, batchSize: 2, shuffle: false, dropLast: false,
                            transform: Transform(steps: [.resizeShortSide(16)], normalization: .imageNet), seed: 0, epoch: 0)
        }
        #expect(unsized.kind == .invalidRequest)
        #expect(throws: DatasetError.self) {
            try Transform(normalization: .cifar10).outputShape(channels: 1, height: 28, width: 28)
        }
    }
}
