/// Building blocks for elementwise loops: whole vectors, then a zero-padded partial vector for the
/// tail, split across threads once the work is large enough to pay for the fork.
public enum VectorLoops {
    /// Elements below which a loop stays on one thread: a fork costs a few microseconds.
    public static let parallelThreshold = 1 << 15

    @inlinable @inline(__always)
    public static func load(_ pointer: UnsafePointer<Float>) -> FloatVector {
        UnsafeRawPointer(pointer).loadUnaligned(as: FloatVector.self)
    }

    @inlinable @inline(__always)
    public static func store(_ value: FloatVector, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: FloatVector.self)
    }

    /// a + b·c rounded twice. `addingProduct` asks for a fused multiply-add, which a build without
    /// FMA in its target (a plain `swift build -c release`, as SwiftPM builds a dependency) makes
    /// one libm `fmaf` call per lane: BatchNorm's affine maps spent 20 % of a ResNet-20 step
    /// there. Loops bound by memory lose nothing to the second rounding.
    @inlinable @inline(__always)
    public static func multiplyAdd(_ a: FloatVector, _ b: FloatVector, _ c: FloatVector) -> FloatVector {
        a + b * c
    }

    @inlinable @inline(__always)
    public static func loadPartial(_ pointer: UnsafePointer<Float>, _ count: Int, padding: Float = 0) -> FloatVector {
        var value = FloatVector(repeating: padding)
        for lane in 0..<count { value[lane] = pointer[lane] }
        return value
    }

    @inlinable @inline(__always)
    public static func storePartial(_ value: FloatVector, _ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        for lane in 0..<count { pointer[lane] = value[lane] }
    }

    /// Runs `body` over `0..<count` in parallel chunks (multiples of the vector width) when large.
    @inlinable
    public static func chunked(_ count: Int, _ body: (Range<Int>) -> Void) {
        if count < parallelThreshold {
            body(0..<count)
            return
        }
        let width = FloatVector.scalarCount
        let vectors = (count + width - 1) / width
        Parallel.forRanges(vectors, minimumChunk: parallelThreshold / width) { range in
            body(range.lowerBound * width..<min(count, range.upperBound * width))
        }
    }

    /// destination[i] = f(source[i]).
    @inlinable
    public static func map(
        _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, count: Int,
        _ f: (FloatVector) -> FloatVector
    ) {
        chunked(count) { range in
            var i = range.lowerBound
            let width = FloatVector.scalarCount
            while i + width <= range.upperBound {
                store(f(load(source + i)), destination + i)
                i += width
            }
            if i < range.upperBound {
                let rest = range.upperBound - i
                storePartial(f(loadPartial(source + i, rest)), destination + i, rest)
            }
        }
    }

    /// destination[i] = f(a[i], b[i]).
    @inlinable
    public static func zip(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, count: Int,
        _ f: (FloatVector, FloatVector) -> FloatVector
    ) {
        chunked(count) { range in
            var i = range.lowerBound
            let width = FloatVector.scalarCount
            while i + width <= range.upperBound {
                store(f(load(a + i), load(b + i)), destination + i)
                i += width
            }
            if i < range.upperBound {
                let rest = range.upperBound - i
                storePartial(f(loadPartial(a + i, rest), loadPartial(b + i, rest)), destination + i, rest)
            }
        }
    }

    /// destination[i] = f(a[i], b[i], c[i]).
    @inlinable
    public static func zip3(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafePointer<Float>,
        _ destination: UnsafeMutablePointer<Float>, count: Int,
        _ f: (FloatVector, FloatVector, FloatVector) -> FloatVector
    ) {
        chunked(count) { range in
            var i = range.lowerBound
            let width = FloatVector.scalarCount
            while i + width <= range.upperBound {
                store(f(load(a + i), load(b + i), load(c + i)), destination + i)
                i += width
            }
            if i < range.upperBound {
                let rest = range.upperBound - i
                storePartial(f(loadPartial(a + i, rest), loadPartial(b + i, rest), loadPartial(c + i, rest)),
                             destination + i, rest)
            }
        }
    }

    /// The sum of `count` floats, accumulated in four vector registers to hide FMA latency.
    @inlinable
    public static func sum(_ source: UnsafePointer<Float>, count: Int) -> Float {
        var s0 = FloatVector(), s1 = FloatVector(), s2 = FloatVector(), s3 = FloatVector()
        let width = FloatVector.scalarCount
        var i = 0
        while i + 4 * width <= count {
            s0 += load(source + i)
            s1 += load(source + i + width)
            s2 += load(source + i + 2 * width)
            s3 += load(source + i + 3 * width)
            i += 4 * width
        }
        while i + width <= count {
            s0 += load(source + i)
            i += width
        }
        if i < count { s1 += loadPartial(source + i, count - i) }
        return VectorMath.sum((s0 + s1) + (s2 + s3))
    }

    /// The largest of `count > 0` floats; NaN if any is NaN.
    @inlinable
    public static func max(_ source: UnsafePointer<Float>, count: Int) -> Float {
        let width = FloatVector.scalarCount
        var best = FloatVector(repeating: -.infinity)
        var sawNaN = false
        var i = 0
        while i + width <= count {
            let v = load(source + i)
            sawNaN = sawNaN || any(v .!= v)
            best = VectorMath.maximum(best, v)
            i += width
        }
        if i < count {
            let v = loadPartial(source + i, count - i, padding: -.infinity)
            sawNaN = sawNaN || any(v .!= v)
            best = VectorMath.maximum(best, v)
        }
        return sawNaN ? .nan : VectorMath.largest(best)
    }

    /// accumulator[i] += source[i].
    @inlinable
    public static func accumulate(_ source: UnsafePointer<Float>, into accumulator: UnsafeMutablePointer<Float>, count: Int) {
        zip(UnsafePointer(accumulator), source, accumulator, count: count) { $0 + $1 }
    }

    /// Sets `count` floats to `value`.
    @inlinable
    public static func fill(_ destination: UnsafeMutablePointer<Float>, count: Int, with value: Float) {
        if value == 0 {
            chunked(count) { range in
                (destination + range.lowerBound).initialize(repeating: 0, count: range.count)
            }
        } else {
            chunked(count) { range in
                (destination + range.lowerBound).initialize(repeating: value, count: range.count)
            }
        }
    }

    /// Copies `count` floats.
    @inlinable
    public static func copy(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        chunked(count) { range in
            (destination + range.lowerBound).update(from: source + range.lowerBound, count: range.count)
        }
    }
}

