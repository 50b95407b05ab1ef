import Testing
import Tensors
import TestSupport

/// PyTorch 2.15 reference values from Tests/Oracles/ops.safetensors.
@Suite struct TensorOracleTests {
    @Test func linearThenCrossEntropy() throws {
        let file = try Oracles.file("ops.safetensors")
        let x = try file.tensor("linear_ce.x").requiringGradient()
        let w = try file.tensor("linear_ce.w").requiringGradient()
        let b = try file.tensor("linear_ce.b").requiringGradient()
        let labels = try file.integers("linear_ce.labels").map(Int32.init)
        let logits = Tensor.matmul(x, w, transposeB: true) + b
        let loss = Tensor.crossEntropy(logits: logits, labels: labels)
        #expect(relativeError(logits.detached(), try file.tensor("linear_ce.logits")) < 1e-5)
        #expect(relativeError(loss.scalars, try file.floats("linear_ce.loss")) < 1e-5)
        let (gx, gw, gb) = { let g = gradients(of: loss, withRespectTo: [x, w, b]); return (g[0], g[1], g[2]) }()
        #expect(relativeError(gx, try file.tensor("linear_ce.gx")) < 1e-5)
        #expect(relativeError(gw, try file.tensor("linear_ce.gw")) < 1e-5)
        #expect(relativeError(gb, try file.tensor("linear_ce.gb")) < 1e-5)
    }

    @Test func crossEntropyWithLabelSmoothing() throws {
        let file = try Oracles.file("ops.safetensors")
        let logits = try file.tensor("ce_smooth.logits").requiringGradient()
        let labels = try file.integers("ce_smooth.labels").map(Int32.init)
        let loss = Tensor.crossEntropy(logits: logits, labels: labels, labelSmoothing: 0.1)
        #expect(relativeError(loss.scalars, try file.floats("ce_smooth.loss")) < 1e-5)
        loss.backward()
        #expect(relativeError(logits.gradient!, try file.tensor("ce_smooth.glogits")) < 1e-5)
    }
}
