#if canImport(CDNNL)
import CDNNL
import Synchronization

/// The oneDNN primitives of one convolution geometry in mixed precision, as PyTorch's CPU
/// autocast runs it: bfloat16 activations and weights, float32 accumulation, float32 outputs
/// (forward destination and backward-data source gradient) and float32 weight and bias
/// gradients. On `avx512_core_bf16` oneDNN picks its native bf16 kernels. Weights arrive as
/// float32 OIHW; the reorder into each primitive's blocked layout also rounds them to bf16.
///
/// A geometry for which oneDNN has no bf16 kernel, or only its slow reference one, gets no
/// primitives (nil); the caller then runs that convolution in float32.
final class OneDNNConvolutionBFloat16: @unchecked Sendable {
    private static let cache = Mutex<[ConvolutionGeometry: OneDNNConvolutionBFloat16?]>([:])

    static func primitives(for geometry: ConvolutionGeometry) -> OneDNNConvolutionBFloat16? {
        if let cached = cache.withLock({ $0[geometry] }) { return cached }
        let created = OneDNNConvolutionBFloat16(geometry)
        return cache.withLock { cache in
            if let raced = cache[geometry] { return raced }
            cache[geometry] = .some(created)  // nil is cached too: no kernel for this geometry
            return created
        }
    }

    let geometry: ConvolutionGeometry
    private let source, gradientSource, destination, gradientDestination: UnsafePointer<dnnl_memory_desc_t>
    private let plainWeights, bias: UnsafePointer<dnnl_memory_desc_t>
    private let forwardPrimitive, backwardDataPrimitive, backwardWeightsPrimitive: OneDNN.Primitive
    private let forwardWeightsReorder, backwardDataWeightsReorder: OneDNN.Primitive
    private let gradientWeightsReorder: OneDNN.Primitive?

    private init?(_ g: ConvolutionGeometry) {
        geometry = g
        let inputDims = [g.batch, g.inputChannels, g.inputHeight, g.inputWidth]
        let outputDims = [g.batch, g.outputChannels, g.outputHeight, g.outputWidth]
        let weightDims = [g.outputChannels, g.inputChannels, g.kernelHeight, g.kernelWidth]
        source = OneDNN.descriptor(inputDims, dnnl_nhwc, dnnl_bf16)
        gradientSource = OneDNN.descriptor(inputDims, dnnl_nhwc)
        destination = OneDNN.descriptor(outputDims, dnnl_nhwc)
        gradientDestination = OneDNN.descriptor(outputDims, dnnl_nhwc, dnnl_bf16)
        plainWeights = OneDNN.descriptor(weightDims, dnnl_oihw)
        bias = OneDNN.descriptor([g.outputChannels], dnnl_a)
        let anyWeights = OneDNN.descriptor(weightDims, dnnl_format_tag_any, dnnl_bf16)
        let anyGradientWeights = OneDNN.descriptor(weightDims, dnnl_format_tag_any)
        defer {
            anyWeights.deallocate()
            anyGradientWeights.deallocate()
        }
        let strides: [Int64] = [Int64(g.strideHeight), Int64(g.strideWidth)]
        let padding: [Int64] = [Int64(g.paddingHeight), Int64(g.paddingWidth)]
        let attributes = OneDNN.userScratchpadAttributes()
        defer { dnnl_primitive_attr_destroy(attributes) }
        let biasDescriptor = g.hasBias ? bias : nil

        var forwardDescription = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_forward_desc_init(&forwardDescription, dnnl_forward_training, dnnl_convolution_direct,
                                                        source, anyWeights, biasDescriptor, destination, strides, padding, padding),
                     "describing bf16 \(g)")
        var forwardDescriptor: dnnl_primitive_desc_t?
        guard Self.isNative(dnnl_primitive_desc_create(&forwardDescriptor, &forwardDescription, attributes, OneDNN.engine.handle, nil),
                            forwardDescriptor) else { return nil }
        forwardPrimitive = OneDNN.Primitive(descriptor: forwardDescriptor!, "bf16 forward convolution")

