import Kernels

/// One problem's short runs (HW floats), in the dispatched C kernels (`TransportKernels`), so
/// the head runs the CPU's widest vectors and fused multiply-adds whatever the build's target.
enum BlockLoops {
    /// destination = source · a + b.
    @inline(__always)
    static func affine(_ source: UnsafePointer<Float>, _ a: Float, _ b: Float, into destination: UnsafeMutablePointer<Float>, count: Int) {
        TransportKernels.active.affine(source, a, b, into: destination, count: count)
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
        TransportKernels.active.cosineDistance(similarity, proxyScale: proxyScale, vectorScales: vectorScales, into: distance,
                                               count: count)
    }

    /// One proxy's run of dL/dS = g·w + dcos·proxyScale·vectorScales into `similarityGradient`;
    /// adds the norm terms dcos·proxyScale·vectorScales ⊙ S to `vectorTerms` and returns their sum.
    @inline(__always)
    static func similarityGradient(
        cosineGradient: UnsafePointer<Float>, similarity: UnsafePointer<Float>, flow: UnsafePointer<Float>,
        upstream: Float, proxyScale: Float, vectorScales: UnsafePointer<Float>,
        vectorTerms: UnsafeMutablePointer<Float>, into similarityGradient: UnsafeMutablePointer<Float>, count: Int
    ) -> Float {
        TransportKernels.active.similarityGradient(
            cosineGradient: cosineGradient, similarity: similarity, flow: flow, upstream: upstream, proxyScale: proxyScale,
            vectorScales: vectorScales, vectorTerms: vectorTerms, into: similarityGradient, count: count)
    }

    /// Σ_m Σ_j a[m·stride + j]·b[m·stride + j] over `runs` runs of `count` floats: one problem's
    /// score Σ w ⊙ S, reduced across lanes once.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, runs: Int, stride: Int, count: Int) -> Float {
        TransportKernels.active.dot(a, b, runs: runs, stride: stride, count: count)
    }
}
