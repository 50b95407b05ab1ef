"""The multi-proxy Wasserstein head written the straightforward PyTorch way (einsum, cosine,
Sinkhorn with autograd through the iterations, the paper's stopping rule): the yardstick for
`mpw bench head --head mpw` (batch 128, 100 classes, d = 64, 8x8 maps, M = 4).

    python mpw_head.py [THREADS]
"""
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
B, K, d, HW, M = 128, 100, 64, 64, 4
lam, threshold, max_iterations = 0.1, 0.1, 100
X = torch.rand(B, d, 8, 8, requires_grad=True)
P = (torch.rand(K, M, d) * 0.25 - 0.125).requires_grad_()


def head(X, P):
    x = X.flatten(2).transpose(1, 2)  # B, HW, d
    S = torch.einsum("bjd,kmd->bkjm", x, P)  # B, K, HW, M
    cos = S / (x.norm(dim=2)[:, None, :, None] * P.norm(dim=2)[None, :, None, :] + 1e-8)
    kernel = torch.exp(-(1 - cos) / lam)
    mu, nu = torch.full((B, K, HW), 1.0 / HW), torch.full((B, K, M), 1.0 / M)
    beta, previous = torch.ones(B, K, M), None
    for t in range(max_iterations):
        alpha = mu / torch.einsum("bkjm,bkm->bkj", kernel, beta)
        beta = nu / torch.einsum("bkjm,bkj->bkm", kernel, alpha)
        if previous is not None and ((alpha - previous).abs().sum(-1) / alpha.abs().sum(-1)).max() < threshold:
            break
        previous = alpha
    plan = alpha[..., None] * kernel * beta[:, :, None, :]
    return (plan * S).sum((2, 3)), t + 1


g = torch.randn(B, K)
for _ in range(3):
    scores, _ = head(X, P)
    scores.backward(g)
repetitions = 10
start = time.time()
with torch.no_grad():
    for _ in range(repetitions):
        head(X, P)
forward = (time.time() - start) / repetitions
start = time.time()
for _ in range(repetitions):
    scores, iterations = head(X, P)
    scores.backward(g)
both = (time.time() - start) / repetitions
print(f"mpw head: forward {forward * 1e3:.1f} ms, forward+backward {both * 1e3:.1f} ms, {iterations} iterations")
