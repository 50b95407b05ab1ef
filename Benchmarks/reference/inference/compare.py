"""Evaluation throughput, per-batch latency and peak memory of our inference form against the
engines one would deploy the same network with: PyTorch eager (contiguous and channels_last),
TorchScript (frozen + optimize_for_inference) and ONNX Runtime (CPU, all graph optimisations),
on the CIFAR zoo models with a 10-class GAP-FC head, random weights and inputs.

The PyTorch models are the reference modules of ../pytorch/zoo_train.py (same parameter counts
as ours). Every measurement is its own process (so peak RSS is that engine's alone), and the
engines take turns round by round (ours, eager, eager channels_last, TorchScript, ONNX Runtime,
then again), so a machine whose speed drifts slows every engine alike; the table gives the
median of the rounds.

The PyPI packages are benchmark-only: install them outside the repository and point the script
at them, e.g.

    pip install --target /tmp/benchpy torch onnx onnxruntime
    python3 Benchmarks/reference/inference/compare.py --python-path /tmp/benchpy \\
        --mpw .build/release/mpw --models resnet20,resnet110,wrn40_2 --batch 64 --threads 2 --rounds 3

--batch 1 gives the latency of one image. Prints one Markdown table (and --json the raw runs).
"""
import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = ["ours", "eager", "eager-cl", "torchscript", "onnxruntime"]
LABELS = {
    "ours": "ours (mpw bench eval)",
    "eager": "PyTorch eager",
    "eager-cl": "PyTorch eager, channels_last",
    "torchscript": "TorchScript frozen + optimize_for_inference",
    "onnxruntime": "ONNX Runtime (ORT_ENABLE_ALL)",
}


def timed(step, batch, steps, warmup):
    """images/s over the timed steps and the nearest-rank p50/p90/p99 of the per-batch time (ms)."""
    for _ in range(warmup):
        step()
    samples = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        samples.append(time.perf_counter() - start)
    ordered = sorted(samples)

    def percentile(p):
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))] * 1e3

    return {
        "images_per_second": batch * steps / sum(samples),
        "p50_ms": percentile(0.5), "p90_ms": percentile(0.9), "p99_ms": percentile(0.99),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def pytorch_model(name, classes):
    sys.path.insert(0, os.path.join(HERE, "..", "pytorch"))
    import zoo_train
    backbone_parameters, features = zoo_train.OURS[name]
    model = zoo_train.Classifier(zoo_train.BACKBONES[name](), features, classes)
    return model.eval()


def worker(arguments):
    """One engine, one model, one process: prints one JSON object."""
    batch, steps, warmup = arguments.batch, arguments.steps, arguments.warmup
    if arguments.worker == "onnxruntime":
        import numpy
        import onnxruntime
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = arguments.threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(arguments.onnx, options, providers=["CPUExecutionProvider"])
        x = numpy.random.default_rng(2).standard_normal((batch, 3, 32, 32), dtype=numpy.float32)
        name = session.get_inputs()[0].name
        result = timed(lambda: session.run(None, {name: x}), batch, steps, warmup)
    else:
        import torch
        torch.set_num_threads(arguments.threads)
        torch.manual_seed(1)
        model = pytorch_model(arguments.model, arguments.classes)
        x = torch.randn(batch, 3, 32, 32)
        if arguments.worker == "export":
            export(torch, model, x, arguments.onnx)
            return
        if arguments.worker == "eager-cl":
            model = model.to(memory_format=torch.channels_last)
            x = x.to(memory_format=torch.channels_last)
        if arguments.worker == "torchscript":
            with torch.no_grad():
                model = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))
        with torch.no_grad():
            result = timed(lambda: model(x), batch, steps, warmup)
    print(json.dumps(result))


