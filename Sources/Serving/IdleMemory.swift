import Kernels

/// Gives the memory of past requests and batches back to the system.
///
/// glibc serves a large allocation with its own mapping, unmapped when freed, until the first
/// such block is freed: then it raises its mmap threshold to that size (up to 32 MiB), and later
/// large blocks (a request's body, its copy, its parsed values, the answer) come from the
/// per-thread arenas of the event loops, which keep them. `mpw serve` on the AMD EPYC grew by
/// about 10 MiB with each 3 MiB tensor request, in those arenas. A fixed threshold
/// (`useFixedMmapThreshold`, set once when the server starts) keeps large blocks on their own
/// mappings: resident memory came back to within 1.5 MiB of the baseline after six such requests.
///
/// A forward pass allocates its activations through `AlignedMemory`, whose cache keeps freed
/// large blocks for reuse (up to 1 GB, or the most ever in use): right for training, which asks
/// for the same sizes every step, but a server that ran one large batch kept that batch's
/// activations for good. When the queue has been empty for `delay`, the cache is emptied and
/// malloc returns its free pages (`malloc_trim`): the request bodies, decoded tensors and answers
/// freed by then. The next batch after an idle spell pays the page faults, which a busy server
/// never does.
enum IdleMemory {
    static let delay: Duration = .milliseconds(500)
    /// Blocks from this size up get their own mapping, returned to the system when freed.
    static let mmapThreshold: Int32 = 256 << 10

    static func useFixedMmapThreshold() {
        #if os(Linux)
        _ = mallocOption(mmapThresholdOption, mmapThreshold)
        #endif
    }

    static func giveBack() {
        AlignedMemory.trimCache()
        #if os(Linux)
        _ = mallocTrim(0)
        #endif
    }
}

#if os(Linux)
/// glibc's `malloc_trim` (malloc.h, which the Glibc module does not export): returns the free
/// pages of every arena to the system.
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32

/// glibc's `mallopt`, and its `M_MMAP_THRESHOLD` parameter (malloc.h).
@_silgen_name("mallopt")
private func mallocOption(_ parameter: Int32, _ value: Int32) -> Int32
private let mmapThresholdOption: Int32 = -3
#endif
