// OptimalTransport: batched entropic optimal transport (Sinkhorn in the kernel and log domains)
// with unrolled and implicit gradients, and exact optimal transport for small problems.
