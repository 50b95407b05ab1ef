import Kernels

/// Sixteen doubles, the double-precision partner of `FloatVector` lane for lane.
typealias DoubleVector = SIMD16<Double>

/// Conversions and memory access for the log domain's double-precision potentials. The lane
/// loops compile to single vcvtps2pd / vcvtpd2ps instructions (the generic SIMD initialiser does
/// not), and loads go through raw pointers like `VectorLoops`.
enum DoubleLanes {
    @inline(__always)
    static func widen(_ value: FloatVector) -> DoubleVector {
        var result = DoubleVector()
        for lane in 0..<FloatVector.scalarCount { result[lane] = Double(value[lane]) }
        return result
    }

    @inline(__always)
    static func narrow(_ value: DoubleVector) -> FloatVector {
        var result = FloatVector()
        for lane in 0..<FloatVector.scalarCount { result[lane] = Float(value[lane]) }
        return result
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Double>) -> DoubleVector {
        UnsafeRawPointer(pointer).loadUnaligned(as: DoubleVector.self)
    }
}
