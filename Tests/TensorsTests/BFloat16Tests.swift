import Kernels
import Testing
import Tensors

/// bfloat16 rounding against PyTorch's rule (round to nearest even on the upper 16 bits, NaN to
/// 0x7FC0), the vector loops against the scalar one, and the CPU check's message.
@Suite struct BFloat16Tests {
    @Test func roundsToNearestEven() {
        #expect(BFloat16.round(1.0) == 0x3F80)
        #expect(BFloat16.round(-2.0) == 0xC000)
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
        #expect(BFloat16.round(Float(bitPattern: 0x3F80_8000)) == 0x3F80)
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties go to the even one (up).
        #expect(BFloat16.round(Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        #expect(BFloat16.round(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(BFloat16.round(.infinity) == 0x7F80 && BFloat16.round(-.infinity) == 0xFF80)
        #expect(BFloat16.round(.nan) == 0x7FC0 && BFloat16.round(-Float.nan) == 0x7FC0)
        #expect(BFloat16.round(Float.greatestFiniteMagnitude) == 0x7F80, "overflows to infinity as in PyTorch")
        #expect(BFloat16.round(Float(bitPattern: 0x0000_8001)) == 0x0001, "subnormals round like any other value")
        #expect(BFloat16.widen(0x3FC0) == 1.5 && BFloat16.widen(0x8000) == 0 && BFloat16.widen(0x8000).sign == .minus)
    }

    @Test func vectorLoopsMatchTheScalarRule() {
        // Long enough to split over threads, and not a multiple of 16, so tails are covered.
        var generator = RandomGenerator(seed: 3)
        let count = 200_003
        var values = (0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: generator.next())) }
        values[5] = .nan
        values[count - 1] = Float(bitPattern: 0x3F81_8000)
        let rounded = BFloat16Buffer(rounding: values, count: count)
        let expected = values.map(BFloat16.round)
        #expect((0..<count).allSatisfy { rounded.pointer[$0] == expected[$0] })
        var widened = [Float](repeating: 0, count: count)
        BFloat16.widen(rounded.pointer, into: &widened, count: count)
        #expect((0..<count).allSatisfy { widened[$0].bitPattern == UInt32(expected[$0]) << 16 })
        var roundTrip = [Float](repeating: 0, count: count)
        BFloat16.roundToFloat(values, into: &roundTrip, count: count)
        #expect((0..<count).allSatisfy { roundTrip[$0].bitPattern == widened[$0].bitPattern })
    }

    @Test func relativeRoundingErrorIsAtMostHalfAnUlp() {
        var generator = RandomGenerator(seed: 4)
        for _ in 0..<10_000 {
            let value = Float(generator.nextUniform() * 2 - 1) * 1000
            let error = abs(BFloat16.widen(BFloat16.round(value)) - value)
            #expect(error <= abs(value) * 0x1p-8)
        }
    }

    @Test func unsupportedPrecisionNamesTheMissingFeature() {
        #expect(Precision.fp32.unsupportedReason == nil)
        if CPUFeatures.nativeBFloat16 {
            #expect(Precision.bf16.unsupportedReason == nil)
        } else {
            do {
                try Precision.bf16.requireSupport()
                Issue.record("bf16 was accepted on a CPU without native support")
            } catch {
                let message = "\(error)"
                #expect(message.hasPrefix("--precision bf16 needs a CPU with AVX512_BF16") && !message.contains("\n"), "\(message)")
            }
        }
    }
}
