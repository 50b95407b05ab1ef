/// Bilinear resampling identical to PIL's `Image.resize(..., BILINEAR)`, which torchvision uses
/// for PIL images (and approximates for tensors with `antialias=True`, its default since 0.17):
/// pixel centres at half-integers, and when shrinking, the triangle filter widens by the scale
/// factor so every source pixel contributes (antialiasing) instead of aliasing as a plain 4-tap
/// bilinear would.
///
/// Like PIL it is separable (rows, then columns), uses 22-bit fixed-point weights, and rounds to
/// 8 bits after each pass, so the output matches PIL byte for byte.
enum BilinearResize {
    /// PIL's `PRECISION_BITS` for 8-bit images.
    static let precisionBits = 22

    /// Filter taps for one axis: output index `i` reads `count[i]` inputs from `start[i]` with
    /// fixed-point weights `weights[i * taps ..< i * taps + count[i]]`.
    struct Coefficients {
        var start: [Int] = []
        var count: [Int] = []
        var weights: [Int32] = []
        var taps = 0

        /// PIL's `precompute_coeffs` for the bilinear (triangle, support 1) filter, then its
        /// `normalize_coeffs_8bpc`.
        init(inputSize: Int, outputSize: Int) {
            let scale = Double(inputSize) / Double(outputSize)
            let filterScale = max(scale, 1)
            let support = filterScale
            taps = Int(support.rounded(.up)) * 2 + 1
            weights = [Int32](repeating: 0, count: outputSize * taps)
            var raw = [Double](repeating: 0, count: taps)
            for output in 0..<outputSize {
                let center = (Double(output) + 0.5) * scale
                let first = max(Int(center - support + 0.5), 0)
                let used = min(Int(center + support + 0.5), inputSize) - first
                var total = 0.0
                for tap in 0..<used {
                    raw[tap] = max(0, 1 - abs((Double(first + tap) - center + 0.5) / filterScale))
                    total += raw[tap]
                }
                for tap in 0..<used {
                    let weight = total > 0 ? raw[tap] / total : 0
                    let fixed = weight * Double(1 << BilinearResize.precisionBits)
                    weights[output * taps + tap] = Int32(fixed < 0 ? fixed - 0.5 : fixed + 0.5)
                }
                start.append(first)
                count.append(max(0, used))
            }
        }
    }

    /// Resamples `source` to `height`x`width` into planar UInt8 `output`; `rows` holds the
    /// intermediate image after the horizontal pass.
    static func resize(_ source: ImageView, height: Int, width: Int, into output: ScratchBuffer<UInt8>,
                       rows: ScratchBuffer<UInt8>) -> ImageView {
        let horizontal = Coefficients(inputSize: source.width, outputSize: width)
        let vertical = Coefficients(inputSize: source.height, outputSize: height)
        let channels = source.channels
        let intermediate = rows.reserve(channels * source.height * width)
        let result = output.reserve(channels * height * width)
        let rounding = Int32(1) << Int32(precisionBits - 1)
        horizontal.weights.withUnsafeBufferPointer { weights in
            for channel in 0..<channels {
                for row in 0..<source.height {
                    let input = source.base + channel * source.channelStride + row * source.rowStride
                    let destination = intermediate + (channel * source.height + row) * width
                    for column in 0..<width {
                        let tapWeights = weights.baseAddress! + column * horizontal.taps
                        let first = input + horizontal.start[column] * source.columnStride
                        var sum = rounding
                        for tap in 0..<horizontal.count[column] {
                            sum &+= tapWeights[tap] &* Int32(first[tap * source.columnStride])
                        }
                        destination[column] = clip(sum)
                    }
                }
            }
        }
        var sums = [Int32](repeating: 0, count: width)
        vertical.weights.withUnsafeBufferPointer { weights in
            sums.withUnsafeMutableBufferPointer { sums in
                for channel in 0..<channels {
                    let plane = intermediate + channel * source.height * width
                    for row in 0..<height {
                        for column in 0..<width { sums[column] = rounding }
                        for tap in 0..<vertical.count[row] {
                            let weight = weights[row * vertical.taps + tap]
                            let input = plane + (vertical.start[row] + tap) * width
                            for column in 0..<width { sums[column] &+= weight &* Int32(input[column]) }
                        }
                        let destination = result + (channel * height + row) * width
                        for column in 0..<width { destination[column] = clip(sums[column]) }
                    }
                }
            }
        }
        return .planar(result, channels: channels, height: height, width: width)
    }

    /// PIL's `clip8`: the fixed-point sum shifted down and clamped to 0...255.
    @inline(__always)
    private static func clip(_ sum: Int32) -> UInt8 {
        UInt8(truncatingIfNeeded: min(255, max(0, sum >> Int32(precisionBits))))
    }
}
