/// The last step of every transform: UInt8 pixels to normalised Float32 in the batch, planar.
enum NormalizingWriter {
    /// Writes `source` as C×H×W floats `pixel * scale[c] + offset[c]` at `output`. Rows read
    /// forwards or backwards (flipped views) run as straight loops the compiler vectorises.
    static func write(_ source: ImageView, scale: [Float], offset: [Float], to output: UnsafeMutablePointer<Float>) {
        let width = source.width
        for channel in 0..<source.channels {
            let a = scale[channel], b = offset[channel]
            for row in 0..<source.height {
                let input = source.base + channel * source.channelStride + row * source.rowStride
                let destination = output + (channel * source.height + row) * width
                switch source.columnStride {
                case 1:
                    for column in 0..<width { destination[column] = Float(input[column]) * a + b }
                case -1:
                    let reversed = input - (width - 1)
                    for column in 0..<width { destination[column] = Float(reversed[width - 1 - column]) * a + b }
                default:
                    let stride = source.columnStride
                    for column in 0..<width { destination[column] = Float(input[column * stride]) * a + b }
                }
            }
        }
    }
}
