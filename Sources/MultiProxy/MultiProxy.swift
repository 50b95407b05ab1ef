// MultiProxy: the fused multi-proxy Wasserstein head and the heads the paper compares it with.