def export(torch, model, x, path):
    """The TorchScript-based ONNX exporter (no onnxscript needed), dynamic batch off: ORT sees the benchmark's shape."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        torch.onnx.export(model, (x,), path, opset_version=17, dynamo=False)
    except TypeError:
        torch.onnx.export(model, (x,), path, opset_version=17)


def run(command, environment):
    finished = subprocess.run(command, capture_output=True, text=True, env=environment)
    if finished.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({finished.returncode}): {finished.stderr.strip().splitlines()[-1:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def ours(arguments, model, environment):
    report = run([arguments.mpw, "bench", "eval", "--model", model, "--batch", str(arguments.batch), "--threads", str(arguments.threads),
                  "--head", "gapfc", "--classes", str(arguments.classes), "--steps", str(arguments.steps),
                  "--warmup", str(arguments.warmup), "--json"], environment)
    return {"images_per_second": report["eval_images_per_second"], "p50_ms": report["latency_p50_ms"],
            "p90_ms": report["latency_p90_ms"], "p99_ms": report["latency_p99_ms"], "peak_rss_bytes": report["peak_rss_bytes"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-path", help="folder holding torch, onnx and onnxruntime (pip install --target FOLDER ...)")
    parser.add_argument("--mpw", default="mpw", help="our binary (default: mpw on the PATH)")
    parser.add_argument("--models", default="resnet20,resnet110,wrn40_2", help="comma-separated CIFAR zoo models")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated, of: " + ", ".join(ENGINES))
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20, help="timed batches per run")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; the table shows their medians")
    parser.add_argument("--json", action="store_true", help="print every run as JSON after the table")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--onnx", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.python_path:
        sys.path.insert(0, arguments.python_path)
    if arguments.worker:
        worker(arguments)
        return

    engines = arguments.engines.split(",")
    unknown = [engine for engine in engines if engine not in ENGINES]
    if unknown:
        sys.exit(f"--engines: unknown {', '.join(unknown)}; choose from {', '.join(ENGINES)}")
    environment = dict(os.environ, OMP_NUM_THREADS=str(arguments.threads))
    if arguments.python_path:
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [arguments.python_path, environment.get("PYTHONPATH")]))
    runs = {}
    with tempfile.TemporaryDirectory() as folder:
        for model in arguments.models.split(","):
            common = [sys.executable, os.path.abspath(__file__), "--model", model, "--batch", str(arguments.batch),
                      "--classes", str(arguments.classes), "--threads", str(arguments.threads), "--steps", str(arguments.steps),
                      "--warmup", str(arguments.warmup)]
            onnx = os.path.join(folder, f"{model}.onnx")
            if "onnxruntime" in engines:
                subprocess.run(common + ["--worker", "export", "--onnx", onnx], check=True, env=environment)
            for _ in range(arguments.rounds):
                for engine in engines:
                    result = ours(arguments, model, environment) if engine == "ours" \
                        else run(common + ["--worker", engine, "--onnx", onnx], environment)
                    runs.setdefault((model, engine), []).append(result)
                    print(f"{model} {engine}: {result['images_per_second']:.1f} images/s", file=sys.stderr)

    def median(model, engine, key):
        values = [run[key] for run in runs.get((model, engine), [])]
        return statistics.median(values) if values else float("nan")

    print(f"batch {arguments.batch}, {arguments.threads} threads, {arguments.classes} classes, median of {arguments.rounds} alternating rounds\n")
    print("| model | " + " | ".join(f"{LABELS[e]} images/s" for e in engines) + " | ours / ORT | p50 ms per batch (" +
          ", ".join(engines) + ") | peak RSS MB (" + ", ".join(engines) + ") |")
    print("| --- " * (len(engines) + 4) + "|")
    for model in arguments.models.split(","):
        speeds = [median(model, e, "images_per_second") for e in engines]
        ratio = median(model, "ours", "images_per_second") / median(model, "onnxruntime", "images_per_second") \
            if "ours" in engines and "onnxruntime" in engines else float("nan")
        latencies = ", ".join(f"{median(model, e, 'p50_ms'):.2f}" for e in engines)
        memory = ", ".join(f"{median(model, e, 'peak_rss_bytes') / 2**20:.0f}" for e in engines)
        print(f"| {model} | " + " | ".join(f"{s:.0f}" for s in speeds) + f" | {ratio:.2f}x | {latencies} | {memory} |")
    if arguments.json:
        print(json.dumps([{"model": m, "engine": e, "runs": r} for (m, e), r in runs.items()]))


if __name__ == "__main__":
    main()
