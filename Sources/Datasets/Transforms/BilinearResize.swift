/// Bilinear resampling with PIL's semantics, which torchvision uses for PIL images and, with
/// `antialias=True` (the default since 0.17), for tensors: pixel centres at half-integers, and
/// when shrinking the triangle filter widens by the scale factor, so every source pixel
/// contributes (antialiasing) instead of aliasing as a plain 4-tap bilinear would.
///
/// The resampling is separable: rows first into a Float buffer, then columns, rounded to UInt8
/// once at the end. PIL rounds to 8 bits between the passes, so results may differ from PIL by
/// one level on some pixels.
enum BilinearResize {
    /// Filter taps for one axis: output index `i` reads `count[i]` inputs from `start[i]` with
    /// weights `weights[i * taps ..< i * taps + count[i]]`, which sum to one.
    struct Coefficients {
        var start: [Int] = []
        var count: [Int] = []
        var weights: [Float] = []
        var taps = 0

        /// PIL's `precompute_coeffs` for the bilinear (triangle, support 1) filter.
        init(inputSize: Int, outputSize: Int) {
            let scale = Double(inputSize) / Double(outputSize)
            let filterScale = max(scale, 1)
            let support = filterScale
            taps = Int(support.rounded(.up)) * 2 + 1
            weights = [Float](repeating: 0, count: outputSize * taps)
            for output in 0..<outputSize {
                let center = (Double(output) + 0.5) * scale
                let first = max(Int(center - support + 0.5), 0)
                let last = min(Int(center + support + 0.5), inputSize)
                var raw: [Double] = []
                for input in first..<max(first, last) {
                    raw.append(max(0, 1 - abs((Double(input) - center + 0.5) / filterScale)))
                }
                let total = raw.reduce(0, +)
                for (tap, weight) in raw.enumerated() {
                    weights[output * taps + tap] = Float(total > 0 ? weight / total : 0)
                }
                start.append(first)
                count.append(raw.count)
            }
        }
    }

    /// Resamples `source` to `height`x`width` into planar UInt8 `output`.
    static func resize(_ source: ImageView, height: Int, width: Int, into output: ScratchBuffer<UInt8>,
                       rows: ScratchBuffer<Float>) -> ImageView {
        let horizontal = Coefficients(inputSize: source.width, outputSize: width)
        let vertical = Coefficients(inputSize: source.height, outputSize: height)
        let channels = source.channels
        let intermediate = rows.reserve(channels * source.height * width)
        let result = output.reserve(channels * height * width)
        horizontal.weights.withUnsafeBufferPointer { weights in
            for channel in 0..<channels {
                for row in 0..<source.height {
                    let input = source.base + channel * source.channelStride + row * source.rowStride
                    let destination = intermediate + (channel * source.height + row) * width
                    for column in 0..<width {
                        let tapWeights = weights.baseAddress! + column * horizontal.taps
                        let first = input + horizontal.start[column] * source.columnStride
                        var sum: Float = 0
                        for tap in 0..<horizontal.count[column] {
                            sum += tapWeights[tap] * Float(first[tap * source.columnStride])
                        }
                        destination[column] = sum
                    }
                }
            }
        }
        var accumulator = [Float](repeating: 0, count: width)
        vertical.weights.withUnsafeBufferPointer { weights in
            accumulator.withUnsafeMutableBufferPointer { sums in
                for channel in 0..<channels {
                    let plane = intermediate + channel * source.height * width
                    for row in 0..<height {
                        for column in 0..<width { sums[column] = 0 }
                        for tap in 0..<vertical.count[row] {
                            let weight = weights[row * vertical.taps + tap]
                            let input = plane + (vertical.start[row] + tap) * width
                            for column in 0..<width { sums[column] += weight * input[column] }
                        }
                        let destination = result + (channel * height + row) * width
                        for column in 0..<width {
                            destination[column] = UInt8(min(255, max(0, sums[column] + 0.5)))
                        }
                    }
                }
            }
        }
        return .planar(result, channels: channels, height: height, width: width)
    }
}
