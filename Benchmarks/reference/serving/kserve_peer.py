"""mpw serve against KServe's own Python model server, with the same model and the same load.

The checkpoint is exported to ONNX (`mpw export`) and served by kserve 0.21's ModelServer on ONNX
Runtime (kserve_onnx_server.py, one worker, --threads intra-op threads); `mpw bench serve` runs
the same closed-loop clients against it (`--url`) and against `mpw serve` in its own process, on
loopback, sending the same requests: the image to /v1/predict (mpw only: KServe has no such
route), or the preprocessed tensor to /v2/models/mpw/infer as JSON or as Triton's binary tensor
data. The two servers alternate round by round (A B, then B A), each run its own process, and
the table gives medians over the rounds, with the load average before and after.

    python3 Benchmarks/reference/serving/kserve_peer.py --mpw .build/release/mpw \\
        --checkpoint runs/fm-mpw/best.safetensors --python-path .build-tests/python \\
        --clients 64 --seconds 10 --rounds 3 --threads 2

--python-path holds kserve==0.21.0 and onnxruntime (scripts/test-tools installs both into
.build-tests/python).
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


def wait_ready(port, process, log, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            sys.exit(f"kserve_peer: the KServe server exited with {process.returncode}; its log: {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"kserve_peer: the KServe server was not ready within {seconds} s; its log: {log}")


def bench(arguments, mpw, checkpoint, protocol, url=None):
    command = [mpw, "bench", "serve", checkpoint, "--protocol", protocol, "--clients", str(arguments.clients),
               "--seconds", str(arguments.seconds), "--threads", str(arguments.threads), "--json"]
    if url:
        command += ["--url", url]
    finished = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in finished.stdout.splitlines() if line.startswith("{")]
    if not lines:
        sys.exit(f"kserve_peer: {' '.join(command)} printed no result (exit {finished.returncode}): {finished.stderr.strip()}")
    return json.loads(lines[-1])


def load_average():
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mpw", required=True, help="the mpw binary")
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--python-path", required=True, help="a folder holding kserve 0.21 and onnxruntime")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--protocols", default="image,json,binary")
    arguments = parser.parse_args()
    protocols = arguments.protocols.split(",")
    for protocol in protocols:
        if protocol not in ("image", "json", "binary"):
            sys.exit(f"kserve_peer: --protocols: {protocol} is not image, json or binary")

    work = tempfile.mkdtemp(prefix="kserve-peer-")
    onnx = os.path.join(work, "model.onnx")
    subprocess.run([arguments.mpw, "export", arguments.checkpoint, "--out", onnx], check=True, stdout=subprocess.DEVNULL)
    port, log = free_port(), os.path.join(work, "kserve.log")
    environment = dict(os.environ, PYTHONPATH=arguments.python_path, OMP_NUM_THREADS=str(arguments.threads))
    server = subprocess.Popen(
        [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "kserve_onnx_server.py"),
         "--onnx", onnx, "--model_name", "mpw", "--threads", str(arguments.threads), "--http_port", str(port),
         "--grpc_port", str(free_port()), "--enable_grpc", "false", "--workers", "1", "--enable_latency_logging", "false"],
        env=environment, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_ready(port, server, log)
        before = load_average()
        results = {}
        for round_index in range(arguments.rounds):
            for protocol in protocols:
                servers = ["mpw"] + (["kserve"] if protocol != "image" else [])
                for name in (servers if round_index % 2 == 0 else servers[::-1]):
                    url = f"http://127.0.0.1:{port}" if name == "kserve" else None
                    result = bench(arguments, arguments.mpw, arguments.checkpoint, protocol, url)
                    results.setdefault((protocol, name), []).append(result)
                    print(f"round {round_index + 1} {protocol} {name}: {result['requests_per_second']:.1f} req/s, "
                          f"p99 {result['p99_ms']:.1f} ms, errors {result['errors']}", file=sys.stderr)
        after = load_average()
    finally:
        server.terminate()
        server.wait()

    median = lambda key, runs: statistics.median(run[key] for run in runs)
    print(f"{arguments.clients} clients, {arguments.seconds} s per run, {arguments.rounds} rounds (medians), "
          f"--threads {arguments.threads}; load average {before} before, {after} after")
    print("| protocol | server | requests/s | p50 ms | p99 ms | errors | served / offline |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for protocol in protocols:
        for name in ("mpw", "kserve"):
            runs = results.get((protocol, name))
            if not runs:
                continue
            print(f"| {protocol} | {'mpw serve' if name == 'mpw' else 'KServe 0.21 + ONNX Runtime'} | "
                  f"{median('requests_per_second', runs):.1f} | {median('p50_ms', runs):.1f} | {median('p99_ms', runs):.1f} | "
                  f"{sum(run['errors'] for run in runs)} | {median('served_over_offline', runs) if name == 'mpw' else float('nan'):.2f} |"
                  .replace("| nan |", "| - |"))
        if (protocol, "kserve") in results:
            ratio = median("requests_per_second", results[(protocol, "mpw")]) / median("requests_per_second", results[(protocol, "kserve")])
            print(f"| {protocol} | mpw / KServe | {ratio:.2f}x | | | | |")


if __name__ == "__main__":
    main()
