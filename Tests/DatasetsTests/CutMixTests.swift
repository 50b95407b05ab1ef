@testable import Datasets
import Tensors
import Testing

@Suite struct CutMixTests {
    /// `count` (at most 256) 3×`size`×`size` images; image `k` is the constant `k` (so any pixel
    /// tells which image it came from) and has label `k % 10`.
    static func constantImages(count: Int, size: Int = 16) -> InMemoryDataset {
        let pixels = (0..<count).flatMap { [UInt8](repeating: UInt8($0), count: 3 * size * size) }
        return InMemoryDataset(pixels: pixels, labels: (0..<count).map { Int32($0 % 10) }, classNames: (0..<10).map(String.init),
                               channels: 3, height: size, width: size)
    }

    /// For each sample of a batch of constant images: the rectangle of pixels that came from
    /// another image, that image, and the pixel count.
    static func pastes(_ batch: Batch, size: Int) -> [(source: Int, area: Int, box: [Int])?] {
        let values = batch.images.scalars
        return (0..<batch.count).map { slot in
            // The loader normalises as pixel * (1 / 255), which can differ from pixel / 255 in the last bit.
            let own = Float(batch.sampleIndices[slot]) * (1 / Float(255))
            var area = 0, source = -1
            var top = Int.max, left = Int.max, bottom = -1, right = -1
            for channel in 0..<3 {
                for row in 0..<size {
                    for column in 0..<size {
                        let value = values[((slot * 3 + channel) * size + row) * size + column]
                        guard value != own else { continue }
                        if channel == 0 {
                            area += 1
                            top = min(top, row); left = min(left, column); bottom = max(bottom, row + 1); right = max(right, column + 1)
                        }
                        source = Int((value * 255).rounded())
                    }
                }
            }
            return area == 0 ? nil : (source, area, [top, left, bottom, right])
        }
    }

    @Test(arguments: CutMix.Pairing.allCases)
    func pastedAreasAndLabelWeightsAgree(pairing: CutMix.Pairing) throws {
        let size = 16
        let dataset = Self.constantImages(count: 24, size: size)
        let transform = Transform(normalization: .unit, cutMix: CutMix(probability: 1, pairing: pairing))
        var mixedSamples = 0
        for epoch in 0..<6 {
            let loader = try BatchLoader(dataset: dataset, batchSize: 8, shuffle: true, dropLast: false, transform: transform,
                                         seed: 5, epoch: epoch, workers: 0)
            while let batch = try loader.next() {
                let weights = try #require(batch.mixWeight)
                let mixed = try #require(batch.mixedLabels)
                let pastes = Self.pastes(batch, size: size)
                var boxes = Set<[Int]>()
                for slot in 0..<batch.count {
                    guard let paste = pastes[slot] else {
                        // Nothing pasted: an empty box or a partner that is the sample itself.
                        #expect(weights[slot] == 1 || mixed[slot] == batch.labels[slot])
                        continue
                    }
                    mixedSamples += 1
                    let box = paste.box
                    #expect((box[2] - box[0]) * (box[3] - box[1]) == paste.area, "the pasted pixels form a rectangle")
                    #expect(abs(weights[slot] - (1 - Float(paste.area) / Float(size * size))) < 1e-6)
                    #expect(mixed[slot] == dataset.labels[paste.source])
                    #expect(batch.sampleIndices.contains(paste.source), "partners come from the same batch")
                    boxes.insert(box)
                }
                if pairing == .perBatch { #expect(boxes.count <= 1, "one box for the whole batch") }
            }
        }
        #expect(mixedSamples > 20)
    }

    @Test func perBatchMixingFollowsTheAuthorsDrawOrder() throws {
        let dataset = Self.constantImages(count: 6, size: 10)
        let loader = try BatchLoader(dataset: dataset, batchSize: 6, shuffle: false, dropLast: false,
                                     transform: Transform(normalization: .unit, cutMix: CutMix(probability: 1)), seed: 11, epoch: 3, workers: 0)
        let batch = try #require(try loader.next())
        var generator = LoaderRandomness.generator(seed: 11, epoch: 3, stream: .batch, index: 0)
        _ = generator.nextUniformDouble()
        let lambda = generator.nextUniformDouble()
        var permutation = Array(0..<6)
        for index in stride(from: 5, to: 0, by: -1) { permutation.swapAt(index, generator.nextInt(below: index + 1)) }
        let cut = (1 - lambda).squareRoot()
        let cutSide = Int(10 * cut)
        let row = generator.nextInt(below: 10), column = generator.nextInt(below: 10)
        let box = CutMix.Box(top: max(0, row - cutSide / 2), left: max(0, column - cutSide / 2),
                             bottom: min(10, row + cutSide / 2), right: min(10, column + cutSide / 2))
        #expect(batch.mixedLabels == permutation.map { dataset.labels[$0] })
        #expect(batch.mixWeight == Array(repeating: Float(1 - Double(box.area) / 100), count: 6))
    }

    @Test func noMixingGivesNilLabelsAndWeights() throws {
        let dataset = Self.constantImages(count: 8)
        let loader = try BatchLoader(dataset: dataset, batchSize: 4, shuffle: false, dropLast: false,
                                     transform: Transform(normalization: .unit, cutMix: CutMix(probability: 0)), seed: 1, epoch: 0, workers: 0)
        while let batch = try loader.next() {
            #expect(batch.mixedLabels == nil && batch.mixWeight == nil)
            #expect(Self.pastes(batch, size: 16).allSatisfy { $0 == nil })
        }
    }

    @Test func halfTheBatchesAreMixedAtTheDefaultProbability() throws {
        let dataset = Self.constantImages(count: 250, size: 4)
        let loader = try BatchLoader(dataset: dataset, batchSize: 2, shuffle: false, dropLast: false,
                                     transform: Transform(normalization: .unit, cutMix: CutMix()), seed: 2, epoch: 0, workers: 0)
        var mixed = 0
        while let batch = try loader.next() { mixed += batch.mixedLabels == nil ? 0 : 1 }
        #expect(mixed > 45 && mixed < 80, "\(mixed) of 125 batches mixed")
    }

    @Test func betaSamplesHaveTheRightMean() {
        var generator = RandomGenerator(seed: 4)
        for (a, b) in [(1.0, 1.0), (2.0, 5.0), (0.5, 0.5)] {
            let samples = (0..<20_000).map { _ in BetaDistribution.sample(a, b, generator: &generator) }
            #expect(samples.allSatisfy { (0...1).contains($0) })
            #expect(abs(samples.reduce(0, +) / 20_000 - a / (a + b)) < 0.01)
        }
    }
}
