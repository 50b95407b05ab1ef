#if canImport(CDNNL)
import CDNNL
import Synchronization

/// The oneDNN primitives of one convolution geometry: forward, backward-data and
/// backward-weights, created once and cached. Activations stay NHWC, which oneDNN's brgconv
/// kernels read directly; weights arrive OIHW and are reordered into the blocked layout each
/// primitive prefers (a few KB to a few MB, negligible next to the activations).
final class OneDNNConvolution: @unchecked Sendable {
    private static let cache = Mutex<[ConvolutionGeometry: OneDNNConvolution]>([:])

    static func primitives(for geometry: ConvolutionGeometry) -> OneDNNConvolution {
        if let cached = cache.withLock({ $0[geometry] }) { return cached }
        let created = OneDNNConvolution(geometry)
        return cache.withLock { cache in
            if let raced = cache[geometry] { return raced }
            cache[geometry] = created
            return created
        }
    }

    let geometry: ConvolutionGeometry
    private let source, plainWeights, bias, destination: UnsafePointer<dnnl_memory_desc_t>
    private let forwardPrimitive, backwardDataPrimitive, backwardWeightsPrimitive: OneDNN.Primitive
    private let forwardWeightsReorder, backwardDataWeightsReorder, gradientWeightsReorder: OneDNN.Primitive?

    private init(_ g: ConvolutionGeometry) {
        geometry = g
        source = OneDNN.descriptor([g.batch, g.inputChannels, g.inputHeight, g.inputWidth], dnnl_nhwc)
        destination = OneDNN.descriptor([g.batch, g.outputChannels, g.outputHeight, g.outputWidth], dnnl_nhwc)
        plainWeights = OneDNN.descriptor([g.outputChannels, g.inputChannels, g.kernelHeight, g.kernelWidth], dnnl_oihw)
        bias = OneDNN.descriptor([g.outputChannels], dnnl_a)
        let anyWeights = OneDNN.descriptor([g.outputChannels, g.inputChannels, g.kernelHeight, g.kernelWidth], dnnl_format_tag_any)
        defer { anyWeights.deallocate() }
        let strides: [Int64] = [Int64(g.strideHeight), Int64(g.strideWidth)]
        let padding: [Int64] = [Int64(g.paddingHeight), Int64(g.paddingWidth)]
        let attributes = OneDNN.userScratchpadAttributes()
        defer { dnnl_primitive_attr_destroy(attributes) }
        let biasDescriptor = g.hasBias ? bias : nil

        var forwardDescription = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_forward_desc_init(&forwardDescription, dnnl_forward_training, dnnl_convolution_direct,
                                                        source, anyWeights, biasDescriptor, destination, strides, padding, padding),
                     "describing \(g)")
        var forwardDescriptor: dnnl_primitive_desc_t?
        OneDNN.check(dnnl_primitive_desc_create(&forwardDescriptor, &forwardDescription, attributes, OneDNN.engine.handle, nil),
                     "choosing a forward implementation for \(g)")
        forwardPrimitive = OneDNN.Primitive(descriptor: forwardDescriptor!, "forward convolution")

