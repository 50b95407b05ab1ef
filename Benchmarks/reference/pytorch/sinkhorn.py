"""Batched Sinkhorn written the straightforward PyTorch way (Algorithm 1, 100 fixed iterations,
autograd through them): the yardstick for
`mpw bench sinkhorn --problems 12800 --n 64 --m 4 --iterations 100`.

    python sinkhorn.py [THREADS]
"""
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
problems, n, m, lam, iterations = 12800, 64, 4, 0.1, 100
torch.manual_seed(0)
cost = (torch.rand(problems, n, m) * 2).requires_grad_()
upstream = torch.randn(problems, n, m)


def plan(cost):
    kernel = torch.exp(-cost / lam)
    mu, nu = torch.full((problems, n), 1.0 / n), torch.full((problems, m), 1.0 / m)
    beta = torch.ones(problems, m)
    for _ in range(iterations):
        alpha = mu / torch.bmm(kernel, beta[:, :, None])[:, :, 0]
        beta = nu / torch.bmm(kernel.transpose(1, 2), alpha[:, :, None])[:, :, 0]
    return alpha[:, :, None] * kernel * beta[:, None, :]


def median_ms(step, repetitions=5):
    step()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return sorted(times)[len(times) // 2]


def forward():
    with torch.no_grad():
        plan(cost)


def forward_backward():
    (plan(cost) * upstream).sum().backward()
    cost.grad = None


print(f"sinkhorn: forward {median_ms(forward):.0f} ms, forward+backward {median_ms(forward_backward):.0f} ms")
