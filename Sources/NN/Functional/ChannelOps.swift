import Kernels
import ModelGraph
import Tensors

extension Tensor {
    /// Joins (N, Cᵢ, H, W) tensors along the channel axis (DenseNet's concatenation), keeping
    /// channels-last tensors channels-last: each pixel's channel vectors are laid end to end.
    public static func concatenatedChannels(_ tensors: [Tensor]) -> Tensor {
        tensors.count == 1 ? tensors[0] : traced(.concatenateChannels, tensors) { joinedChannels(tensors) }
    }

    private static func joinedChannels(_ tensors: [Tensor]) -> Tensor {
        precondition(!tensors.isEmpty, "concatenatedChannels: needs at least one tensor")
        guard tensors.allSatisfy({ $0.format == .channelsLast }) else { return concatenate(tensors, axis: 1) }
        let first = tensors[0]
        for tensor in tensors {
            precondition(tensor.rank == 4 && tensor.shape[0] == first.shape[0] && tensor.shape[2...] == first.shape[2...],
                         "concatenatedChannels: \(Shape.describe(tensor.shape)) does not match \(Shape.describe(first.shape)) off the channel axis")
        }
        let widths = tensors.map { $0.shape[1] }
        let total = widths.reduce(0, +)
        let pixels = first.shape[0] * first.shape[2] * first.shape[3]
        let output = Tensor(uninitializedShape: [first.shape[0], total, first.shape[2], first.shape[3]], format: .channelsLast)
        var offset = 0
        for (tensor, width) in zip(tensors, widths) {
            let source = tensor.storage.pointer, destination = output.storage.pointer + offset
            Parallel.forRanges(pixels, minimumChunk: 1024) { range in
                for pixel in range { (destination + pixel * total).update(from: source + pixel * width, count: width) }
            }
            offset += width
        }
        return .differentiable("concatenatedChannels", inputs: tensors, output: output) { gradient, needs in
            let g = gradient.converted(to: .channelsLast)
            var start = 0
            return zip(widths, needs).map { width, needed in
                defer { start += width }
                guard needed else { return nil }
                let part = Tensor(uninitializedShape: [first.shape[0], width, first.shape[2], first.shape[3]], format: .channelsLast)
                let source = g.storage.pointer + start, destination = part.storage.pointer
                Parallel.forRanges(pixels, minimumChunk: 1024) { range in
                    for pixel in range { (destination + pixel * width).update(from: source + pixel * total, count: width) }
                }
                return part
            }
        }
    }

    /// (N, C, H, W) widened to (N, channels, H, W) with zero channels appended: PyramidNet's
    /// parameter-free shortcut when a block widens the network.
    public func zeroPaddedChannels(to channels: Int) -> Tensor {
        precondition(rank == 4 && channels >= shape[1], "zeroPaddedChannels: cannot pad \(Shape.describe(shape)) to \(channels) channels")
        if channels == shape[1] { return self }
        return .traced(.zeroPadChannels(channels: channels), [self]) {
            Tensor.concatenatedChannels([self, Tensor.zeros([shape[0], channels - shape[1], shape[2], shape[3]], format: format)])
        }
    }

    /// `residual + shortcut.zeroPaddedChannels(to: residual.shape[1])` in one pass, without the
    /// padded copy: PyramidNet's block output. Channels-last in and out.
    public static func addingZeroPaddedShortcut(_ residual: Tensor, _ shortcut: Tensor) -> Tensor {
        traced([residual, shortcut]) {
            summedWithZeroPaddedShortcut(residual, shortcut)
        } record: { recorder, operands, result in
            guard shortcut.shape[1] < residual.shape[1] else { return (.add, operands) }
            let padded = recorder.newValue(shape: result.shape)
            recorder.append(.zeroPadChannels(channels: residual.shape[1]), inputs: [operands[1]], output: padded, module: nil)
            return (.add, [operands[0], padded])
        }
    }

    private static func summedWithZeroPaddedShortcut(_ residual: Tensor, _ shortcut: Tensor) -> Tensor {
        precondition(residual.rank == 4 && shortcut.rank == 4 && shortcut.shape[0] == residual.shape[0]
                     && shortcut.shape[2...] == residual.shape[2...] && shortcut.shape[1] <= residual.shape[1],
                     "addingZeroPaddedShortcut: shortcut \(Shape.describe(shortcut.shape)) does not fit residual \(Shape.describe(residual.shape))")
        let r = residual.converted(to: .channelsLast), s = shortcut.converted(to: .channelsLast)
        let total = r.shape[1], narrow = s.shape[1]
        let pixels = r.shape[0] * r.shape[2] * r.shape[3]
        let output = Tensor(uninitializedShape: r.shape, format: .channelsLast)
        let shortcutShape = s.shape
        let rp = r.storage.pointer, sp = s.storage.pointer, op = output.storage.pointer
        Parallel.forRanges(pixels, minimumChunk: 256) { range in
            for pixel in range {
                let out = op + pixel * total, left = rp + pixel * total, right = sp + pixel * narrow
                var channel = 0
                while channel < narrow {
                    let lanes = min(FloatVector.scalarCount, narrow - channel)
                    VectorLoops.storeAny(VectorLoops.loadAny(left + channel, lanes) + VectorLoops.loadAny(right + channel, lanes), out + channel, lanes)
                    channel += lanes
                }
                (out + narrow).update(from: left + narrow, count: total - narrow)
            }
        }
        return .differentiable("addingZeroPaddedShortcut", inputs: [r, s], output: output) { gradient, needs in
            guard needs[1] else { return [gradient, nil] }
            let g = gradient.converted(to: .channelsLast)
            let part = Tensor(uninitializedShape: shortcutShape, format: .channelsLast)
            let source = g.storage.pointer, destination = part.storage.pointer
            Parallel.forRanges(pixels, minimumChunk: 1024) { range in
                for pixel in range { (destination + pixel * narrow).update(from: source + pixel * total, count: narrow) }
            }
            return [needs[0] ? g : nil, part]
        }
    }
}
