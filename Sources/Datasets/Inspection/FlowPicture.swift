/// Pictures of where a map (a matching flow, an attention map) falls on an image, drawn as
/// grad-cam and ProtoPNet draw them: the map upsampled bilinearly to the image, normalised to
/// [0, 1] by its minimum and maximum, coloured with the jet colormap and blended half and half
/// with the image.
public enum FlowPicture {
    /// `image` (1 or 3 channels) enlarged `scale` times by pixel repetition, as RGB: small
    /// network inputs (28x28, 32x32) stay crisp enough to read.
    public static func enlarged(_ image: DecodedImage, scale: Int) -> DecodedImage {
        precondition(scale >= 1, "FlowPicture.enlarged: scale must be at least 1, got \(scale)")
        let width = image.width * scale, height = image.height * scale
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for row in 0..<height {
            for column in 0..<width {
                let source = ((row / scale) * image.width + column / scale) * image.channels
                for channel in 0..<3 {
                    pixels[(row * width + column) * 3 + channel] = image.pixels[source + min(channel, image.channels - 1)]
                }
            }
        }
        return DecodedImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// A row-major `height`x`width` map resampled to `outputHeight`x`outputWidth` by bilinear
    /// interpolation with pixel centres aligned (PyTorch's `interpolate(..., align_corners=False)`,
    /// OpenCV's `resize`): output pixel i samples the map at (i + 0.5) * height / outputHeight - 0.5,
    /// clamped to the map.
    public static func upsampled(_ map: [Float], height: Int, width: Int, outputHeight: Int, outputWidth: Int) -> [Float] {
        precondition(map.count == height * width, "FlowPicture.upsampled: \(map.count) values do not fill \(height)x\(width)")
        func taps(_ output: Int, _ input: Int, _ outputSize: Int) -> (Int, Int, Float) {
            let position = max(0, (Float(output) + 0.5) * Float(input) / Float(outputSize) - 0.5)
            let low = min(Int(position), input - 1)
            return (low, min(low + 1, input - 1), position - Float(low))
        }
        let columns = (0..<outputWidth).map { taps($0, width, outputWidth) }
        var result = [Float](repeating: 0, count: outputHeight * outputWidth)
        for row in 0..<outputHeight {
            let (top, bottom, dy) = taps(row, height, outputHeight)
            for (column, (left, right, dx)) in columns.enumerated() {
                let upper = map[top * width + left] * (1 - dx) + map[top * width + right] * dx
                let lower = map[bottom * width + left] * (1 - dx) + map[bottom * width + right] * dx
                result[row * outputWidth + column] = upper * (1 - dy) + lower * dy
            }
        }
        return result
    }

    /// The values scaled to [0, 1] by their minimum and maximum (all 0 when they are equal).
    public static func normalized(_ values: [Float]) -> [Float] {
        guard let low = values.min(), let high = values.max(), high > low else { return values.map { _ in 0 } }
        return values.map { ($0 - low) / (high - low) }
    }

    /// The jet colormap (MATLAB's, matplotlib's and OpenCV's): dark blue at 0, through cyan,
    /// yellow and red, to dark red at 1.
    public static func jet(_ value: Float) -> (UInt8, UInt8, UInt8) {
        func ramp(_ centre: Float) -> UInt8 {
            UInt8((min(1, max(0, 1.5 - abs(4 * value - centre))) * 255).rounded())
        }
        return (ramp(3), ramp(2), ramp(1))
    }

    /// `map` (row-major `mapHeight`x`mapWidth`) as a jet heatmap over `image` (RGB):
    /// 0.5 image + 0.5 heatmap, the map upsampled to the image and normalised.
    public static func heatmap(_ map: [Float], mapHeight: Int, mapWidth: Int, over image: DecodedImage) -> DecodedImage {
        precondition(image.channels == 3, "FlowPicture.heatmap: needs an RGB image")
        let values = normalized(upsampled(map, height: mapHeight, width: mapWidth, outputHeight: image.height, outputWidth: image.width))
        var pixels = image.pixels
        for (pixel, value) in values.enumerated() {
            let colour = jet(value)
            blend(&pixels, at: 3 * pixel, with: colour)
        }
        return DecodedImage(width: image.width, height: image.height, channels: 3, pixels: pixels)
    }

    /// Which of several maps is largest at each pixel (after upsampling each), each map in its own
    /// colour (`color(of:)`) blended half and half over `image`, with a legend strip below
    /// naming the colours `labels`.
    public static func assignment(_ maps: [[Float]], mapHeight: Int, mapWidth: Int, labels: [String],
                                  over image: DecodedImage) -> DecodedImage {
        precondition(image.channels == 3 && !maps.isEmpty && labels.count == maps.count, "FlowPicture.assignment: needs an RGB image and one label per map")
        let upsampledMaps = maps.map { upsampled($0, height: mapHeight, width: mapWidth, outputHeight: image.height, outputWidth: image.width) }
        let legendHeight = BitmapFont.glyphHeight + 4
        let width = image.width, height = image.height + legendHeight
        var pixels = image.pixels + [UInt8](repeating: ContactSheet.background, count: width * legendHeight * 3)
        for pixel in 0..<(image.width * image.height) {
            var best = 0
            for index in 1..<upsampledMaps.count where upsampledMaps[index][pixel] > upsampledMaps[best][pixel] { best = index }
            blend(&pixels, at: 3 * pixel, with: color(of: best))
        }
        var x = 2
        for (index, label) in labels.enumerated() {
            BitmapFont.draw(label, x: x, y: image.height + 2, scale: 1, color: color(of: index),
                            canvas: &pixels, canvasWidth: width, canvasHeight: height)
            x += BitmapFont.width(of: label, scale: 1) + BitmapFont.advance
        }
        return DecodedImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// A distinct, bright colour for map `index`: matplotlib's `tab10` palette, then hues around
    /// the colour wheel.
    public static func color(of index: Int) -> (UInt8, UInt8, UInt8) {
        let palette: [(UInt8, UInt8, UInt8)] = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                                                (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
        if index < palette.count { return palette[index] }
        let hue = Double((index - palette.count) * 37 % 360) / 60
        let fall = UInt8((1 - abs(hue.truncatingRemainder(dividingBy: 2) - 1)) * 255)
        switch Int(hue) {
        case 0: return (255, fall, 0)
        case 1: return (fall, 255, 0)
        case 2: return (0, 255, fall)
        case 3: return (0, fall, 255)
        case 4: return (fall, 0, 255)
        default: return (255, 0, fall)
        }
    }

    private static func blend(_ pixels: inout [UInt8], at offset: Int, with colour: (UInt8, UInt8, UInt8)) {
        pixels[offset] = mix(pixels[offset], colour.0)
        pixels[offset + 1] = mix(pixels[offset + 1], colour.1)
        pixels[offset + 2] = mix(pixels[offset + 2], colour.2)
    }

    /// 0.5 a + 0.5 b, rounded half up.
    private static func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
        UInt8((UInt16(a) + UInt16(b) + 1) / 2)
    }
}
