#if canImport(CDNNL)
import CDNNL
#endif

/// What the CPU offers for reduced-precision arithmetic, as oneDNN (whose kernels we run) sees it.
public enum CPUFeatures {
    /// True when oneDNN runs bfloat16 kernels natively (`avx512_core_bf16` or AMX).
    public static let nativeBFloat16: Bool = {
        #if canImport(CDNNL)
        let isa = dnnl_get_effective_cpu_isa().rawValue
        let bf16 = dnnl_cpu_isa_avx512_core_bf16.rawValue
        return isa & bf16 == bf16
        #else
        return false
        #endif
    }()

    /// True when oneDNN has float32 Winograd convolutions here: version 2.6 has them for AVX-512 only.
    public static let winogradConvolution: Bool = {
        #if canImport(CDNNL)
        let isa = dnnl_get_effective_cpu_isa().rawValue
        let core = dnnl_cpu_isa_avx512_core.rawValue
        return isa & core == core
        #else
        return false
        #endif
    }()

    /// The feature a CPU without native bfloat16 lacks, named for the error message.
    static var missingBFloat16Feature: String {
        #if canImport(CDNNL)
        let isa = dnnl_get_effective_cpu_isa().rawValue
        let core = dnnl_cpu_isa_avx512_core.rawValue
        let hasAVX512 = isa & core == core
        return "a CPU with AVX512_BF16 (this one has \(hasAVX512 ? "AVX-512 without AVX512_BF16" : "no AVX-512"))"
        #else
        return "oneDNN, which this platform's build does not have"
        #endif
    }
}
