import Kernels
import ModelGraph
import Tensors

/// Window geometry shared by max and average pooling (square windows, as the paper's nets use).
struct PoolingGeometry {
    let batch, channels, height, width, kernel, stride, padding: Int

    var outputHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    var outputWidth: Int { (width + 2 * padding - kernel) / stride + 1 }

    init(_ x: Tensor, kernel: Int, stride: Int, padding: Int, op: String) {
        precondition(x.rank == 4, "\(op): needs (N, C, H, W) input, got \(Shape.describe(x.shape))")
        precondition(kernel >= 1 && stride >= 1 && padding >= 0 && padding * 2 <= kernel,
                     "\(op): kernel \(kernel), stride \(stride), padding \(padding) are invalid")
        (batch, channels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
        precondition(outputHeight > 0 && outputWidth > 0, "\(op): window \(kernel) does not fit \(Shape.describe(x.shape))")
    }

    var outputShape: [Int] { [batch, channels, outputHeight, outputWidth] }

    /// The window rows or columns of output index `o` along an axis of size `size`, clipped to
    /// the input, and the extent of the window clipped to the padded input (PyTorch's divisor
    /// for average pooling with count_include_pad).
    func window(_ o: Int, size: Int) -> (Range<Int>, Int) {
        let start = o * stride - padding
        let end = min(start + kernel, size + padding)
        return (max(start, 0)..<min(end, size), end - start)
    }
}

extension Tensor {
    /// Max pooling (PyTorch's max_pool2d, padding counts as -∞). Channels-last in and out.
    public func maxPooled2D(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        .traced(.maxPool(GraphOperation.Pooling(kernel: kernel, stride: stride ?? kernel, padding: padding)), [self]) {
            computeMaxPooled2D(kernel: kernel, stride: stride, padding: padding)
        }
    }

    private func computeMaxPooled2D(kernel: Int, stride: Int?, padding: Int) -> Tensor {
        let p = PoolingGeometry(self, kernel: kernel, stride: stride ?? kernel, padding: padding, op: "maxPool2d")
        let input = converted(to: .channelsLast)
        let output = Tensor(uninitializedShape: p.outputShape, format: .channelsLast)
        var argmax = [Int32](repeating: 0, count: output.count)
        let source = input.storage.pointer, destination = output.storage.pointer
        let c = p.channels
        argmax.withUnsafeMutableBufferPointer { indices in
            let index = indices.baseAddress!
            Parallel.forRanges(p.batch * p.outputHeight, minimumChunk: 4) { rows in
                for row in rows {
                    let n = row / p.outputHeight, oh = row % p.outputHeight
                    let (hs, _) = p.window(oh, size: p.height)
                    for ow in 0..<p.outputWidth {
                        let (ws, _) = p.window(ow, size: p.width)
                        let out = ((n * p.outputHeight + oh) * p.outputWidth + ow) * c
                        for channel in 0..<c {
                            var best = -Float.infinity, bestIndex = -1
                            for h in hs { for w in ws {
                                let position = (n * p.height + h) * p.width + w
                                let value = source[position * c + channel]
                                if value > best || bestIndex < 0 || value != value { best = value; bestIndex = position }
                            } }
                            destination[out + channel] = best
                            index[out + channel] = Int32(bestIndex)
                        }
                    }
                }
            }
        }
        return .differentiable("maxPool2d", input: input, output: output) { gradient in
            let g = gradient.converted(to: .channelsLast)
            var result = Tensor.zeros(input.shape, format: .channelsLast)
            result.withUnsafeMutableBufferPointer { dx in
                for position in 0..<argmax.count {
                    dx[Int(argmax[position]) * c + position % c] += g.storage.pointer[position]
                }
            }
            return result
        }
    }

    /// Average pooling (PyTorch's avg_pool2d with count_include_pad). Channels-last in and out.
    public func averagePooled2D(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        .traced(.averagePool(GraphOperation.Pooling(kernel: kernel, stride: stride ?? kernel, padding: padding)), [self]) {
            computeAveragePooled2D(kernel: kernel, stride: stride, padding: padding)
        }
    }

