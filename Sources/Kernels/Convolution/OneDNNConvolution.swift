#if canImport(CDNNL)
import CDNNL
import Synchronization

/// The oneDNN primitives of one convolution geometry: forward, backward-data and
/// backward-weights, created once and cached. Activations stay NHWC, which oneDNN's brgconv
/// kernels read directly; weights arrive float32 OIHW and are reordered into the blocked layout
/// each primitive prefers (a few KB to a few MB, negligible next to the activations). Where
/// `Convolution.algorithm` picks Winograd for the geometry, the three passes run it on
/// oneDNN's channel-blocked activations, reordered from and to NHWC around each call.
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
        let winograd: Bool
    }

    private static let cache = Mutex<[Key: OneDNNConvolution?]>([:])

    /// The float32 primitives; oneDNN has a float32 kernel for every geometry.
    static func primitives(for geometry: ConvolutionGeometry) -> OneDNNConvolution {
        primitives(for: geometry, precision: .float32)!
    }

    /// The primitives in `precision`; nil in bf16 when a pass has no native kernel (cached too).
    static func primitives(for geometry: ConvolutionGeometry, precision: Precision) -> OneDNNConvolution? {
        // oneDNN 2.6 has Winograd in float32 only.
        let winograd = precision == .float32 && Convolution.algorithm.choosesWinograd(for: geometry)
        let key = Key(geometry: geometry, precision: precision, winograd: winograd)
        if let cached = cache.withLock({ $0[key] }) { return cached }
        let created = winograd ? OneDNNConvolution(geometry, precision: precision, algorithm: dnnl_convolution_winograd)
            ?? OneDNNConvolution(geometry, precision: precision) : OneDNNConvolution(geometry, precision: precision)
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
    /// NHWC to and from the layouts the passes chose (all nil for the direct kernels, which read NHWC).
    private let layouts: Layouts

    private struct Layouts {
        let forwardSource, forwardDestination, dataGradientDestination, dataGradientSource: OneDNN.Primitive?
        let weightsSource, weightsGradientDestination: OneDNN.Primitive?
    }

    /// The primitives with the direct algorithm, or with Winograd (nil where oneDNN has none).
    private init?(_ g: ConvolutionGeometry, precision: Precision, algorithm: dnnl_alg_kind_t = dnnl_convolution_direct) {
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
        // Winograd chooses its activations' layout too.
        let isWinograd = algorithm == dnnl_convolution_winograd
        let anyInput = OneDNN.descriptor(inputDims, dnnl_format_tag_any), anyOutput = OneDNN.descriptor(outputDims, dnnl_format_tag_any)
        let (passSource, passGradientSource) = isWinograd ? (anyInput, anyInput) : (source, gradientSource)
        let (passDestination, passGradientDestination) = isWinograd ? (anyOutput, anyOutput) : (destination, gradientDestination)
        defer {
            for descriptor in [anyWeights, anyGradientWeights, anyInput, anyOutput] { descriptor.deallocate() }
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
            if isWinograd { return status == dnnl_success ? descriptor : nil }
            if precision == .float32 {
                OneDNN.check(status, "choosing a \(what) implementation for \(g)")
                return descriptor
            }
            return Self.isNative(status, descriptor) ? descriptor : nil
        }

        var forwardDescription = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_forward_desc_init(&forwardDescription, dnnl_forward_training, algorithm, passSource, anyWeights,
                                                        biasDescriptor, passDestination, strides, padding, padding),
                     "describing \(label)\(g)")
        guard let forwardDescriptor = create(&forwardDescription, hint: nil, "forward") else { return nil }
        forwardPrimitive = OneDNN.Primitive(descriptor: forwardDescriptor, "\(label)forward convolution")

        var dataDescription = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_backward_data_desc_init(&dataDescription, algorithm, passGradientSource, anyWeights,
                                                              passGradientDestination, strides, padding, padding),
                     "describing the \(label)backward-data pass of \(g)")
        guard let dataDescriptor = create(&dataDescription, hint: forwardDescriptor, "backward-data") else { return nil }
        backwardDataPrimitive = OneDNN.Primitive(descriptor: dataDescriptor, "\(label)backward-data convolution")

        var weightsDescription = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_backward_weights_desc_init(&weightsDescription, algorithm, passSource,
                                                                 anyGradientWeights, biasDescriptor, passGradientDestination,
                                                                 strides, padding, padding),
                     "describing the \(label)backward-weights pass of \(g)")
        guard let weightsDescriptor = create(&weightsDescription, hint: forwardDescriptor, "backward-weights") else { return nil }
        backwardWeightsPrimitive = OneDNN.Primitive(descriptor: weightsDescriptor, "\(label)backward-weights convolution")

        // In bf16 float32 OIHW and bf16 blocked always differ, so the first two always exist there.
        forwardWeightsReorder = OneDNN.reorder(from: plainWeights, to: forwardPrimitive.memoryDescriptor(dnnl_query_weights_md))
        backwardDataWeightsReorder = OneDNN.reorder(from: plainWeights, to: backwardDataPrimitive.memoryDescriptor(dnnl_query_weights_md))
        gradientWeightsReorder = OneDNN.reorder(from: backwardWeightsPrimitive.memoryDescriptor(dnnl_query_diff_weights_md), to: plainWeights)
        layouts = Layouts(
            forwardSource: OneDNN.reorder(from: source, to: forwardPrimitive.memoryDescriptor(dnnl_query_src_md)),
            forwardDestination: OneDNN.reorder(from: forwardPrimitive.memoryDescriptor(dnnl_query_dst_md), to: destination),
            dataGradientDestination: OneDNN.reorder(from: gradientDestination, to: backwardDataPrimitive.memoryDescriptor(dnnl_query_diff_dst_md)),
            dataGradientSource: OneDNN.reorder(from: backwardDataPrimitive.memoryDescriptor(dnnl_query_diff_src_md), to: gradientSource),
            weightsSource: OneDNN.reorder(from: source, to: backwardWeightsPrimitive.memoryDescriptor(dnnl_query_src_md)),
            weightsGradientDestination: OneDNN.reorder(from: gradientDestination,
                                                       to: backwardWeightsPrimitive.memoryDescriptor(dnnl_query_diff_dst_md)))
    }

    /// Runs `body` with an input given NHWC (`plain`) in the layout `layout` describes, reordered
    /// into scratch memory when `reorder` exists.
    private func withInput(_ buffer: UnsafeRawPointer, plain: UnsafePointer<dnnl_memory_desc_t>, reorder: OneDNN.Primitive?,
                           layout: UnsafePointer<dnnl_memory_desc_t>, _ body: (UnsafeRawPointer) -> Void) {
        guard let reorder else { return body(buffer) }
        let count = (dnnl_memory_desc_get_size(layout) + 3) / 4
        let blocked = AlignedMemory.allocate(count: count)
        defer { AlignedMemory.release(blocked, count: count) }
        reorder.execute([(DNNL_ARG_FROM, plain, buffer), (DNNL_ARG_TO, layout, UnsafeRawPointer(blocked))])
        body(UnsafeRawPointer(blocked))
    }

    /// Runs `body` with an output buffer in the layout `layout` describes, reordered into the
    /// NHWC `buffer` after it when `reorder` exists.
    private func withOutput(_ buffer: UnsafeMutablePointer<Float>, plain: UnsafePointer<dnnl_memory_desc_t>, reorder: OneDNN.Primitive?,
                            layout: UnsafePointer<dnnl_memory_desc_t>, _ body: (UnsafeRawPointer) -> Void) {
        guard let reorder else { return body(UnsafeRawPointer(buffer)) }
        let count = (dnnl_memory_desc_get_size(layout) + 3) / 4
        let blocked = AlignedMemory.allocate(count: count)
        defer { AlignedMemory.release(blocked, count: count) }
        body(UnsafeRawPointer(blocked))
        reorder.execute([(DNNL_ARG_FROM, layout, UnsafeRawPointer(blocked)), (DNNL_ARG_TO, plain, UnsafeRawPointer(buffer))])
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
        let sourceLayout = forwardPrimitive.memoryDescriptor(dnnl_query_src_md)
        let destinationLayout = forwardPrimitive.memoryDescriptor(dnnl_query_dst_md)
        withWeights(weights, reorder: forwardWeightsReorder, for: forwardPrimitive) { blocked in
            withInput(source, plain: self.source, reorder: layouts.forwardSource, layout: sourceLayout) { source in
                withOutput(destination, plain: self.destination, reorder: layouts.forwardDestination, layout: destinationLayout) { destination in
                    var arguments: [(Int32, UnsafePointer<dnnl_memory_desc_t>, UnsafeRawPointer)] = [
                        (DNNL_ARG_SRC, sourceLayout, source),
                        (DNNL_ARG_WEIGHTS, forwardPrimitive.memoryDescriptor(dnnl_query_weights_md), blocked),
                        (DNNL_ARG_DST, destinationLayout, destination),
                    ]
                    if geometry.hasBias, let bias { arguments.append((DNNL_ARG_BIAS, self.bias, UnsafeRawPointer(bias))) }
                    forwardPrimitive.execute(arguments)
                }
            }
        }
    }

    /// `gradientDestination` holds gradients of the primitives' precision.
    func backwardData(gradientDestination: UnsafeRawPointer, weights: UnsafePointer<Float>, gradientSource: UnsafeMutablePointer<Float>) {
        let gradientDestinationLayout = backwardDataPrimitive.memoryDescriptor(dnnl_query_diff_dst_md)
        let gradientSourceLayout = backwardDataPrimitive.memoryDescriptor(dnnl_query_diff_src_md)
        withWeights(weights, reorder: backwardDataWeightsReorder, for: backwardDataPrimitive) { blocked in
            withInput(gradientDestination, plain: self.gradientDestination, reorder: layouts.dataGradientDestination,
                      layout: gradientDestinationLayout) { gradientDestination in
                withOutput(gradientSource, plain: self.gradientSource, reorder: layouts.dataGradientSource,
                           layout: gradientSourceLayout) { gradientSource in
                    backwardDataPrimitive.execute([
                        (DNNL_ARG_DIFF_DST, gradientDestinationLayout, gradientDestination),
                        (DNNL_ARG_WEIGHTS, backwardDataPrimitive.memoryDescriptor(dnnl_query_weights_md), blocked),
                        (DNNL_ARG_DIFF_SRC, gradientSourceLayout, gradientSource),
                    ])
                }
            }
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
        let sourceLayout = backwardWeightsPrimitive.memoryDescriptor(dnnl_query_src_md)
        let gradientDestinationLayout = backwardWeightsPrimitive.memoryDescriptor(dnnl_query_diff_dst_md)
        withInput(source, plain: self.source, reorder: layouts.weightsSource, layout: sourceLayout) { source in
            withInput(gradientDestination, plain: self.gradientDestination, reorder: layouts.weightsGradientDestination,
                      layout: gradientDestinationLayout) { gradientDestination in
                var arguments: [(Int32, UnsafePointer<dnnl_memory_desc_t>, UnsafeRawPointer)] = [
                    (DNNL_ARG_SRC, sourceLayout, source),
                    (DNNL_ARG_DIFF_DST, gradientDestinationLayout, gradientDestination),
                    (DNNL_ARG_DIFF_WEIGHTS, diffWeights, UnsafeRawPointer(blocked)),
                ]
                if let biasGradient { arguments.append((DNNL_ARG_DIFF_BIAS, self.bias, UnsafeRawPointer(biasGradient))) }
                backwardWeightsPrimitive.execute(arguments)
            }
        }
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
