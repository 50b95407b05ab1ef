/// Draws images into a square cell of an RGB canvas, keeping their aspect ratio: small images
/// grow by a whole factor with nearest-neighbour sampling so their pixels stay crisp, large ones
/// shrink with the antialiased bilinear resize. Grey images are drawn grey.
final class Thumbnailer {
    let size: Int
    private let resized = ScratchBuffer<UInt8>()
    private let rows = ScratchBuffer<UInt8>()

    init(size: Int) {
        self.size = size
    }

    func draw(_ image: ImageView, x: Int, y: Int, canvas: inout [UInt8], canvasWidth: Int) {
        guard image.height > 0 && image.width > 0 else { return }
        var source = image
        var factor = min(size / image.height, size / image.width)
        if factor == 0 {
            let scale = Double(size) / Double(max(image.height, image.width))
            source = BilinearResize.resize(image, height: max(1, Int(Double(image.height) * scale)),
                                           width: max(1, Int(Double(image.width) * scale)), into: resized, rows: rows)
            factor = 1
        }
        let left = x + (size - source.width * factor) / 2
        let top = y + (size - source.height * factor) / 2
        for row in 0..<(source.height * factor) {
            for column in 0..<(source.width * factor) {
                let offset = 3 * ((top + row) * canvasWidth + left + column)
                for channel in 0..<3 {
                    canvas[offset + channel] = source[min(channel, source.channels - 1), row / factor, column / factor]
                }
            }
        }
    }
}
