import Foundation
import Tensors

/// A PNG grid of a dataset's images for a person to look at before training: one row per class,
/// the class index and name written at the start of the row, then that class's first images.
public enum ContactSheet {
    public struct Layout: Sendable {
        /// Images shown per class (per row).
        public var imagesPerClass = 8
        /// Rows at most; datasets with more classes show their first classes.
        public var maximumClasses = 20
        /// The side of the square each image is fitted into, in pixels.
        public var thumbnailSize = 64

        public init(imagesPerClass: Int = 8, maximumClasses: Int = 20, thumbnailSize: Int = 64) {
            self.imagesPerClass = imagesPerClass
            self.maximumClasses = maximumClasses
            self.thumbnailSize = thumbnailSize
        }
    }

    static let margin = 8
    static let gap = 4
    static let textScale = 2
    static let labelCharacters = 18
    static let background: UInt8 = 28
    static let textColor: (UInt8, UInt8, UInt8) = (240, 240, 240)

    /// Renders the sheet as RGB pixels, headed by `title`.
    public static func render(_ dataset: any Dataset, title: String, layout: Layout = Layout()) throws -> DecodedImage {
        let classes = min(dataset.classNames.count, layout.maximumClasses)
        let rows = firstIndices(dataset, classes: classes, perClass: layout.imagesPerClass)
        let labels = (0..<classes).map { String("\($0) \(dataset.classNames[$0])".prefix(labelCharacters)) }
        let textHeight = BitmapFont.glyphHeight * textScale
        let labelWidth = labels.map { BitmapFont.width(of: $0, scale: textScale) }.max() ?? 0
        let cell = layout.thumbnailSize + gap
        let gridLeft = margin + labelWidth + 2 * gap
        let gridTop = margin + textHeight + 2 * gap
        let width = max(gridLeft + layout.imagesPerClass * cell - gap + margin,
                        2 * margin + BitmapFont.width(of: title, scale: textScale))
        let height = gridTop + classes * cell - gap + margin
        var canvas = [UInt8](repeating: background, count: width * height * 3)
        BitmapFont.draw(title, x: margin, y: margin, scale: textScale, color: textColor,
                        canvas: &canvas, canvasWidth: width, canvasHeight: height)
        let thumbnails = Thumbnailer(size: layout.thumbnailSize)
        for (row, indices) in rows.enumerated() {
            let top = gridTop + row * cell
            BitmapFont.draw(labels[row], x: margin, y: top + (layout.thumbnailSize - textHeight) / 2, scale: textScale,
                            color: textColor, canvas: &canvas, canvasWidth: width, canvasHeight: height)
            for (column, index) in indices.enumerated() {
                try dataset.withImage(at: index) { image in
                    thumbnails.draw(image, x: gridLeft + column * cell, y: top, canvas: &canvas, canvasWidth: width)
                }
            }
        }
        return DecodedImage(width: width, height: height, channels: 3, pixels: canvas)
    }

    /// Renders the sheet and writes it as a PNG file atomically (temporary file, then rename).
    public static func write(_ dataset: any Dataset, title: String, to path: String, layout: Layout = Layout()) throws {
        let sheet = try render(dataset, title: title, layout: layout)
        let png = try PNGCodec.encode(sheet.pixels, width: sheet.width, height: sheet.height, channels: 3)
        try AtomicFile.write(Data(png), to: URL(fileURLWithPath: path))
    }

    /// For each of the first `classes` classes, the indices of its first `perClass` samples.
    static func firstIndices(_ dataset: any Dataset, classes: Int, perClass: Int) -> [[Int]] {
        var rows = [[Int]](repeating: [], count: classes)
        var missing = classes * perClass
        for index in 0..<dataset.count where missing > 0 {
            let label = Int(dataset.label(at: index))
            if label < classes && rows[label].count < perClass {
                rows[label].append(index)
                missing -= 1
            }
        }
        return rows
    }
}
