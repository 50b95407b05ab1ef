/// A `Drawing` as an SVG document. Text is monospace at 10 px per font scale, whose advance
/// (0.6 em) and cap height match the bitmap font the layout is measured with.
public enum SVGRenderer {
    public static func svg(_ drawing: Drawing) -> String {
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(drawing.width)\" height=\"\(drawing.height)\" viewBox=\"0 0 \(drawing.width) \(drawing.height)\">",
                     "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"]
        for shape in drawing.shapes {
            switch shape {
            case let .line(points, color, width):
                lines.append("<polyline points=\"\(path(points))\" fill=\"none\" stroke=\"\(color.hex)\" stroke-width=\"\(number(width))\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>")
            case let .polygon(points, color, opacity):
                lines.append("<polygon points=\"\(path(points))\" fill=\"\(color.hex)\" fill-opacity=\"\(number(opacity))\" stroke=\"none\"/>")
            case let .text(text, x, top, scale, anchor, color, vertical):
                let size = 10 * scale, baseline = 7 * Double(scale)
                let attributes = "font-family=\"DejaVu Sans Mono, monospace\" font-size=\"\(size)\" fill=\"\(color.hex)\" text-anchor=\"\(anchor.rawValue)\""
                if vertical {
                    lines.append("<text x=\"0\" y=\"0\" \(attributes) transform=\"translate(\(number(x + baseline)) \(number(top))) rotate(-90)\">\(escape(text))</text>")
                } else {
                    lines.append("<text x=\"\(number(x))\" y=\"\(number(top + baseline))\" \(attributes)>\(escape(text))</text>")
                }
            }
        }
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    static func path(_ points: [Drawing.Point]) -> String {
        points.map { "\(number($0.x)),\(number($0.y))" }.joined(separator: " ")
    }

    static func number(_ x: Double) -> String {
        let rounded = (x * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
