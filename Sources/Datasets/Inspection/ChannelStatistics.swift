import Kernels
import Synchronization

/// Per-channel mean and standard deviation of a dataset's pixels in [0, 1] units: the numbers a
/// `Normalization` needs.
///
/// Sums of pixels and of squared pixels are accumulated in integers, which is exact for any
/// dataset size that fits in memory; only the final division is floating point.
public struct ChannelStatistics: Sendable, Equatable {
    public let mean: [Double]
    public let standardDeviation: [Double]
    /// Images the statistics cover.
    public let imageCount: Int

    /// Statistics over the first `limit` images (all when nil), computed on every core.
    public static func compute(_ dataset: any Dataset, limit: Int? = nil) throws -> ChannelStatistics {
        let count = min(dataset.count, limit ?? dataset.count)
        let channels = dataset.channels
        let totals = Mutex(Sums(channels: channels))
        let firstError = Mutex<(any Error)?>(nil)
        Parallel.forRanges(count, minimumChunk: 64) { range in
            var local = Sums(channels: channels)
            do {
                for index in range {
                    try dataset.withImage(at: index) { local.add($0) }
                }
            } catch {
                firstError.withLock { if $0 == nil { $0 = error } }
                return
            }
            totals.withLock { $0.merge(local) }
        }
        if let error = firstError.withLock({ $0 }) { throw error }
        return totals.withLock { sums in
            var mean: [Double] = [], deviation: [Double] = []
            for channel in 0..<channels {
                let n = Double(max(1, sums.pixels[channel]))
                let average = Double(sums.values[channel]) / n
                let variance = max(0, Double(sums.squares[channel]) / n - average * average)
                mean.append(average / 255)
                deviation.append(variance.squareRoot() / 255)
            }
            return ChannelStatistics(mean: mean, standardDeviation: deviation, imageCount: count)
        }
    }

    private struct Sums: Sendable {
        var values: [UInt64]
        var squares: [UInt64]
        var pixels: [UInt64]

        init(channels: Int) {
            values = Array(repeating: 0, count: channels)
            squares = Array(repeating: 0, count: channels)
            pixels = Array(repeating: 0, count: channels)
        }

        mutating func add(_ image: ImageView) {
            for channel in 0..<image.channels {
                var sum: UInt64 = 0, squareSum: UInt64 = 0
                for row in 0..<image.height {
                    let line = image.base + channel * image.channelStride + row * image.rowStride
                    for column in 0..<image.width {
                        let value = UInt64(line[column * image.columnStride])
                        sum += value
                        squareSum += value * value
                    }
                }
                values[channel] += sum
                squares[channel] += squareSum
                pixels[channel] += UInt64(image.height * image.width)
            }
        }

        mutating func merge(_ other: Sums) {
            for channel in values.indices {
                values[channel] += other.values[channel]
                squares[channel] += other.squares[channel]
                pixels[channel] += other.pixels[channel]
            }
        }
    }
}
