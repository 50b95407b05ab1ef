import Kernels

/// Short vector loops over one problem's runs (HW floats), written out rather than passed a
/// closure: a capturing closure costs an indirect call per vector, as much as the work here.
enum BlockLoops {
    /// destination = source · a + b.
    @inline(__always)
    static func affine(_ source: UnsafePointer<Float>, _ a: Float, _ b: Float, into destination: UnsafeMutablePointer<Float>, count: Int) {
        let scale = FloatVector(repeating: a), shift = FloatVector(repeating: b)
        var i = 0
        while i < count {
            let lanes = min(FloatVector.scalarCount, count - i)
            VectorLoops.storeAny(shift.addingProduct(VectorLoops.loadAny(source + i, lanes), scale), destination + i, lanes)
            i += FloatVector.scalarCount
        }
    }

    @inline(__always)
    static func affine(_ source: UnsafeMutablePointer<Float>, _ a: Float, _ b: Float, into destination: UnsafeMutablePointer<Float>, count: Int) {
        affine(UnsafePointer(source), a, b, into: destination, count: count)
    }
}