extension VectorLoops {
    /// A full vector, or the first `lanes` elements zero-padded.
    @inlinable @inline(__always)
    public static func loadAny(_ pointer: UnsafePointer<Float>, _ lanes: Int) -> FloatVector {
        lanes == FloatVector.scalarCount ? load(pointer) : loadPartial(pointer, lanes)
    }

    @inlinable @inline(__always)
    public static func loadAny(_ pointer: UnsafeMutablePointer<Float>, _ lanes: Int) -> FloatVector {
        loadAny(UnsafePointer(pointer), lanes)
    }

    /// Stores a full vector, or its first `lanes` elements.
    @inlinable @inline(__always)
    public static func storeAny(_ value: FloatVector, _ pointer: UnsafeMutablePointer<Float>, _ lanes: Int) {
        if lanes == FloatVector.scalarCount { store(value, pointer) } else { storePartial(value, pointer, lanes) }
    }

    /// Σ a[i]·b[i] on the calling thread.
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var s0 = FloatVector(), s1 = FloatVector()
        let width = FloatVector.scalarCount
        var i = 0
        while i + 2 * width <= count {
            s0 = s0.addingProduct(load(a + i), load(b + i))
            s1 = s1.addingProduct(load(a + i + width), load(b + i + width))
            i += 2 * width
        }
        while i < count {
            let lanes = Swift.min(width, count - i)
            s0 = s0.addingProduct(loadAny(a + i, lanes), loadAny(b + i, lanes))
            i += width
        }
        return VectorMath.sum(s0 + s1)
    }
}
