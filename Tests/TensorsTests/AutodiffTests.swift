import Testing
import Tensors
import TestSupport

@Suite struct AutodiffTests {
    @Test func backwardAccumulatesIntoLeaves() {
        let w = Tensor([1, 2, 3], shape: [3]).requiringGradient()
        (w * w).sum().backward()
        #expect(w.gradient!.scalars == [2, 4, 6])
        (w * 3).sum().backward()
        #expect(w.gradient!.scalars == [5, 7, 9])
        w.clearGradient()
        #expect(w.gradient == nil)
    }

    @Test func sharedSubexpressionsSumTheirContributions() {
        let x = Tensor([2], shape: [1]).requiringGradient()
        let y = x * x
        let z = y * y + y  // x^4 + x^2: derivative 4x^3 + 2x = 36 at x = 2
        z.sum().backward()
        #expect(x.gradient!.scalars == [36])
    }

    @Test func gradientsWithRespectToSelectedInputsLeaveLeavesUntouched() {
        let a = Tensor([1, 2], shape: [2]).requiringGradient()
        let b = Tensor([3, 4], shape: [2]).requiringGradient()
        let unused = Tensor([5], shape: [1]).requiringGradient()
        let loss = (a * b).sum()
        let grads = gradients(of: loss, withRespectTo: [b, unused])
        #expect(grads[0].scalars == [1, 2])
        #expect(grads[1].scalars == [0])
        #expect(a.gradient == nil && b.gradient == nil)
    }

    @Test func noGradientScopeRecordsNothing() {
        let w = Tensor([1, 2], shape: [2]).requiringGradient()
        let inside = withoutGradients { (w * 2).exp() }
        #expect(!inside.requiresGradient)
        #expect((w * 2).requiresGradient)
        #expect(!(Tensor([1], shape: [1]) * 2).requiresGradient)
    }

    @Test func valueAndGradientsInOneCall() {
        let (value, grads) = valueWithGradients(at: [Tensor([3], shape: [1])]) { ($0[0] * $0[0] * $0[0]).sum() }
        #expect(value.item == 27)
        #expect(grads[0].scalars == [27])
    }

    @Test func customOpWithHandWrittenBackward() {
        // softplus(x) = log(1 + exp(x)), with derivative sigmoid(x), as a user-defined op.
        func softplus(_ x: Tensor) -> Tensor {
            let output = withoutGradients { (x.exp() + 1).log() }
            return .differentiable("softplus", inputs: [x], output: output) { g, needs in
                [needs[0] ? g * x.sigmoid() : nil]
            }
        }
        let x = randomTensor([4, 3], seed: 1, lower: -3, upper: 3)
        #expect(gradientErrors([x]) { softplus($0[0]) }[0] < 1e-2)
        #expect(!softplus(x).requiresGradient)
    }

    @Test func graphIsFreedAfterBackward() async {
        await #expect(processExitsWith: .failure) {
            let w = Tensor([1], shape: [1]).requiringGradient()
            let loss = (w * w).sum()
            loss.backward()
            loss.backward()
        }
    }

    @Test func retainedGraphCanBeReused() {
        let w = Tensor([3], shape: [1]).requiringGradient()
        let loss = (w * w).sum()
        loss.backward(retainGraph: true)
        loss.backward()
        #expect(w.gradient!.scalars == [12])
    }

    @Test func shapeMismatchTrapsNamingTheShapes() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
    }
}
