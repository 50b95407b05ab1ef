#if canImport(CDNNL)
import CDNNL
import Synchronization

/// oneDNN's forward-inference convolution with bias and post-ops (sum, then ReLU) for one input
/// shape, with the weights already reordered into the blocked layout the primitive chose.
///
/// The memory format is chosen per layer: the direct kernels read and write the callers' NHWC
/// buffers as they are; Winograd (`ConvolutionAlgorithm`) runs on oneDNN's channel-blocked
/// layout, so its plan reorders the source (and, for a residual sum, the destination) into
/// blocked buffers before the call and the result back after it.
final class OneDNNFusedConvolution: @unchecked Sendable {
    /// One plan per input shape (batch 64 for evaluation, 1 for a single prediction, the last
    /// partial batch), made on first use.
    final class Plans: Sendable {
        private let plans = Mutex<[ConvolutionGeometry: OneDNNFusedConvolution]>([:])

        func plan(for geometry: ConvolutionGeometry, weights: [Float], epilogue: FusedConvolution.Epilogue,
                  algorithm: ConvolutionAlgorithm) -> OneDNNFusedConvolution {
            if let plan = plans.withLock({ $0[geometry] }) { return plan }
            let created = OneDNNFusedConvolution(geometry, weights: weights, epilogue: epilogue, algorithm: algorithm)
            return plans.withLock { plans in
                if let raced = plans[geometry] { return raced }
                plans[geometry] = created
                return created
            }
        }
    }

    /// The callers' NHWC source and destination, and the bias.
    private let source, bias, destination: UnsafePointer<dnnl_memory_desc_t>
    private let primitive: OneDNN.Primitive
    private let blockedWeights: UnsafeMutablePointer<Float>
    private let blockedCount: Int
    /// Set when the primitive runs on blocked activations (Winograd).
    private let blocked: BlockedActivations?

    /// The blocked source and destination a Winograd primitive reads and writes, and the reorders
    /// between them and the callers' NHWC buffers.
    private struct BlockedActivations {
        let source, destination: UnsafePointer<dnnl_memory_desc_t>
        let sourceCount, destinationCount: Int
        let sourceIn: OneDNN.Primitive
        /// The residual into the blocked destination, for a sum post-op.
        let destinationIn: OneDNN.Primitive?
        let destinationOut: OneDNN.Primitive
    }

