import Kernels
import NN
import Testing
import Tensors
import TestSupport

/// Convolutions and linear layers in an `Autocast` bf16 scope, forward and backward, on every
/// engine this CPU runs (the portable one always; oneDNN where the CPU has native bf16):
/// - against float32 on the same values, within what 8 mantissa bits allow;
/// - against float32 on bf16-rounded operands (incoming gradient included; biases stay float32),
///   which bf16 products with float32 accumulation must reproduce up to summation order;
/// - other layers are untouched by the scope.
@Suite struct BFloat16LayerTests {
    static let engines: [Convolution.Backend] = CPUFeatures.nativeBFloat16 ? [.gemm, .oneDNN] : [.gemm]

    /// A float32 tensor holding the bf16 rounding of each element.
    func rounded(_ tensor: Tensor) -> Tensor {
        Tensor(tensor.scalars.map { BFloat16.widen(BFloat16.round($0)) }, shape: tensor.shape).converted(to: tensor.format)
    }

    /// Output and gradients of `f` with respect to every input, for the upstream gradient `seed`.
    func evaluate(_ inputs: [Tensor], seed: Tensor, _ f: ([Tensor]) -> Tensor) -> [Tensor] {
        let leaves = inputs.map { $0.requiringGradient() }
        let output = f(leaves)
        return [output.detached()] + gradients(of: output, withRespectTo: leaves, seed: seed.converted(to: output.format))
    }

    /// `rounding` inputs are the op's bf16 operands; the rest (biases) stay float32.
    func compare(_ inputs: [Tensor], rounding: Int, seed: Tensor, engine: Convolution.Backend, _ f: @escaping ([Tensor]) -> Tensor,
                 sourceLocation: SourceLocation = #_sourceLocation) {
        let mixed = Autocast.run(.bf16, backend: engine) { evaluate(inputs, seed: seed, f) }
        let full = evaluate(inputs, seed: seed, f)
        let operands = inputs.enumerated().map { $0.offset < rounding ? rounded($0.element) : $0.element }
        let emulated = evaluate(operands, seed: rounded(seed), f)
        for (index, (value, (reference, exact))) in zip(mixed, zip(full, emulated)).enumerated() {
            let what = index == 0 ? "output" : "gradient of input \(index - 1)"
            #expect(value.shape == reference.shape, "\(what)", sourceLocation: sourceLocation)
            let bf16Error = relativeError(value.contiguous(), reference.contiguous())
            #expect(bf16Error < 1.5e-2 && bf16Error > 0, "\(what) against fp32: \(bf16Error)", sourceLocation: sourceLocation)
            let roundingError = relativeError(value.contiguous(), exact.contiguous())
            #expect(roundingError < 1e-5, "\(what) against fp32 on rounded operands: \(roundingError)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: engines)
    func convolution(engine: Convolution.Backend) {
        let x = randomTensor([2, 5, 7, 6], seed: 1), w = randomTensor([6, 5, 3, 3], seed: 2), b = randomTensor([6], seed: 3)
        compare([x, w, b], rounding: 2, seed: randomTensor([2, 6, 7, 6], seed: 4), engine: engine) {
            $0[0].convolved2D(weight: $0[1], bias: $0[2], padding: 1)
        }
        let y = randomTensor([3, 8, 6, 6], seed: 5).converted(to: .channelsLast)
        compare([y, randomTensor([4, 8, 1, 1], seed: 6)], rounding: 2, seed: randomTensor([3, 4, 3, 3], seed: 7), engine: engine) {
            $0[0].convolved2D(weight: $0[1], stride: 2)
        }
    }

    @Test(arguments: engines)
    func linear(engine: Convolution.Backend) {
        var generator = RandomGenerator(seed: 8)
        let layer = Linear(24, 10, generator: &generator)
        let x = randomTensor([5, 24], seed: 9)
        compare([x, layer.weight.value], rounding: 2, seed: randomTensor([5, 10], seed: 10), engine: engine) { inputs in
            Autocast.current.precision == .bf16
                ? Tensor.linearBFloat16(inputs[0], weight: inputs[1])
                : Tensor.matmul(inputs[0], inputs[1], transposeB: true)
        }
        let mixed = Autocast.run(.bf16, backend: engine) { layer(x) }
        #expect(relativeError(mixed, layer(x)) < 1.5e-2, "the layer takes the bf16 path in the scope")
    }

    @Test func otherLayersAreUnchangedByTheScope() {
        let x = randomTensor([2, 6, 8, 8], seed: 11).converted(to: .channelsLast)
        let norm = BatchNorm2d(6, fusedReLU: true), pool = MaxPool2d(kernelSize: 2, stride: 2)
        let plain = pool(norm(x))
        let scoped = Autocast.run(.bf16, backend: .gemm) { pool(norm(x)) }
        #expect(plain.scalars == scoped.scalars)
    }
}
