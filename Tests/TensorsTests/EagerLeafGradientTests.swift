import Testing
import Tensors

/// `backward(gradientIsFinal:)` reports each leaf as soon as its last consumer is done, with
/// the gradients `backward()` computes.
@Suite struct EagerLeafGradientTests {
    @Test func leavesAreReportedWhenTheirLastUseIsDifferentiated() {
        // a is created first but used last: plain creation order would report it last.
        func leaves() -> (Tensor, Tensor, Tensor) {
            (Tensor([1.5, -2], shape: [2]).requiringGradient(), Tensor([0.5, 3], shape: [2]).requiringGradient(),
             Tensor([2, 1], shape: [2]).requiringGradient())
        }
        func loss(_ a: Tensor, _ b: Tensor, _ c: Tensor) -> Tensor {
            let inner = (c * c + c).exp()      // c used twice by the first ops
            return (a * (b * inner)).sum() + (b * b).sum()
        }
        let (a, b, c) = leaves()
        loss(a, b, c).backward()
        let (a2, b2, c2) = leaves()
        let names = [a2.leafIdentifier!: "a", b2.leafIdentifier!: "b", c2.leafIdentifier!: "c"]
        var reported: [(String, [Float])] = []
        loss(a2, b2, c2).backward { leaf, gradient in reported.append((names[leaf]!, gradient.scalars)) }
        #expect(reported.map(\.0) == ["a", "b", "c"])
        #expect(reported.map(\.1) == [a.gradient!.scalars, b.gradient!.scalars, c.gradient!.scalars])
        #expect(a2.gradient!.scalars == a.gradient!.scalars && c2.gradient!.scalars == c.gradient!.scalars)
    }
}