    private init(_ g: ConvolutionGeometry, weights: [Float], epilogue: FusedConvolution.Epilogue, algorithm: ConvolutionAlgorithm) {
        source = OneDNN.descriptor([g.batch, g.inputChannels, g.inputHeight, g.inputWidth], dnnl_nhwc)
        destination = OneDNN.descriptor([g.batch, g.outputChannels, g.outputHeight, g.outputWidth], dnnl_nhwc)
        bias = OneDNN.descriptor([g.outputChannels], dnnl_a)
        let plainWeights = OneDNN.descriptor([g.outputChannels, g.inputChannels, g.kernelHeight, g.kernelWidth], dnnl_oihw)
        defer { plainWeights.deallocate() }
        let wantsWinograd = algorithm == .winograd || (algorithm == .automatic && ConvolutionAlgorithm.prefersWinograd(g))
        if wantsWinograd, let winograd = Self.primitive(g, epilogue: epilogue, algorithm: dnnl_convolution_winograd,
                                                         source: nil, bias: bias, destination: nil) {
            primitive = winograd
            let blockedSource = winograd.memoryDescriptor(dnnl_query_src_md)
            let blockedDestination = winograd.memoryDescriptor(dnnl_query_dst_md)
            blocked = BlockedActivations(
                source: blockedSource, destination: blockedDestination,
                sourceCount: (dnnl_memory_desc_get_size(blockedSource) + 3) / 4,
                destinationCount: (dnnl_memory_desc_get_size(blockedDestination) + 3) / 4,
                sourceIn: OneDNN.reorder(from: source, to: blockedSource)!,
                destinationIn: epilogue.addsDestination ? OneDNN.reorder(from: destination, to: blockedDestination)! : nil,
                destinationOut: OneDNN.reorder(from: blockedDestination, to: destination)!)
        } else {
            guard let direct = Self.primitive(g, epilogue: epilogue, algorithm: dnnl_convolution_direct,
                                              source: source, bias: bias, destination: destination) else {
                preconditionFailure("oneDNN has no inference convolution for \(g)")
            }
            primitive = direct
            blocked = nil
        }

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

    /// The inference primitive of `algorithm` with bias and the epilogue's post-ops, or nil when
    /// oneDNN has none for the shape on this CPU. A nil source or destination lets the primitive
    /// choose the activations' layout; the weights' layout is always its choice.
    private static func primitive(_ g: ConvolutionGeometry, epilogue: FusedConvolution.Epilogue, algorithm: dnnl_alg_kind_t,
                                  source: UnsafePointer<dnnl_memory_desc_t>?, bias: UnsafePointer<dnnl_memory_desc_t>,
                                  destination: UnsafePointer<dnnl_memory_desc_t>?) -> OneDNN.Primitive? {
        let anySource = OneDNN.descriptor([g.batch, g.inputChannels, g.inputHeight, g.inputWidth], dnnl_format_tag_any)
        let anyDestination = OneDNN.descriptor([g.batch, g.outputChannels, g.outputHeight, g.outputWidth], dnnl_format_tag_any)
        let anyWeights = OneDNN.descriptor([g.outputChannels, g.inputChannels, g.kernelHeight, g.kernelWidth], dnnl_format_tag_any)
        defer { for descriptor in [anySource, anyDestination, anyWeights] { descriptor.deallocate() } }
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
        guard dnnl_convolution_forward_desc_init(&description, dnnl_forward_inference, algorithm, source ?? anySource, anyWeights, bias,
                                                 destination ?? anyDestination, strides, padding, padding) == dnnl_success else { return nil }
        var descriptor: dnnl_primitive_desc_t?
        guard dnnl_primitive_desc_create(&descriptor, &description, attributes, OneDNN.engine.handle, nil) == dnnl_success,
              let descriptor else { return nil }
        return OneDNN.Primitive(descriptor: descriptor, "inference convolution")
    }

    /// The implementation oneDNN picked for this plan (e.g. "jit_wino_4x3:avx512_core").
    var implementation: String { primitive.implementation }

    deinit {
        idle.withLock { $0.removeAll() }
        if let blocked {
            for reorder in [blocked.sourceIn, blocked.destinationOut] + (blocked.destinationIn.map { [$0] } ?? []) { Self.destroy(reorder) }
        }
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

    /// A stream and the memory objects of one execution, bound to the weights and bias once;
    /// source, destination and scratchpad are pointed at each call's buffers. The scratchpad is
    /// per call rather than per plan: Winograd's holds the transformed input (about 2.5 times the
    /// input), and one per layer would keep gigabytes of them for a wide network. Kept in a free
    /// list so concurrent calls each take their own (one caller at a time holds an execution,
    /// hence the unchecked Sendable).
    private final class Execution: @unchecked Sendable {
        let stream: dnnl_stream_t
        let source, weights, bias, destination: dnnl_memory_t
        let scratchpad: dnnl_memory_t?
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
            source = memory(plan.blocked?.source ?? plan.source, nil)
            destination = memory(plan.blocked?.destination ?? plan.destination, nil)
            weights = memory(primitive.memoryDescriptor(dnnl_query_weights_md), UnsafeMutableRawPointer(plan.blockedWeights))
            bias = memory(plan.bias, UnsafeMutableRawPointer(mutating: biasValues))
            var arguments = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: source), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weights),
                             dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: bias), dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: destination)]
            scratchpad = primitive.scratchpadBytes > 0 ? memory(primitive.memoryDescriptor(dnnl_query_scratchpad_md), nil) : nil
            if let scratchpad { arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratchpad)) }
            self.arguments = arguments
        }

        deinit {
            for memory in [source, weights, bias, destination] { dnnl_memory_destroy(memory) }
            if let scratchpad { dnnl_memory_destroy(scratchpad) }
            dnnl_stream_destroy(stream)
        }
    }

    private let idle = Mutex<[Execution]>([])

    /// `bias` must stay at the same address for the plan's life (the owning `FusedConvolution`'s array).
    /// The blocked copies and the scratchpad come from the bound `ConvolutionWorkspace`, if any.
    func run(source: UnsafePointer<Float>, bias: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>) {
        let scratchpadCount = (primitive.scratchpadBytes + 3) / 4
        guard let blocked else {
            ConvolutionWorkspace.withScratch([scratchpadCount]) { scratch in
                execute(source: source, bias: bias, destination: destination, scratchpad: scratch[0])
            }
            return
        }
        ConvolutionWorkspace.withScratch([blocked.sourceCount, blocked.destinationCount, scratchpadCount]) { scratch in
            let (blockedSource, blockedDestination) = (scratch[0], scratch[1])
            blocked.sourceIn.execute([(DNNL_ARG_FROM, self.source, UnsafeRawPointer(source)),
                                      (DNNL_ARG_TO, blocked.source, UnsafeRawPointer(blockedSource))])
            blocked.destinationIn?.execute([(DNNL_ARG_FROM, self.destination, UnsafeRawPointer(destination)),
                                            (DNNL_ARG_TO, blocked.destination, UnsafeRawPointer(blockedDestination))])
            execute(source: blockedSource, bias: bias, destination: blockedDestination, scratchpad: scratch[2])
            blocked.destinationOut.execute([(DNNL_ARG_FROM, blocked.destination, UnsafeRawPointer(blockedDestination)),
                                            (DNNL_ARG_TO, self.destination, UnsafeRawPointer(destination))])
        }
    }

    /// The primitive on buffers in its own layout.
    private func execute(source: UnsafePointer<Float>, bias: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>,
                         scratchpad: UnsafeMutablePointer<Float>) {
        let execution = idle.withLock { $0.popLast() } ?? Execution(self, bias: bias)
        OneDNN.check(dnnl_memory_set_data_handle(execution.source, UnsafeMutableRawPointer(mutating: source)), "binding the source")
        OneDNN.check(dnnl_memory_set_data_handle(execution.destination, UnsafeMutableRawPointer(destination)), "binding the destination")
        if let memory = execution.scratchpad {
            OneDNN.check(dnnl_memory_set_data_handle(memory, UnsafeMutableRawPointer(scratchpad)), "binding the scratchpad")
        }
        OneDNN.check(dnnl_primitive_execute(primitive.primitive, execution.stream, Int32(execution.arguments.count), execution.arguments),
                     "executing the inference convolution")
        OneDNN.check(dnnl_stream_wait(execution.stream), "waiting for the inference convolution")
        idle.withLock { $0.append(execution) }
    }
}
#endif
