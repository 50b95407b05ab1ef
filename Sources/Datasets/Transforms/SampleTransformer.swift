import Tensors

/// Runs a transform's per-sample steps and normalisation. One per loader worker: it owns the
/// scratch buffers the steps write into and reuses them for every sample.
///
/// Steps that only move the window (in-bounds crops, flips, channel repeats) produce views and
/// copy nothing; only padding crops and resizes write pixels, alternating between two buffers.
final class SampleTransformer {
    private let steps: [TransformStep]
    private let scale: [Float]
    private let offset: [Float]
    private let buffers = [ScratchBuffer<UInt8>(), ScratchBuffer<UInt8>()]
    private let resizeRows = ScratchBuffer<UInt8>()

    init(transform: Transform, outputChannels: Int) {
        steps = transform.steps
        (scale, offset) = transform.normalization.affine(channels: outputChannels)
    }

    /// Transforms one image and writes it, normalised and planar, at `output`, which has room for
    /// the transform's output shape.
    func apply(to source: ImageView, generator: inout RandomGenerator, output: UnsafeMutablePointer<Float>) {
        var image = source
        // The scratch buffer `image` lives in (nil: the source); writes go to the other one.
        var home: Int?
        func free() -> Int { home == 0 ? 1 : 0 }
        func crop(_ box: CropGeometry.Box) {
            let target = free()
            let (cropped, copied) = ZeroFillCrop.crop(image, box, buffer: buffers[target])
            image = cropped
            if copied { home = target }
        }
        func resize(height: Int, width: Int) {
            let target = free()
            image = BilinearResize.resize(image, height: height, width: width, into: buffers[target], rows: resizeRows)
            home = target
        }
        for step in steps {
            switch step {
            case .pad(let pixels):
                crop(CropGeometry.Box(top: -pixels, left: -pixels, height: image.height + 2 * pixels, width: image.width + 2 * pixels))
            case .randomCrop(let size, let padding):
                crop(CropGeometry.randomCrop(height: image.height, width: image.width, size: size, padding: padding, generator: &generator))
            case .horizontalFlip(let probability):
                if generator.nextUniformDouble() < probability { image = image.flippedHorizontally() }
            case .randomResizedCrop(let size, let scale, let ratio):
                let box = CropGeometry.randomResizedCrop(height: image.height, width: image.width, scale: scale, ratio: ratio, generator: &generator)
                image = image.cropped(top: box.top, left: box.left, height: box.height, width: box.width)
                resize(height: size, width: size)
            case .resizeShortSide(let shortSide):
                let size = CropGeometry.shortSideResize(height: image.height, width: image.width, shortSide: shortSide)
                if size != (image.height, image.width) { resize(height: size.height, width: size.width) }
            case .centerCrop(let size):
                crop(CropGeometry.centerCrop(height: image.height, width: image.width, size: size))
            case .repeatChannels(let count):
                if image.channels != count { image = image.repeatingChannel(count) }
            }
        }
        NormalizingWriter.write(image, scale: scale, offset: offset, to: output)
    }
}
