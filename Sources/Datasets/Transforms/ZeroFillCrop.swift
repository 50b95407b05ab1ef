/// Crops that may reach outside the image, where they read zeros: how padding crops are done
/// without first building the padded image.
enum ZeroFillCrop {
    /// The `box` of `source`: a view into it when the box lies inside, else a planar copy in
    /// `buffer` with zeros outside the image; `copied` tells which.
    static func crop(_ source: ImageView, _ box: CropGeometry.Box, buffer: ScratchBuffer<UInt8>) -> (view: ImageView, copied: Bool) {
        if box.top >= 0 && box.left >= 0 && box.top + box.height <= source.height && box.left + box.width <= source.width {
            return (source.cropped(top: box.top, left: box.left, height: box.height, width: box.width), false)
        }
        let plane = box.height * box.width
        let output = buffer.reserve(source.channels * plane)
        let firstColumn = min(box.width, max(0, -box.left))
        let endColumn = max(firstColumn, min(box.width, source.width - box.left))
        for channel in 0..<source.channels {
            for row in 0..<box.height {
                let destination = output + channel * plane + row * box.width
                let sourceRow = box.top + row
                guard sourceRow >= 0 && sourceRow < source.height && firstColumn < endColumn else {
                    destination.initialize(repeating: 0, count: box.width)
                    continue
                }
                destination.initialize(repeating: 0, count: firstColumn)
                let start = source.base + channel * source.channelStride + sourceRow * source.rowStride
                    + (box.left + firstColumn) * source.columnStride
                if source.columnStride == 1 {
                    (destination + firstColumn).update(from: start, count: endColumn - firstColumn)
                } else {
                    for column in 0..<(endColumn - firstColumn) {
                        destination[firstColumn + column] = start[column * source.columnStride]
                    }
                }
                (destination + endColumn).initialize(repeating: 0, count: box.width - endColumn)
            }
        }
        return (.planar(output, channels: source.channels, height: box.height, width: box.width), true)
    }
}
