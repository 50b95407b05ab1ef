/// The vector type of every SIMD loop. Sixteen lanes fill an AVX-512 register, two AVX2 registers
/// or four NEON registers; the compiler splits it to whatever the target has.
public typealias FloatVector = SIMD16<Float>

/// Vectorised transcendental functions in the style of Cephes: range reduction plus a minimax
/// polynomial, accurate to a few ulp over the whole float range, with IEEE behaviour at the edges
/// (NaN in gives NaN out, overflow gives infinity, underflow gives zero).
public enum VectorMath {
    /// Lane-wise maximum. Written as a lane loop because LLVM turns exactly this form into one
    /// compare and blend, while the standard library's `pointwiseMax` and a mask-based
    /// `replacing(with:where:)` of two vectors compile to per-lane scalar code. A NaN in `a`
    /// propagates; a NaN in `b` is ignored.
    @inlinable @inline(__always)
    public static func maximum(_ a: FloatVector, _ b: FloatVector) -> FloatVector {
        var result = a
        for lane in 0..<FloatVector.scalarCount { result[lane] = a[lane] < b[lane] ? b[lane] : a[lane] }
        return result
    }

    /// Lane-wise minimum (see `maximum`).
    @inlinable @inline(__always)
    public static func minimum(_ a: FloatVector, _ b: FloatVector) -> FloatVector {
        var result = a
        for lane in 0..<FloatVector.scalarCount { result[lane] = b[lane] < a[lane] ? b[lane] : a[lane] }
        return result
    }

    @inlinable @inline(__always)
    public static func bits(_ x: FloatVector) -> SIMD16<Int32> { unsafeBitCast(x, to: SIMD16<Int32>.self) }

    @inlinable @inline(__always)
    public static func float(bits: SIMD16<Int32>) -> FloatVector { unsafeBitCast(bits, to: FloatVector.self) }

    @inlinable @inline(__always)
    public static func exp(_ input: FloatVector) -> FloatVector {
        let x0 = minimum(maximum(input, FloatVector(repeating: -87.33654)), FloatVector(repeating: 88.0))
        let n = (x0 * 1.44269504088896341).rounded(.toNearestOrEven)
        var x = x0.addingProduct(n, FloatVector(repeating: -0.693359375))
        x = x.addingProduct(n, FloatVector(repeating: 2.12194440e-4))
        var p = FloatVector(repeating: 1.9875691500e-4)
        p = FloatVector(repeating: 1.3981999507e-3).addingProduct(p, x)
        p = FloatVector(repeating: 8.3334519073e-3).addingProduct(p, x)
        p = FloatVector(repeating: 4.1665795894e-2).addingProduct(p, x)
        p = FloatVector(repeating: 1.6666665459e-1).addingProduct(p, x)
        p = FloatVector(repeating: 5.0000001201e-1).addingProduct(p, x)
        let y = (x + 1).addingProduct(p, x * x)
        // n is integral and small: adding 1.5·2^23 leaves it in the low mantissa bits, which is
        // far cheaper than the generic float-to-int vector conversion.
        let integer = bits(n + 12_582_912) &- 0x4B40_0000
        let scale = float(bits: (integer &+ 127) &<< 23)
        var result = y * scale
        result.replace(with: 0, where: input .< -87.33654)
        result.replace(with: .infinity, where: input .> 88.72283)
        result.replace(with: input, where: input .!= input)
        return result
    }

