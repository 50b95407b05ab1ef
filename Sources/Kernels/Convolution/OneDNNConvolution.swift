#if canImport(CDNNL)
import CDNNL
import Synchronization

/// The oneDNN primitives of one convolution geometry: forward, backward-data and
/// backward-weights, created once and cached. Activations stay NHWC, which oneDNN's brgconv
/// kernels read directly; weights arrive float32 OIHW and are reordered into the blocked layout
/// each primitive prefers (a few KB to a few MB, negligible next to the activations).
///
/// In float32 everything is float32. In bf16, as PyTorch's CPU autocast runs a convolution:
/// bf16 activations, output gradients and weights (the reorder rounds them), float32
/// accumulation, outputs (forward destination, backward-data source gradient) and weight and
/// bias gradients; on `avx512_core_bf16` oneDNN picks its native bf16 kernels, and a geometry
/// for which it has none, or only its slow reference one, gets no primitives (nil) so the
/// caller runs it in float32.
final class OneDNNConvolution: @unchecked Sendable {
    enum Precision: Hashable {
        case float32, bfloat16

        /// The type of the activations and output gradients read.
        var activations: dnnl_data_type_t { self == .float32 ? dnnl_f32 : dnnl_bf16 }
        var label: String { self == .float32 ? "" : "bf16 " }
    }

    private struct Key: Hashable {
        let geometry: ConvolutionGeometry
        let precision: Precision
    }

    private static let cache = Mutex<[Key: OneDNNConvolution?]>([:])

    /// The float32 primitives; oneDNN has a float32 kernel for every geometry.
    static func primitives(for geometry: ConvolutionGeometry) -> OneDNNConvolution {
        primitives(for: geometry, precision: .float32)!
    }

    /// The primitives in `precision`; nil in bf16 when a pass has no native kernel (cached too).
    static func primitives(for geometry: ConvolutionGeometry, precision: Precision) -> OneDNNConvolution? {
        let key = Key(geometry: geometry, precision: precision)
        if let cached = cache.withLock({ $0[key] }) { return cached }
        let created = OneDNNConvolution(geometry, precision: precision)
        return cache.withLock { cache in
            if let raced = cache[key] { return raced }
            cache[key] = .some(created)
            return created
        }
    }

    let geometry: ConvolutionGeometry
    private let source, gradientSource, destination, gradientDestination: UnsafePointer<dnnl_memory_desc_t>
    private let plainWeights, bias: UnsafePointer<dnnl_memory_desc_t>
    private let forwardPrimitive, backwardDataPrimitive, backwardWeightsPrimitive: OneDNN.Primitive
    private let forwardWeightsReorder, backwardDataWeightsReorder, gradientWeightsReorder: OneDNN.Primitive?

    private init?(_ g: ConvolutionGeometry, precision: Precision) {
        geometry = g
        let inputDims = [g.batch, g.inputChannels, g.inputHeight, g.inputWidth]
        let outputDims = [g.batch, g.outputChannels, g.outputHeight, g.outputWidth]
        let weightDims = [g.outputChannels, g.inputChannels, g.kernelHeight, g.kernelWidth]
        let type = precision.activations, label = precision.label
        source = OneDNN.descriptor(inputDims, dnnl_nhwc, type)
        gradientSource = OneDNN.descriptor(inputDims, dnnl_nhwc)
        destination = OneDNN.descriptor(outputDims, dnnl_nhwc)
        gradientDestination = OneDNN.descriptor(outputDims, dnnl_nhwc, type)
        plainWeights = OneDNN.descriptor(weightDims, dnnl_oihw)
        bias = OneDNN.descriptor([g.outputChannels], dnnl_a)
        let anyWeights = OneDNN.descriptor(weightDims, dnnl_format_tag_any, type)
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
        /// Creates the primitive descriptor of one pass: in float32 any failure is fatal (as
        /// `OneDNN.check`); in bf16 a failure or a reference kernel gives nil.
        func create(_ description: UnsafeRawPointer, hint: dnnl_primitive_desc_t?, _ what: String) -> dnnl_primitive_desc_t? {
            var descriptor: dnnl_primitive_desc_t?
            let status = dnnl_primitive_desc_create(&descriptor, description, attributes, OneDNN.engine.handle, hint)
            if precision == .float32 {
                OneDNN.check(status, "choosing a \(what) implementation for \(g)")
                return descriptor
            }
            return Self.isNative(status, descriptor) ? descriptor : nil
        }

        var forwardDescription = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_forward_desc_init(&forwardDescription, dnnl_forward_training, dnnl_convolution_direct,
                                                        source, anyWeights, biasDescriptor, destination, strides, padding, padding),
                     "describing \(label)\(g)")
        guard let forwardDescriptor = create(&forwardDescription, hint: nil, "forward") else { return nil }
        forwardPrimitive = OneDNN.Primitive(descriptor: forwardDescriptor, "\(label)forward convolution")

