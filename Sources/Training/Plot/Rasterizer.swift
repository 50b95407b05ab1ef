import Datasets
import Foundation

/// A `Drawing` rasterised to RGB pixels with our own scan conversion and the bitmap font, then
/// encoded as PNG with the project's libpng writer: no SVG library at run time.
public enum Rasterizer {
    public static func pixels(_ drawing: Drawing) -> [UInt8] {
        var canvas = Canvas(width: drawing.width, height: drawing.height)
        for shape in drawing.shapes {
            switch shape {
            case let .polygon(points, color, opacity): canvas.fill(points, color: color, opacity: opacity)
            case let .line(points, color, width):
                for (a, b) in zip(points, points.dropFirst()) { canvas.stroke(a, b, color: color, width: width) }
            case let .text(text, x, top, scale, anchor, color, vertical):
                canvas.text(text, x: x, top: top, scale: scale, anchor: anchor, color: color, vertical: vertical)
            }
        }
        return canvas.pixels
    }

    public static func png(_ drawing: Drawing) throws -> Data {
        Data(try PNGCodec.encode(pixels(drawing), width: drawing.width, height: drawing.height, channels: 3))
    }

    struct Canvas {
        let width: Int, height: Int
        var pixels: [UInt8]

        init(width: Int, height: Int) {
            (self.width, self.height) = (width, height)
            pixels = [UInt8](repeating: 255, count: width * height * 3)
        }

        mutating func blend(_ x: Int, _ y: Int, _ color: Drawing.Color, _ alpha: Double) {
            guard x >= 0, x < width, y >= 0, y < height, alpha > 0 else { return }
            let offset = 3 * (y * width + x), a = min(alpha, 1)
            for (channel, value) in [color.red, color.green, color.blue].enumerated() {
                let old = Double(pixels[offset + channel])
                pixels[offset + channel] = UInt8((old + (Double(value) - old) * a).rounded())
            }
        }

        /// Even-odd scanline fill, sampled at pixel centres.
        mutating func fill(_ points: [Drawing.Point], color: Drawing.Color, opacity: Double) {
            guard points.count >= 3 else { return }
            let top = max(0, Int(points.map(\.y).min()!.rounded(.down))), bottom = min(height - 1, Int(points.map(\.y).max()!.rounded(.up)))
            guard top <= bottom else { return }
            for y in top...bottom {
                let centre = Double(y) + 0.5
                var crossings: [Double] = []
                for (a, b) in zip(points, points.dropFirst() + [points[0]]) where (a.y <= centre) != (b.y <= centre) {
                    crossings.append(a.x + (centre - a.y) / (b.y - a.y) * (b.x - a.x))
                }
                crossings.sort()
                for pair in stride(from: 0, to: crossings.count - 1, by: 2) {
                    let from = max(0, Int((crossings[pair] - 0.5).rounded(.up))), to = min(width - 1, Int((crossings[pair + 1] - 0.5).rounded(.down)))
                    if from <= to { for x in from...to { blend(x, y, color, opacity) } }
                }
            }
        }

        /// A segment `width` wide with round ends, its edge anti-aliased over one pixel.
        mutating func stroke(_ a: Drawing.Point, _ b: Drawing.Point, color: Drawing.Color, width: Double) {
            let radius = width / 2
            let left = max(0, Int((min(a.x, b.x) - radius - 1).rounded(.down))), right = min(self.width - 1, Int((max(a.x, b.x) + radius + 1).rounded(.up)))
            let top = max(0, Int((min(a.y, b.y) - radius - 1).rounded(.down))), bottom = min(height - 1, Int((max(a.y, b.y) + radius + 1).rounded(.up)))
            guard left <= right, top <= bottom else { return }
            let dx = b.x - a.x, dy = b.y - a.y, length2 = dx * dx + dy * dy
            for y in top...bottom {
                for x in left...right {
                    let px = Double(x) + 0.5, py = Double(y) + 0.5
                    let t = length2 > 0 ? min(max(((px - a.x) * dx + (py - a.y) * dy) / length2, 0), 1) : 0
                    let distance = hypot(px - (a.x + t * dx), py - (a.y + t * dy))
                    let coverage = min(max(radius + 0.5 - distance, 0), 1)
                    if coverage > 0 { blend(x, y, color, coverage) }
                }
            }
        }

        mutating func text(_ text: String, x: Double, top: Double, scale: Int, anchor: Drawing.TextAnchor, color: Drawing.Color, vertical: Bool) {
            let textWidth = BitmapFont.width(of: text, scale: scale), textHeight = BitmapFont.glyphHeight * scale
            let shift = anchor == .start ? 0 : anchor == .middle ? textWidth / 2 : textWidth
            let ink = (color.red, color.green, color.blue)
            if !vertical {
                BitmapFont.draw(text, x: Int(x.rounded()) - shift, y: Int(top.rounded()), scale: scale, color: ink,
                                canvas: &pixels, canvasWidth: width, canvasHeight: height)
                return
            }
            // Draw upright into a scratch canvas, then turn it a quarter left: its start at the bottom.
            var scratch = [UInt8](repeating: 255, count: max(textWidth, 1) * textHeight * 3)
            BitmapFont.draw(text, x: 0, y: 0, scale: scale, color: (0, 0, 0), canvas: &scratch, canvasWidth: max(textWidth, 1), canvasHeight: textHeight)
            let startY = Int(top.rounded()) + shift, left = Int(x.rounded())
            for v in 0..<textHeight {
                for u in 0..<textWidth where scratch[3 * (v * textWidth + u)] == 0 {
                    blend(left + v, startY - u, color, 1)
                }
            }
        }
    }
}