        var dataDescription = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_backward_data_desc_init(&dataDescription, dnnl_convolution_direct,
                                                              gradientSource, anyWeights, gradientDestination, strides, padding, padding),
                     "describing the bf16 backward-data pass of \(g)")
        var dataDescriptor: dnnl_primitive_desc_t?
        guard Self.isNative(dnnl_primitive_desc_create(&dataDescriptor, &dataDescription, attributes, OneDNN.engine.handle, forwardDescriptor),
                            dataDescriptor) else { return nil }
        backwardDataPrimitive = OneDNN.Primitive(descriptor: dataDescriptor!, "bf16 backward-data convolution")

        var weightsDescription = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_backward_weights_desc_init(&weightsDescription, dnnl_convolution_direct, source,
                                                                 anyGradientWeights, biasDescriptor, gradientDestination,
                                                                 strides, padding, padding),
                     "describing the bf16 backward-weights pass of \(g)")
        var weightsDescriptor: dnnl_primitive_desc_t?
        guard Self.isNative(dnnl_primitive_desc_create(&weightsDescriptor, &weightsDescription, attributes, OneDNN.engine.handle,
                                                       forwardDescriptor), weightsDescriptor) else { return nil }
        backwardWeightsPrimitive = OneDNN.Primitive(descriptor: weightsDescriptor!, "bf16 backward-weights convolution")

        // float32 OIHW and bf16 blocked always differ, so these reorders always exist.
        forwardWeightsReorder = OneDNN.reorder(from: plainWeights, to: forwardPrimitive.memoryDescriptor(dnnl_query_weights_md))!
        backwardDataWeightsReorder = OneDNN.reorder(from: plainWeights, to: backwardDataPrimitive.memoryDescriptor(dnnl_query_weights_md))!
        gradientWeightsReorder = OneDNN.reorder(from: backwardWeightsPrimitive.memoryDescriptor(dnnl_query_diff_weights_md), to: plainWeights)
    }

    /// True when oneDNN created the descriptor with a real kernel rather than its reference loops.
    private static func isNative(_ status: dnnl_status_t, _ descriptor: dnnl_primitive_desc_t?) -> Bool {
        guard status == dnnl_success, let descriptor else { return false }
        var name: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name)
        if let name, !String(cString: name).hasPrefix("ref") { return true }
        dnnl_primitive_desc_destroy(descriptor)
        return false
    }

    /// Runs `body` with the float32 OIHW weights rounded to bf16 in the layout `primitive` wants.
    private func withWeights(_ weights: UnsafePointer<Float>, reorder: OneDNN.Primitive, for primitive: OneDNN.Primitive,
                             _ body: (UnsafeRawPointer) -> Void) {
        let blockedDescriptor = primitive.memoryDescriptor(dnnl_query_weights_md)
        let count = (dnnl_memory_desc_get_size(blockedDescriptor) + 3) / 4
        let blocked = AlignedMemory.allocate(count: count)
        defer { AlignedMemory.release(blocked, count: count) }
        reorder.execute([(DNNL_ARG_FROM, plainWeights, UnsafeRawPointer(weights)), (DNNL_ARG_TO, blockedDescriptor, UnsafeRawPointer(blocked))])
        body(UnsafeRawPointer(blocked))
    }

    func forward(source: UnsafePointer<BFloat16.Bits>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 destination: UnsafeMutablePointer<Float>) {
        withWeights(weights, reorder: forwardWeightsReorder, for: forwardPrimitive) { blocked in
            var arguments: [(Int32, UnsafePointer<dnnl_memory_desc_t>, UnsafeRawPointer)] = [
                (DNNL_ARG_SRC, self.source, UnsafeRawPointer(source)),
                (DNNL_ARG_WEIGHTS, forwardPrimitive.memoryDescriptor(dnnl_query_weights_md), blocked),
                (DNNL_ARG_DST, self.destination, UnsafeRawPointer(destination)),
            ]
            if geometry.hasBias, let bias { arguments.append((DNNL_ARG_BIAS, self.bias, UnsafeRawPointer(bias))) }
            forwardPrimitive.execute(arguments)
        }
    }

    func backwardData(gradientDestination: UnsafePointer<BFloat16.Bits>, weights: UnsafePointer<Float>,
                      gradientSource: UnsafeMutablePointer<Float>) {
        withWeights(weights, reorder: backwardDataWeightsReorder, for: backwardDataPrimitive) { blocked in
            backwardDataPrimitive.execute([
                (DNNL_ARG_DIFF_DST, self.gradientDestination, UnsafeRawPointer(gradientDestination)),
                (DNNL_ARG_WEIGHTS, backwardDataPrimitive.memoryDescriptor(dnnl_query_weights_md), blocked),
                (DNNL_ARG_DIFF_SRC, self.gradientSource, UnsafeRawPointer(gradientSource)),
            ])
        }
    }

    func backwardWeights(source: UnsafePointer<BFloat16.Bits>, gradientDestination: UnsafePointer<BFloat16.Bits>,
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
            (DNNL_ARG_DIFF_DST, self.gradientDestination, UnsafeRawPointer(gradientDestination)),
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
