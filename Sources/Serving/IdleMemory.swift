import Kernels

/// Gives the memory of past batches back to the system once a model's batcher is idle.
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
#endif
