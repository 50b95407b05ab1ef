#if canImport(CDNNL)
import CDNNL
import Synchronization

/// oneDNN's forward-inference convolution with bias and post-ops (sum, then ReLU) for one input
/// shape, with the weights already reordered into the blocked layout the primitive chose.
final class OneDNNFusedConvolution: @unchecked Sendable {
    /// One plan per input shape (batch 64 for evaluation, 1 for a single prediction, the last
    /// partial batch), made on first use.
    final class Plans: Sendable {
        private let plans = Mutex<[ConvolutionGeometry: OneDNNFusedConvolution]>([:])

        func plan(for geometry: ConvolutionGeometry, weights: [Float], epilogue: FusedConvolution.Epilogue) -> OneDNNFusedConvolution {
            if let plan = plans.withLock({ $0[geometry] }) { return plan }
            let created = OneDNNFusedConvolution(geometry, weights: weights, epilogue: epilogue)
            return plans.withLock { plans in
                if let raced = plans[geometry] { return raced }
                plans[geometry] = created
                return created
            }
        }
    }

    private let source, bias, destination: UnsafePointer<dnnl_memory_desc_t>
    private let primitive: OneDNN.Primitive
    private let blockedWeights: UnsafeMutablePointer<Float>
    private let blockedCount: Int

    private init(_ g: ConvolutionGeometry, weights: [Float], epilogue: FusedConvolution.Epilogue) {
        source = OneDNN.descriptor([g.batch, g.inputChannels, g.inputHeight, g.inputWidth], dnnl_nhwc)
        destination = OneDNN.descriptor([g.batch, g.outputChannels, g.outputHeight, g.outputWidth], dnnl_nhwc)
        bias = OneDNN.descriptor([g.outputChannels], dnnl_a)
        let plainWeights = OneDNN.descriptor([g.outputChannels, g.inputChannels, g.kernelHeight, g.kernelWidth], dnnl_oihw)
        let anyWeights = OneDNN.descriptor([g.outputChannels, g.inputChannels, g.kernelHeight, g.kernelWidth], dnnl_format_tag_any)
        defer {
            plainWeights.deallocate()
            anyWeights.deallocate()
        }
        let strides: [Int64] = [Int64(g.strideHeight), Int64(g.strideWidth)]
        let padding: [Int64] = [Int64(g.paddingHeight), Int64(g.paddingWidth)]
        let attributes = OneDNN.userScratchpadAttributes()
        defer { dnnl_primitive_attr_destroy(attributes) }
        var postOps: dnnl_post_ops_t?
        OneDNN.check(dnnl_post_ops_create(&postOps), "creating post-ops")
        defer { dnnl_post_ops_destroy(postOps) }
        if epilogue.addsDestination { OneDNN.check(dnnl_post_ops_append_sum(postOps, 1), "appending a sum post-op") }
        if epilogue.relu { OneDNN.check(dnnl_post_ops_append_eltwise(postOps, 1, dnnl_eltwise_relu, 0, 0), "appending a ReLU post-op") }
        OneDNN.check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "setting post-ops")

        var description = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_forward_desc_init(&description, dnnl_forward_inference, dnnl_convolution_direct,
                                                        source, anyWeights, bias, destination, strides, padding, padding),
                     "describing \(g)")
        var descriptor: dnnl_primitive_desc_t?
        OneDNN.check(dnnl_primitive_desc_create(&descriptor, &description, attributes, OneDNN.engine.handle, nil),
                     "choosing an inference implementation for \(g)")
        primitive = OneDNN.Primitive(descriptor: descriptor!, "inference convolution")

        let chosen = primitive.memoryDescriptor(dnnl_query_weights_md)
        blockedCount = (dnnl_memory_desc_get_size(chosen) + 3) / 4
        blockedWeights = AlignedMemory.allocate(count: blockedCount)
        weights.withUnsafeBufferPointer { plain in
            if let reorder = OneDNN.reorder(from: plainWeights, to: chosen) {
                reorder.execute([(DNNL_ARG_FROM, plainWeights, UnsafeRawPointer(plain.baseAddress!)),
                                 (DNNL_ARG_TO, chosen, UnsafeRawPointer(blockedWeights))])
            } else {
                blockedWeights.update(from: plain.baseAddress!, count: plain.count)
            }
        }
    }

    deinit {
        AlignedMemory.release(blockedWeights, count: blockedCount)
        for descriptor in [source, bias, destination] { descriptor.deallocate() }
    }

    func run(source: UnsafePointer<Float>, bias: [Float], destination: UnsafeMutablePointer<Float>) {
        bias.withUnsafeBufferPointer { biasValues in
            primitive.execute([
                (DNNL_ARG_SRC, self.source, UnsafeRawPointer(source)),
                (DNNL_ARG_WEIGHTS, primitive.memoryDescriptor(dnnl_query_weights_md), UnsafeRawPointer(blockedWeights)),
                (DNNL_ARG_BIAS, self.bias, UnsafeRawPointer(biasValues.baseAddress!)),
                (DNNL_ARG_DST, self.destination, UnsafeRawPointer(destination)),
            ])
        }
    }
}
#endif