        var dataDescription = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_backward_data_desc_init(&dataDescription, dnnl_convolution_direct,
                                                              gradientSource, anyWeights, gradientDestination, strides, padding, padding),
                     "describing the \(label)backward-data pass of \(g)")
        guard let dataDescriptor = create(&dataDescription, hint: forwardDescriptor, "backward-data") else { return nil }
        backwardDataPrimitive = OneDNN.Primitive(descriptor: dataDescriptor, "\(label)backward-data convolution")

        var weightsDescription = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_backward_weights_desc_init(&weightsDescription, dnnl_convolution_direct, source,
                                                                 anyGradientWeights, biasDescriptor, gradientDestination,
                                                                 strides, padding, padding),
                     "describing the \(label)backward-weights pass of \(g)")
        guard let weightsDescriptor = create(&weightsDescription, hint: forwardDescriptor, "backward-weights") else { return nil }
        backwardWeightsPrimitive = OneDNN.Primitive(descriptor: weightsDescriptor, "\(label)backward-weights convolution")

        // In bf16 float32 OIHW and bf16 blocked always differ, so the first two always exist there.
        forwardWeightsReorder = OneDNN.reorder(from: plainWeights, to: forwardPrimitive.memoryDescriptor(dnnl_query_weights_md))
        backwardDataWeightsReorder = OneDNN.reorder(from: plainWeights, to: backwardDataPrimitive.memoryDescriptor(dnnl_query_weights_md))
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

    /// Runs `body` with the weights in the layout (and type) `primitive` wants, reordering into
    /// scratch memory if needed.
    private func withWeights(_ weights: UnsafePointer<Float>, reorder: OneDNN.Primitive?, for primitive: OneDNN.Primitive,
                             _ body: (UnsafeRawPointer) -> Void) {
        guard let reorder else {
            body(UnsafeRawPointer(weights))
            return
        }
        let blockedDescriptor = primitive.memoryDescriptor(dnnl_query_weights_md)
        let count = (dnnl_memory_desc_get_size(blockedDescriptor) + 3) / 4
        let blocked = AlignedMemory.allocate(count: count)
        defer { AlignedMemory.release(blocked, count: count) }
        reorder.execute([(DNNL_ARG_FROM, plainWeights, UnsafeRawPointer(weights)), (DNNL_ARG_TO, blockedDescriptor, UnsafeRawPointer(blocked))])
        body(UnsafeRawPointer(blocked))
    }

    /// `source` holds activations of the primitives' precision.
    func forward(source: UnsafeRawPointer, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 destination: UnsafeMutablePointer<Float>) {
        withWeights(weights, reorder: forwardWeightsReorder, for: forwardPrimitive) { blocked in
            var arguments: [(Int32, UnsafePointer<dnnl_memory_desc_t>, UnsafeRawPointer)] = [
                (DNNL_ARG_SRC, self.source, source),
                (DNNL_ARG_WEIGHTS, forwardPrimitive.memoryDescriptor(dnnl_query_weights_md), blocked),
                (DNNL_ARG_DST, self.destination, UnsafeRawPointer(destination)),
            ]
            if geometry.hasBias, let bias { arguments.append((DNNL_ARG_BIAS, self.bias, UnsafeRawPointer(bias))) }
            forwardPrimitive.execute(arguments)
        }
    }

    /// `gradientDestination` holds gradients of the primitives' precision.
    func backwardData(gradientDestination: UnsafeRawPointer, weights: UnsafePointer<Float>, gradientSource: UnsafeMutablePointer<Float>) {
        withWeights(weights, reorder: backwardDataWeightsReorder, for: backwardDataPrimitive) { blocked in
            backwardDataPrimitive.execute([
                (DNNL_ARG_DIFF_DST, self.gradientDestination, gradientDestination),
                (DNNL_ARG_WEIGHTS, backwardDataPrimitive.memoryDescriptor(dnnl_query_weights_md), blocked),
                (DNNL_ARG_DIFF_SRC, self.gradientSource, UnsafeRawPointer(gradientSource)),
            ])
        }
    }

    /// `source` and `gradientDestination` hold values of the primitives' precision; the
    /// gradients written are float32.
    func backwardWeights(source: UnsafeRawPointer, gradientDestination: UnsafeRawPointer,
                         gradientWeights: UnsafeMutablePointer<Float>, gradientBias: UnsafeMutablePointer<Float>?) {
        let diffWeights = backwardWeightsPrimitive.memoryDescriptor(dnnl_query_diff_weights_md)
        let count = (dnnl_memory_desc_get_size(diffWeights) + 3) / 4
        let blocked = gradientWeightsReorder == nil ? gradientWeights : AlignedMemory.allocate(count: count)
        defer { if gradientWeightsReorder != nil { AlignedMemory.release(blocked, count: count) } }
        let biasCount = geometry.outputChannels
        let biasGradient = gradientBias ?? (geometry.hasBias ? AlignedMemory.allocate(count: biasCount) : nil)
        defer { if gradientBias == nil, let biasGradient { AlignedMemory.release(biasGradient, count: biasCount) } }
        var arguments: [(Int32, UnsafePointer<dnnl_memory_desc_t>, UnsafeRawPointer)] = [
            (DNNL_ARG_SRC, self.source, source),
            (DNNL_ARG_DIFF_DST, self.gradientDestination, gradientDestination),
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
