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
                Self.destroy(reorder)
            } else {
                blockedWeights.update(from: plain.baseAddress!, count: plain.count)
            }
        }
    }

    deinit {
        idle.withLock { $0.removeAll() }
        Self.destroy(primitive)
        AlignedMemory.release(blockedWeights, count: blockedCount)
        for descriptor in [source, bias, destination] { descriptor.deallocate() }
    }

    /// Frees a primitive this plan alone holds: a form is made again after every epoch, unlike
    /// the training primitives, which are cached for the process's life.
    private static func destroy(_ primitive: OneDNN.Primitive) {
        dnnl_primitive_destroy(primitive.primitive)
        dnnl_primitive_desc_destroy(primitive.descriptor)
    }

    /// A stream and the memory objects of one execution, bound to the weights, bias and
    /// scratchpad once; source and destination are pointed at each call's buffers. Kept in a
    /// free list so a call allocates nothing and concurrent calls each take their own (one
    /// caller at a time holds an execution, hence the unchecked Sendable).
    private final class Execution: @unchecked Sendable {
        let stream: dnnl_stream_t
        let source, weights, bias, destination: dnnl_memory_t
        let scratchpad: dnnl_memory_t?
        let scratchpadBuffer: UnsafeMutablePointer<Float>?
        let scratchpadCount: Int
        let arguments: [dnnl_exec_arg_t]

        init(_ plan: OneDNNFusedConvolution, bias biasValues: UnsafePointer<Float>) {
            func memory(_ descriptor: UnsafePointer<dnnl_memory_desc_t>, _ pointer: UnsafeMutableRawPointer?) -> dnnl_memory_t {
                var memory: dnnl_memory_t?
                OneDNN.check(dnnl_memory_create(&memory, descriptor, OneDNN.engine.handle, pointer), "binding a buffer")
                return memory!
            }
            var stream: dnnl_stream_t?
            OneDNN.check(dnnl_stream_create(&stream, OneDNN.engine.handle, dnnl_stream_default_flags.rawValue), "creating a stream")
            self.stream = stream!
            let primitive = plan.primitive
            source = memory(plan.source, nil)
            destination = memory(plan.destination, nil)
            weights = memory(primitive.memoryDescriptor(dnnl_query_weights_md), UnsafeMutableRawPointer(plan.blockedWeights))
            bias = memory(plan.bias, UnsafeMutableRawPointer(mutating: biasValues))
            var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: source), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weights),
                             dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: bias), dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: destination)]
            scratchpadCount = (primitive.scratchpadBytes + 3) / 4
            if primitive.scratchpadBytes > 0 {
                let buffer = AlignedMemory.allocate(count: scratchpadCount)
                let pad = memory(primitive.memoryDescriptor(dnnl_query_scratchpad_md), UnsafeMutableRawPointer(buffer))
                arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: pad))
                (scratchpad, scratchpadBuffer) = (pad, buffer)
            } else {
                (scratchpad, scratchpadBuffer) = (nil, nil)
            }
            self.arguments = arguments
        }

        deinit {
            for memory in [source, weights, bias, destination] { dnnl_memory_destroy(memory) }
            if let scratchpad { dnnl_memory_destroy(scratchpad) }
            if let scratchpadBuffer { AlignedMemory.release(scratchpadBuffer, count: scratchpadCount) }
            dnnl_stream_destroy(stream)
        }
    }

    private let idle = Mutex<[Execution]>([])

    /// `bias` must stay at the same address for the plan's life (the owning `FusedConvolution`'s array).
    func run(source: UnsafePointer<Float>, bias: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>) {
        let execution = idle.withLock { $0.popLast() } ?? Execution(self, bias: bias)
        OneDNN.check(dnnl_memory_set_data_handle(execution.source, UnsafeMutableRawPointer(mutating: source)), "binding the source")
        OneDNN.check(dnnl_memory_set_data_handle(execution.destination, UnsafeMutableRawPointer(destination)), "binding the destination")
        OneDNN.check(dnnl_primitive_execute(primitive.primitive, execution.stream, Int32(execution.arguments.count), execution.arguments),
                     "executing the inference convolution")
        OneDNN.check(dnnl_stream_wait(execution.stream), "waiting for the inference convolution")
        idle.withLock { $0.append(execution) }
    }
}
#endif
