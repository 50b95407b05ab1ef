import Foundation
import Tensors

/// Where torchvision's crops and resizes put their boxes, reproduced exactly (Python's `round`
/// rounds half to even, `int` truncates).
enum CropGeometry {
    /// A box in image coordinates; it may extend past the image (the outside reads as zeros).
    struct Box: Equatable {
        var top: Int
        var left: Int
        var height: Int
        var width: Int
    }

    /// `Resize(shortSide)`: the short side becomes `shortSide`, the long side keeps the ratio,
    /// truncated.
    static func shortSideResize(height: Int, width: Int, shortSide: Int) -> (height: Int, width: Int) {
        if width <= height {
            return (Int(Double(shortSide) * Double(height) / Double(width)), shortSide)
        }
        return (shortSide, Int(Double(shortSide) * Double(width) / Double(height)))
    }

    /// `CenterCrop(size)`: rounded central offsets, or zero padding split as torchvision splits it
    /// (the smaller half before) when the image is smaller than the crop.
    static func centerCrop(height: Int, width: Int, size: Int) -> Box {
        func offset(_ length: Int) -> Int {
            length >= size ? Int((Double(length - size) / 2).rounded(.toNearestOrEven)) : -((size - length) / 2)
        }
        return Box(top: offset(height), left: offset(width), height: size, width: size)
    }

    /// `RandomCrop(size, padding)` on the padded image, in original-image coordinates.
    static func randomCrop(height: Int, width: Int, size: Int, padding: Int, generator: inout RandomGenerator) -> Box {
        let top = generator.nextInt(below: max(0, height + 2 * padding - size) + 1) - padding
        let left = generator.nextInt(below: max(0, width + 2 * padding - size) + 1) - padding
        return Box(top: top, left: left, height: size, width: size)
    }

    /// `RandomResizedCrop.get_params`: ten attempts, then the central fallback.
    static func randomResizedCrop(height: Int, width: Int, scale: ClosedRange<Double>, ratio: ClosedRange<Double>,
                                  generator: inout RandomGenerator) -> Box {
        let area = Double(height * width)
        let logRatio = (lower: Foundation.log(ratio.lowerBound), upper: Foundation.log(ratio.upperBound))
        for _ in 0..<10 {
            let targetArea = area * uniform(scale.lowerBound, scale.upperBound, &generator)
            let aspectRatio = Foundation.exp(uniform(logRatio.lower, logRatio.upper, &generator))
            let cropWidth = Int((targetArea * aspectRatio).squareRoot().rounded(.toNearestOrEven))
            let cropHeight = Int((targetArea / aspectRatio).squareRoot().rounded(.toNearestOrEven))
            if cropWidth > 0 && cropWidth <= width && cropHeight > 0 && cropHeight <= height {
                let top = generator.nextInt(below: height - cropHeight + 1)
                let left = generator.nextInt(below: width - cropWidth + 1)
                return Box(top: top, left: left, height: cropHeight, width: cropWidth)
            }
        }
        let imageRatio = Double(width) / Double(height)
        var cropWidth = width, cropHeight = height
        if imageRatio < ratio.lowerBound {
            cropHeight = Int((Double(cropWidth) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if imageRatio > ratio.upperBound {
            cropWidth = Int((Double(cropHeight) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return Box(top: (height - cropHeight) / 2, left: (width - cropWidth) / 2, height: cropHeight, width: cropWidth)
    }

    private static func uniform(_ lower: Double, _ upper: Double, _ generator: inout RandomGenerator) -> Double {
        lower + (upper - lower) * generator.nextUniformDouble()
    }
}