        var dataDescription = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_backward_data_desc_init(&dataDescription, dnnl_convolution_direct,
                                                              source, anyWeights, destination, strides, padding, padding),
                     "describing the backward-data pass of \(g)")
        var dataDescriptor: dnnl_primitive_desc_t?
        OneDNN.check(dnnl_primitive_desc_create(&dataDescriptor, &dataDescription, attributes, OneDNN.engine.handle, forwardDescriptor),
                     "choosing a backward-data implementation for \(g)")
        backwardDataPrimitive = OneDNN.Primitive(descriptor: dataDescriptor!, "backward-data convolution")

        var weightsDescription = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_backward_weights_desc_init(&weightsDescription, dnnl_convolution_direct,
                                                                 source, anyWeights, biasDescriptor, destination, strides, padding, padding),
                     "describing the backward-weights pass of \(g)")
        var weightsDescriptor: dnnl_primitive_desc_t?
        OneDNN.check(dnnl_primitive_desc_create(&weightsDescriptor, &weightsDescription, attributes, OneDNN.engine.handle, forwardDescriptor),
                     "choosing a backward-weights implementation for \(g)")
        backwardWeightsPrimitive = OneDNN.Primitive(descriptor: weightsDescriptor!, "backward-weights convolution")

        forwardWeightsReorder = OneDNN.reorder(from: plainWeights, to: forwardPrimitive.memoryDescriptor(dnnl_query_weights_md))
        backwardDataWeightsReorder = OneDNN.reorder(from: plainWeights, to: backwardDataPrimitive.memoryDescriptor(dnnl_query_weights_md))
        gradientWeightsReorder = OneDNN.reorder(from: backwardWeightsPrimitive.memoryDescriptor(dnnl_query_diff_weights_md), to: plainWeights)
    }

    /// Runs `body` with the weights in the layout `primitive` wants, reordering into scratch memory if needed.
    private func withWeights(_ weights: UnsafePointer<Float>, reorder: OneDNN.Primitive?, for primitive: OneDNN.Primitive,
                             query: dnnl_query_t, _ body: (UnsafeRawPointer) -> Void) {
        guard let reorder else {
            body(UnsafeRawPointer(weights))
            return
        }
        let count = (dnnl_memory_desc_get_size(primitive.memoryDescriptor(query)) + 3) / 4
        let blocked = AlignedMemory.allocate(count: count)
        defer { AlignedMemory.release(blocked, count: count) }
        reorder.execute([(DNNL_ARG_FROM, plainWeights, UnsafeRawPointer(weights)),
                         (DNNL_ARG_TO, primitive.memoryDescriptor(query), UnsafeRawPointer(blocked))])
        body(UnsafeRawPointer(blocked))
    }

    func forward(source: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 destination: UnsafeMutablePointer<Float>) {
        withWeights(weights, reorder: forwardWeightsReorder, for: forwardPrimitive, query: dnnl_query_weights_md) { blocked in
            var arguments: [(Int32, UnsafePointer<dnnl_memory_desc_t>, UnsafeRawPointer)] = [
                (DNNL_ARG_SRC, self.source, UnsafeRawPointer(source)),
                (DNNL_ARG_WEIGHTS, forwardPrimitive.memoryDescriptor(dnnl_query_weights_md), blocked),
                (DNNL_ARG_DST, self.destination, UnsafeRawPointer(destination)),
            ]
            if geometry.hasBias, let bias { arguments.append((DNNL_ARG_BIAS, self.bias, UnsafeRawPointer(bias))) }
            forwardPrimitive.execute(arguments)
        }
    }

    func backwardData(gradientDestination: UnsafePointer<Float>, weights: UnsafePointer<Float>, gradientSource: UnsafeMutablePointer<Float>) {
        withWeights(weights, reorder: backwardDataWeightsReorder, for: backwardDataPrimitive, query: dnnl_query_weights_md) { blocked in
            backwardDataPrimitive.execute([
                (DNNL_ARG_DIFF_DST, self.destination, UnsafeRawPointer(gradientDestination)),
                (DNNL_ARG_WEIGHTS, backwardDataPrimitive.memoryDescriptor(dnnl_query_weights_md), blocked),
                (DNNL_ARG_DIFF_SRC, self.source, UnsafeRawPointer(gradientSource)),
            ])
        }
    }

    func backwardWeights(source: UnsafePointer<Float>, gradientDestination: UnsafePointer<Float>,
                         gradientWeights: UnsafeMutablePointer<Float>, gradientBias: UnsafeMutablePointer<Float>?) {
        let diffWeights = backwardWeightsPrimitive.memoryDescriptor(dnnl_query_diff_weights_md)
        let count = (dnnl_memory_desc_get_size(diffWeights) + 3) / 4
        let blocked = gradientWeightsReorder == nil ? gradientWeights : AlignedMemory.allocate(count: count)
        defer { if gradientWeightsReorder != nil { AlignedMemory.release(blocked, count: count) } }
        let biasCount = geometry.outputChannels
        let biasGradient = gradientBias ?? (geometry.hasBias ? AlignedMemory.allocate(count: biasCount) : nil)
        defer { if gradientBias == nil, let biasGradient { AlignedMemory.release(biasGradient, count: biasCount) } }
        var arguments: [(Int32, UnsafePointer<dnnl_memory_desc_t>, UnsafeRawPointer)] = [
            (DNNL_ARG_SRC, self.source, UnsafeRawPointer(source)),
            (DNNL_ARG_DIFF_DST, self.destination, UnsafeRawPointer(gradientDestination)),
            (DNNL_ARG_DIFF_WEIGHTS, diffWeights, UnsafeRawPointer(blocked)),
        ]
        if let biasGradient { arguments.append((DNNL_ARG_DIFF_BIAS, self.bias, UnsafeRawPointer(biasGradient))) }
        backwardWeightsPrimitive.execute(arguments)
        if let reorder = gradientWeightsReorder {
            reorder.execute([(DNNL_ARG_FROM, diffWeights, UnsafeRawPointer(blocked)),
                             (DNNL_ARG_TO, plainWeights, UnsafeRawPointer(gradientWeights))])
        }
    }

    /// The implementations oneDNN chose, for diagnostics and benchmarks.
    var implementations: (forward: String, backwardData: String, backwardWeights: String) {
        (forwardPrimitive.implementation, backwardDataPrimitive.implementation, backwardWeightsPrimitive.implementation)
    }
}
#endif
