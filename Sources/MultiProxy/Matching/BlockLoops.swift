import Kernels

/// Short vector loops over one problem's runs (HW floats), written out rather than passed a
/// closure: a capturing closure costs an indirect call per vector, as much as the work here.
/// Each runs whole vectors first and the tail once, so the main loop has no lane masks.
enum BlockLoops {
    static let width = FloatVector.scalarCount

    /// destination = source · a + b.
    @inline(__always)
    static func affine(_ source: UnsafePointer<Float>, _ a: Float, _ b: Float, into destination: UnsafeMutablePointer<Float>, count: Int) {
        let scale = FloatVector(repeating: a), shift = FloatVector(repeating: b)
        @inline(__always) func step(_ i: Int, _ lanes: Int) {
            VectorLoops.storeAny(shift.addingProduct(VectorLoops.loadAny(source + i, lanes), scale), destination + i, lanes)
        }
        var i = 0
        while i + width <= count { step(i, width); i += width }
        if i < count { step(i, count - i) }
    }

    @inline(__always)
    static func affine(_ source: UnsafeMutablePointer<Float>, _ a: Float, _ b: Float, into destination: UnsafeMutablePointer<Float>, count: Int) {
        affine(UnsafePointer(source), a, b, into: destination, count: count)
    }

    /// distance = max(1 - similarity · proxyScale · vectorScales, 0): one proxy's run of
    /// distances 1 - cos (clamped, as rounding can push cos past 1).
    @inline(__always)
    static func cosineDistance(
        _ similarity: UnsafePointer<Float>, proxyScale: Float, vectorScales: UnsafePointer<Float>,
        into distance: UnsafeMutablePointer<Float>, count: Int
    ) {
        let scale = FloatVector(repeating: proxyScale)
        @inline(__always) func step(_ j: Int, _ lanes: Int) {
            let cosine = VectorLoops.loadAny(similarity + j, lanes) * scale * VectorLoops.loadAny(vectorScales + j, lanes)
            VectorLoops.storeAny(VectorMath.maximum(1 - cosine, FloatVector()), distance + j, lanes)
        }
        var j = 0
        while j + width <= count { step(j, width); j += width }
        if j < count { step(j, count - j) }
    }

    /// One proxy's run of dL/dS = g·w + dcos·proxyScale·vectorScales into `similarityGradient`;
    /// adds the norm terms dcos·proxyScale·vectorScales ⊙ S to `vectorTerms` and returns their sum.
    @inline(__always)
    static func similarityGradient(
        cosineGradient: UnsafePointer<Float>, similarity: UnsafePointer<Float>, flow: UnsafePointer<Float>,
        upstream: Float, proxyScale: Float, vectorScales: UnsafePointer<Float>,
        vectorTerms: UnsafeMutablePointer<Float>, into similarityGradient: UnsafeMutablePointer<Float>, count: Int
    ) -> Float {
        let scale = FloatVector(repeating: proxyScale), g = FloatVector(repeating: upstream)
        var proxyTerm = FloatVector()
        @inline(__always) func step(_ j: Int, _ lanes: Int) {
            let scaled = VectorLoops.loadAny(cosineGradient + j, lanes) * scale * VectorLoops.loadAny(vectorScales + j, lanes)
            let product = scaled * VectorLoops.loadAny(similarity + j, lanes)
            proxyTerm += product
            VectorLoops.storeAny(VectorLoops.loadAny(vectorTerms + j, lanes) + product, vectorTerms + j, lanes)
            VectorLoops.storeAny(scaled.addingProduct(g, VectorLoops.loadAny(flow + j, lanes)), similarityGradient + j, lanes)
        }
        var j = 0
        while j + width <= count { step(j, width); j += width }
        if j < count { step(j, count - j) }
        return VectorMath.sum(proxyTerm)
    }

    /// Σ_m Σ_j a[m·stride + j]·b[m·stride + j] over `runs` runs of `count` floats: one problem's
    /// score Σ w ⊙ S, reduced across lanes once.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, runs: Int, stride: Int, count: Int) -> Float {
        var total = FloatVector()
        for run in 0..<runs {
            let (x, y) = (a + run * stride, b + run * stride)
            var j = 0
            while j + width <= count {
                total = total.addingProduct(VectorLoops.load(x + j), VectorLoops.load(y + j))
                j += width
            }
            if j < count { total = total.addingProduct(VectorLoops.loadPartial(x + j, count - j), VectorLoops.loadPartial(y + j, count - j)) }
        }
        return VectorMath.sum(total)
    }
}
