#!/usr/bin/env python3
"""Projects the weak-scaling efficiency of data-parallel `mpw train` from measured figures.

Model (per training step, each node keeping its own batch, so the global batch grows with N):
  t(N) = t_compute + (1 - hidden) * T_ring(N) + syncs * T_small(N)
  T_ring(N)  = 2 (N-1)/N * S / bandwidth + 2 (N-1) * latency     ring allreduce of the S gradient bytes
  T_small(N) = 2 ceil(log2 N) * latency                           one latency-bound allreduce (BatchNorm sync)
  efficiency = t_compute / t(N)
Inputs: t_compute and S from `mpw bench train --json` (step_seconds on one node, gradient_bytes_per_step
on two ranks), `hidden` the share of the allreduce time the backward pass hid (1 - exposed_share), and
`syncs` the latency-bound allreduces per step of synchronised BatchNorm (3 per BatchNorm layer; 0 with
--batchnorm local).

usage: scaling_projection.py STEP_SECONDS GRADIENT_BYTES HIDDEN SYNCS [LATENCY_SECONDS]
"""
import math
import sys


def main():
    step, size, hidden, syncs = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    latency = float(sys.argv[5]) if len(sys.argv) > 5 else 25e-6
    print(f"t_compute {step * 1e3:.1f} ms, S {size / 1e6:.2f} MB, hidden {hidden:.2f}, {syncs} BatchNorm syncs, latency {latency * 1e6:.0f} us")
    print("nodes  link      ring ms  sync ms  efficiency")
    for gigabits in (10, 100):
        bandwidth = gigabits * 1e9 / 8
        for nodes in (8, 32, 128):
            ring = 2 * (nodes - 1) / nodes * size / bandwidth + 2 * (nodes - 1) * latency
            small = syncs * 2 * math.ceil(math.log2(nodes)) * latency
            efficiency = step / (step + (1 - hidden) * ring + small)
            print(f"{nodes:5d}  {gigabits:3d} Gb/s  {ring * 1e3:7.2f}  {small * 1e3:7.2f}  {efficiency * 100:9.1f} %")


if __name__ == "__main__":
    main()