    @inlinable @inline(__always)
    public static func log(_ input: FloatVector) -> FloatVector {
        let bits = VectorMath.bits(input)
        var exponent = FloatVector((bits &>> 23) & 0xff) - 126
        var m = VectorMath.float(bits: (bits & Int32(bitPattern: 0x807f_ffff)) | 0x3f00_0000)
        let small = m .< 0.707106781186547524
        exponent.replace(with: exponent - 1, where: small)
        m = m - 1
        m.replace(with: m + m + 1, where: small)
        let z = m * m
        var p = FloatVector(repeating: 7.0376836292e-2)
        p = FloatVector(repeating: -1.1514610310e-1).addingProduct(p, m)
        p = FloatVector(repeating: 1.1676998740e-1).addingProduct(p, m)
        p = FloatVector(repeating: -1.2420140846e-1).addingProduct(p, m)
        p = FloatVector(repeating: 1.4249322787e-1).addingProduct(p, m)
        p = FloatVector(repeating: -1.6668057665e-1).addingProduct(p, m)
        p = FloatVector(repeating: 2.0000714765e-1).addingProduct(p, m)
        p = FloatVector(repeating: -2.4999993993e-1).addingProduct(p, m)
        p = FloatVector(repeating: 3.3333331174e-1).addingProduct(p, m)
        var y = m * z * p
        y = y.addingProduct(exponent, FloatVector(repeating: -2.12194440e-4))
        y = y.addingProduct(z, FloatVector(repeating: -0.5))
        var result = (m + y).addingProduct(exponent, FloatVector(repeating: 0.693359375))
        // Subnormals: rescale by 2^23 and take log(x * 2^23) - 23 log 2, in scalar code (rare).
        let subnormal = (input .> 0) .& (input .< Float.leastNormalMagnitude)
        if any(subnormal) {
            for lane in 0..<16 where subnormal[lane] { result[lane] = ScalarMath.log(input[lane]) }
        }
        result.replace(with: -.infinity, where: input .== 0)
        result.replace(with: .nan, where: input .< 0)
        result.replace(with: .infinity, where: input .== .infinity)
        result.replace(with: input, where: input .!= input)
        return result
    }

    @inlinable @inline(__always)
    public static func sigmoid(_ x: FloatVector) -> FloatVector {
        1 / (1 + exp(-x))
    }

    @inlinable @inline(__always)
    public static func tanh(_ x: FloatVector) -> FloatVector {
        let magnitude = abs(x)
        let e = exp(magnitude * 2)
        var large = 1 - 2 / (e + 1)
        large.replace(with: -large, where: x .< 0)
        let z = x * x
        var p = FloatVector(repeating: -5.70498872745e-3)
        p = FloatVector(repeating: 2.06390887954e-2).addingProduct(p, z)
        p = FloatVector(repeating: -5.37397155531e-2).addingProduct(p, z)
        p = FloatVector(repeating: 1.33314422036e-1).addingProduct(p, z)
        p = FloatVector(repeating: -3.33332819422e-1).addingProduct(p, z)
        let small = x.addingProduct(p * z, x)
        var result = large
        result.replace(with: small, where: magnitude .< 0.625)
        return result
    }

    /// x^y, real for negative x when y is an integer (the sign follows the parity of y), with
    /// x^0 = 1 for every x, as in C's `powf`.
    @inlinable @inline(__always)
    public static func pow(_ x: FloatVector, _ y: FloatVector) -> FloatVector {
        let integral = y.rounded(.towardZero) .== y
        var result = exp(log(abs(x)) * y)
        let half = y * 0.5
        let odd = integral .& (half.rounded(.towardZero) .!= half)
        result.replace(with: -result, where: odd .& (x .< 0))
        result.replace(with: .nan, where: (x .< 0) .& .!integral)
        result.replace(with: 1, where: y .== 0)
        return result
    }

    @inlinable @inline(__always)
    public static func abs(_ x: FloatVector) -> FloatVector {
        float(bits: bits(x) & 0x7fff_ffff)
    }
}

/// Scalar libm functions under one name on every platform.
public enum ScalarMath {
    @inlinable public static func log(_ x: Float) -> Float { logf(x) }
    @inlinable public static func exp(_ x: Float) -> Float { expf(x) }
    @inlinable public static func log(_ x: Double) -> Double { Foundation.log(x) }
    @inlinable public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
    @inlinable public static func pow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
}

import Foundation

extension VectorMath {
    /// The sum of the lanes as a tree of vector halvings: the standard library's `sum()` is a
    /// scalar loop over the lanes.
    @inlinable @inline(__always)
    public static func sum(_ x: FloatVector) -> Float {
        let eight = x.lowHalf + x.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// The largest lane, by the same halving (the standard library's `max()` is a scalar loop).
    @inlinable @inline(__always)
    public static func largest(_ x: FloatVector) -> Float {
        var eight = x.lowHalf
        for lane in 0..<8 where x.highHalf[lane] > eight[lane] { eight[lane] = x.highHalf[lane] }
        var four = eight.lowHalf
        for lane in 0..<4 where eight.highHalf[lane] > four[lane] { four[lane] = eight.highHalf[lane] }
        return Swift.max(Swift.max(four[0], four[1]), Swift.max(four[2], four[3]))
    }
}
