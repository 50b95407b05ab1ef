import Testing
import Tensors

/// The worked example of the Tensors documentation catalog (Sources/Tensors/Tensors.docc), as written there.
@Suite struct TensorsDocumentationExampleTests {
    @Test func gradientOfASumOfSquares() {
        let x = Tensor([1, 2, 3], shape: [3]).requiringGradient()
        let y = (x * x).sum()
        y.backward()
        #expect(y.scalars == [14])
        #expect(x.gradient!.scalars == [2, 4, 6])
    }
}
