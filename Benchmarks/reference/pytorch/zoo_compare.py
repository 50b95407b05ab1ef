"""Training and evaluation throughput and peak memory of the CIFAR zoo, ours against PyTorch in
both layouts, in one command: the zoo table of docs/benchmarks.md.

Each run is its own process: `mpw bench train --model M --head gapfc` for ours and zoo_train.py
(NCHW, then channels_last) for PyTorch, with the same batch, classes, threads, timed steps and
warm-up steps. The three take turns round by round, so a machine whose speed drifts slows each
alike; the table gives the median of the rounds and our ratio to PyTorch's faster layout.

    pip install --target /tmp/benchpy torch
    python3 Benchmarks/reference/pytorch/zoo_compare.py --python-path /tmp/benchpy \\
        --mpw .build/release/mpw --models resnet20,resnet110,wrn40_2 --steps 8 --warmup 2 --rounds 2

With --baseline-convolutions direct, ours also runs with `--convolutions direct` in each round
(the engine before a Winograd of its own, on CPUs whose oneDNN has none), and the table adds it.

Prints one Markdown table (and --json the raw runs).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = ["ours", "nchw", "channels-last"]


def run(command, environment):
    finished = subprocess.run(command, capture_output=True, text=True, env=environment)
    if finished.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({finished.returncode}): {finished.stderr.strip().splitlines()[-1:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def figure(value):
    """Images/s as the table prints them: whole numbers from 100 up, else three significant digits."""
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def command(arguments, model, engine):
    shared = ["--model", model, "--batch", str(arguments.batch), "--classes", str(arguments.classes),
              "--threads", str(arguments.threads), "--steps", str(arguments.steps), "--warmup", str(arguments.warmup)]
    if engine == "ours":
        return [arguments.mpw, "bench", "train", "--head", "gapfc", "--json"] + shared
    if engine == "baseline":
        return [arguments.mpw, "bench", "train", "--head", "gapfc", "--json", "--convolutions",
                arguments.baseline_convolutions] + shared
    layout = ["--channels-last"] if engine == "channels-last" else []
    return [sys.executable, os.path.join(HERE, "zoo_train.py")] + shared + layout


def print_table(runs, models, engines):
    """The Markdown table of the medians, from runs keyed by (model, engine)."""
    def median(model, engine, key):
        return statistics.median(run[key] for run in runs[(model, engine)])

    baseline = "baseline" in engines
    print("| model | ours train / eval img/s | " + ("ours before | " if baseline else "") + "PyTorch NCHW | PyTorch channels_last | "
          + ("ours before / PyTorch's better layout | " if baseline else "") + "ours / PyTorch's better layout, "
          "train / eval | peak RSS GB (" + ", ".join(engines) + ") |")
    print("| --- " * (6 + 2 * baseline) + "|")
    for model in models:
        cells, ratios, before = [], [], []
        for key in ["train_images_per_second", "eval_images_per_second"]:
            best = max(median(model, "nchw", key), median(model, "channels-last", key))
            ratios.append(f"{median(model, 'ours', key) / best:.2f}x")
            if baseline:
                before.append(f"{median(model, 'baseline', key) / best:.2f}x")
        for engine in engines:
            train, evaluation = median(model, engine, "train_images_per_second"), median(model, engine, "eval_images_per_second")
            cells.append(f"{figure(train)} / {figure(evaluation)}")
        memory = ", ".join(f"{median(model, engine, 'peak_rss_bytes') / 1e9:.2f}" for engine in engines)
        old = f" | {' / '.join(before)}" if baseline else ""
        print(f"| `{model}` | " + " | ".join(cells) + f"{old} | {' / '.join(ratios)} | {memory} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python-path", help="folder holding torch (pip install --target FOLDER torch)")
    parser.add_argument("--mpw", default="mpw", help="our binary (default: mpw on the PATH)")
    parser.add_argument("--models", default="resnet20,resnet110,wrn40_2,wrn28_10,densenet100,pyramidnet200",
                        help="comma-separated CIFAR zoo models")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=8, help="timed training steps (and evaluation batches) per run")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; the table shows their medians")
    parser.add_argument("--json", action="store_true", help="print every run as JSON after the table")
    parser.add_argument("--baseline-convolutions", choices=["direct", "winograd", "automatic"],
                        help="also run ours with this --convolutions each round (the table's 'ours before')")
    arguments = parser.parse_args()
    engines = ["ours"] + (["baseline"] if arguments.baseline_convolutions else []) + ENGINES[1:]

    environment = dict(os.environ, OMP_NUM_THREADS=str(arguments.threads))
    if arguments.python_path:
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [arguments.python_path, environment.get("PYTHONPATH")]))
    models = arguments.models.split(",")
    runs = {}
    for model in models:
        for _ in range(arguments.rounds):
            for engine in engines:
                result = run(command(arguments, model, engine), environment)
                runs.setdefault((model, engine), []).append(result)
                print(f"{model} {engine}: train {result['train_images_per_second']:.2f}, "
                      f"eval {result['eval_images_per_second']:.2f} images/s", file=sys.stderr)

    print(f"batch {arguments.batch}, {arguments.threads} threads, {arguments.classes} classes, GAP-FC head, "
          f"{arguments.steps} timed steps, median of {arguments.rounds} alternating rounds\n")
    print_table(runs, models, engines)
    if arguments.json:
        print(json.dumps([{"model": m, "engine": e, "runs": r} for (m, e), r in runs.items()]))


if __name__ == "__main__":
    main()