    private func computeAveragePooled2D(kernel: Int, stride: Int?, padding: Int) -> Tensor {
        let p = PoolingGeometry(self, kernel: kernel, stride: stride ?? kernel, padding: padding, op: "avgPool2d")
        let input = converted(to: .channelsLast)
        let output = Tensor.zeros(p.outputShape, format: .channelsLast)
        let c = p.channels
        let source = input.storage.pointer, destination = output.storage.pointer
        Parallel.forRanges(p.batch * p.outputHeight, minimumChunk: 4) { rows in
            for row in rows {
                let n = row / p.outputHeight, oh = row % p.outputHeight
                let (hs, hExtent) = p.window(oh, size: p.height)
                for ow in 0..<p.outputWidth {
                    let (ws, wExtent) = p.window(ow, size: p.width)
                    let out = destination + ((n * p.outputHeight + oh) * p.outputWidth + ow) * c
                    for h in hs { for w in ws {
                        VectorLoops.accumulateSerial(source + ((n * p.height + h) * p.width + w) * c, into: out, count: c)
                    } }
                    let scale = 1 / Float(hExtent * wExtent)
                    for channel in 0..<c { out[channel] *= scale }
                }
            }
        }
        let inputShape = input.shape
        // The backward pass needs the geometry only, not the input.
        return .differentiable("avgPool2d", inputs: [input], output: output) { gradient, _ in
            let g = gradient.converted(to: .channelsLast)
            let result = Tensor.zeros(inputShape, format: .channelsLast)
            let dx = result.storage.pointer, upstream = g.storage.pointer
            // One image per task: windows may overlap within an image, never across images.
            Parallel.forRanges(p.batch) { images in
                for n in images { for oh in 0..<p.outputHeight {
                    let (hs, hExtent) = p.window(oh, size: p.height)
                    for ow in 0..<p.outputWidth {
                        let (ws, wExtent) = p.window(ow, size: p.width)
                        let scale = FloatVector(repeating: 1 / Float(hExtent * wExtent))
                        let source = upstream + ((n * p.outputHeight + oh) * p.outputWidth + ow) * c
                        for h in hs { for w in ws {
                            let target = dx + ((n * p.height + h) * p.width + w) * c
                            var channel = 0
                            while channel < c {
                                let lanes = min(FloatVector.scalarCount, c - channel)
                                let sum = VectorLoops.loadAny(target + channel, lanes).addingProduct(VectorLoops.loadAny(source + channel, lanes), scale)
                                VectorLoops.storeAny(sum, target + channel, lanes)
                                channel += FloatVector.scalarCount
                            }
                        } }
                    }
                } }
            }
            return [result]
        }
    }

    /// Global average pooling: (N, C, H, W) of either format to (N, C).
    public func globalAveragePooled() -> Tensor {
        .traced(.globalAveragePool, [self]) { computeGlobalAveragePooled() }
    }

    private func computeGlobalAveragePooled() -> Tensor {
        precondition(rank == 4, "globalAveragePool: needs (N, C, H, W) input, got \(Shape.describe(shape))")
        let (n, c, area) = (shape[0], shape[1], shape[2] * shape[3])
        let output = Tensor.zeros([n, c])
        let source = storage.pointer, destination = output.storage.pointer
        let scale = 1 / Float(area)
        let format = self.format
        Parallel.forRanges(n) { images in
            for image in images {
                let out = destination + image * c
                if format == .channelsLast {
                    for position in 0..<area { VectorLoops.accumulateSerial(source + (image * area + position) * c, into: out, count: c) }
                    for channel in 0..<c { out[channel] *= scale }
                } else {
                    for channel in 0..<c { out[channel] = VectorLoops.sum(source + (image * c + channel) * area, count: area) * scale }
                }
            }
        }
        let inputShape = shape
        return .differentiable("globalAveragePool", input: self, output: output) { gradient in
            let g = gradient.contiguous()
            let result = Tensor(uninitializedShape: inputShape, format: format)
            let dx = result.storage.pointer, upstream = g.storage.pointer
            Parallel.forRanges(n) { images in
                for image in images {
                    for position in 0..<area { for channel in 0..<c {
                        let index = format == .channelsLast ? (image * area + position) * c + channel : (image * c + channel) * area + position
                        dx[index] = upstream[image * c + channel] * scale
                    } }
                }
            }
            return result
        }
    }
}
