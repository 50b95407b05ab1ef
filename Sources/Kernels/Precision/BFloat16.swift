/// bfloat16 conversions: the upper 16 bits of a float32 (8 exponent bits, 7 stored mantissa
/// bits), rounded to nearest even as PyTorch and oneDNN round, with every NaN mapped to the
/// quiet NaN 0x7FC0 as PyTorch does. Loops are 16 lanes wide and split over the cores when large.
public enum BFloat16 {
    public typealias Bits = UInt16
    public typealias Vector = SIMD16<Float>

    /// One float rounded to bfloat16 bits.
    @inlinable
    public static func round(_ value: Float) -> Bits {
        let bits = value.bitPattern
        if value.isNaN { return 0x7FC0 }
        return Bits(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    /// The float a bfloat16 stands for (exact).
    @inlinable
    public static func widen(_ bits: Bits) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    @inlinable @inline(__always)
    static func round(_ vector: Vector) -> SIMD16<Bits> {
        let bits = unsafeBitCast(vector, to: SIMD16<UInt32>.self)
        let rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16
        // All ones where |x| > infinity's bits (NaN), by arithmetic: Swift's SIMD comparisons
        // build their mask lane by lane, 10x slower than this.
        let nan = SIMD16<UInt32>(repeating: 0) &- ((0x7F80_0000 &- (bits & 0x7FFF_FFFF)) &>> 31)
        return SIMD16<Bits>(truncatingIfNeeded: (rounded & ~nan) | (0x7FC0 & nan))
    }

    @inlinable @inline(__always)
    static func widen(_ bits: SIMD16<Bits>) -> Vector {
        unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: bits) &<< 16, to: Vector.self)
    }

    /// Elements below which a conversion stays on one thread.
    static let parallelThreshold = 1 << 16

    /// destination[i] = round(source[i]).
    public static func round(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Bits>, count: Int) {
        split(count) { range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let value = UnsafeRawPointer(source + i).loadUnaligned(as: Vector.self)
                UnsafeMutableRawPointer(destination + i).storeBytes(of: round(value), as: SIMD16<Bits>.self)
                i += 16
            }
            while i < range.upperBound {
                destination[i] = round(source[i])
                i += 1
            }
        }
    }

    /// destination[i] = widen(source[i]).
    public static func widen(_ source: UnsafePointer<Bits>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        split(count) { range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let bits = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<Bits>.self)
                UnsafeMutableRawPointer(destination + i).storeBytes(of: widen(bits), as: Vector.self)
                i += 16
            }
            while i < range.upperBound {
                destination[i] = widen(source[i])
                i += 1
            }
        }
    }

    /// destination[i] = widen(round(source[i])): float32 values that bfloat16 represents exactly.
    public static func roundToFloat(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        split(count) { range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let value = UnsafeRawPointer(source + i).loadUnaligned(as: Vector.self)
                UnsafeMutableRawPointer(destination + i).storeBytes(of: widen(round(value)), as: Vector.self)
                i += 16
            }
            while i < range.upperBound {
                destination[i] = widen(round(source[i]))
                i += 1
            }
        }
    }

    /// Runs `body` on chunks of `0..<count` (multiples of 16) in parallel when large.
    private static func split(_ count: Int, _ body: (Range<Int>) -> Void) {
        if count < parallelThreshold {
            body(0..<count)
            return
        }
        let vectors = (count + 15) / 16
        Parallel.forRanges(vectors, minimumChunk: parallelThreshold / 16) { range in
            body(range.lowerBound * 16..<min(count, range.upperBound * 16))
        }
    }
}
