/// How the elements of a tensor are ordered in memory. The shape is always the logical one.
///
/// Convolutional layers keep rank-4 activations channels-last (N, H, W, C in memory for an
/// (N, C, H, W) tensor): oneDNN's fastest convolutions read that order, and it lays each spatial
/// position's feature vector out contiguously, which is exactly what the multi-proxy head's GEMM
/// wants. Elementwise ops preserve the format; any other op first makes its input contiguous.
public enum MemoryFormat: Sendable, Equatable {
    /// Row-major in the order of the shape.
    case contiguous
    /// Rank 4 only: memory order N, H, W, C for the logical shape (N, C, H, W).
    case channelsLast
}
