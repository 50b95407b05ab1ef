import Foundation
import Tensors

/// A grid of pictures with a title, a label above each column and one at the start of each row:
/// the contact sheets of `mpw explain` (one row per image, one column per proxy) and of its
/// prototypes (one row per proxy, one column per training crop).
public enum PictureSheet {
    public struct Row {
        public var label: String
        public var pictures: [DecodedImage]

        public init(label: String, pictures: [DecodedImage]) {
            self.label = label
            self.pictures = pictures
        }
    }

    static let labelCharacters = 24

    /// The sheet as RGB pixels. Pictures (RGB) are drawn at the top-left of equal cells as large
    /// as the largest picture.
    public static func render(title: String, columnLabels: [String], rows: [Row]) -> DecodedImage {
        let margin = ContactSheet.margin, gap = ContactSheet.gap, scale = ContactSheet.textScale
        let textHeight = BitmapFont.glyphHeight * scale
        let pictures = rows.flatMap(\.pictures)
        let cellWidth = max(pictures.map(\.width).max() ?? 1, columnLabels.map { BitmapFont.width(of: $0, scale: scale) }.max() ?? 0)
        let cellHeight = pictures.map(\.height).max() ?? 1
        let columns = max(columnLabels.count, rows.map(\.pictures.count).max() ?? 0)
        let labels = rows.map { String($0.label.prefix(labelCharacters)) }
        let labelWidth = labels.map { BitmapFont.width(of: $0, scale: scale) }.max() ?? 0
        let gridLeft = margin + labelWidth + 2 * gap
        let gridTop = margin + 2 * (textHeight + 2 * gap)
        let width = max(gridLeft + columns * (cellWidth + gap) - gap + margin, 2 * margin + BitmapFont.width(of: title, scale: scale))
        let height = gridTop + rows.count * (cellHeight + gap) - gap + margin
        var canvas = [UInt8](repeating: ContactSheet.background, count: width * height * 3)
        func text(_ string: String, x: Int, y: Int) {
            BitmapFont.draw(string, x: x, y: y, scale: scale, color: ContactSheet.textColor, canvas: &canvas, canvasWidth: width, canvasHeight: height)
        }
        text(title, x: margin, y: margin)
        for (column, label) in columnLabels.enumerated() {
            text(label, x: gridLeft + column * (cellWidth + gap), y: margin + textHeight + 2 * gap)
        }
        for (index, row) in rows.enumerated() {
            let top = gridTop + index * (cellHeight + gap)
            text(labels[index], x: margin, y: top + (cellHeight - textHeight) / 2)
            for (column, picture) in row.pictures.enumerated() {
                precondition(picture.channels == 3, "PictureSheet.render: pictures must be RGB")
                let left = gridLeft + column * (cellWidth + gap)
                for y in 0..<picture.height {
                    let source = y * picture.width * 3
                    let destination = ((top + y) * width + left) * 3
                    canvas.replaceSubrange(destination..<(destination + picture.width * 3), with: picture.pixels[source..<(source + picture.width * 3)])
                }
            }
        }
        return DecodedImage(width: width, height: height, channels: 3, pixels: canvas)
    }
}

extension DecodedImage {
    /// Writes the image as a PNG file atomically (temporary file, fsync, rename), with `text`
    /// as `tEXt` chunks.
    public func writePNG(to path: String, text: [(key: String, value: String)] = []) throws {
        let png = try PNGCodec.encode(pixels, width: width, height: height, channels: channels, text: text)
        try AtomicFile.write(Data(png), to: URL(fileURLWithPath: path))
    }
}
