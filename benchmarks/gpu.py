"""Inference on SoA columns already on the device, against what it replaces, per element count n (10^2 ... 10^7):

  in_place       sofie_soa reads the track SoA's feature columns and writes its score column, on the device;
  copy_pipeline  device -> host copies of the columns, a host gather into [n, 8], host -> device, the same
                 sofie_soa session on that contiguous array, device -> host, and a host scatter into the score
                 column (a device copy);
  pytorch        the same MLP in PyTorch on the same device, fed by a device gather (torch.stack of the columns)
                 and scattered back into the score column.

The MLP is 8 -> 64 -> 64 -> 1 with a sigmoid head, reading the CMS-style track collection (examples/cmssw_like)
with its float32, int8, int32 and Eigen-coefficient columns; PyTorch receives the same weights. Every way is
timed to completion (the queue is waited for, PyTorch synchronized): medians of --repeats runs, side by side
in one process, after one warm-up run. The three score columns are compared before timing. Writes
<out>/gpu.json and <out>/gpu.png (benchmarks/results by default).

    python benchmarks/gpu.py [--device cuda:0] [--sizes 100 1000 ...] [--repeats 11] [--out DIR]

It runs on --device cpu as well (host SoA, PyTorch on the CPU), which is how the test suite checks the script.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

import sofie_soa as ss

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "examples" / "cmssw_like"))
from models import dense_mlp  # noqa: E402
from tracks import FEATURES, LAYOUT, produce  # noqa: E402

WIDTHS = [len(FEATURES), 64, 64, 1]


def torch_mlp(model: onnx.ModelProto, device):
    """The dense_mlp ONNX model as a torch.nn.Sequential with the same weights (Gemm transB=1: W is [out, in])."""
    import torch
    weights = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    layers = []
    for i in range(len(WIDTHS) - 1):
        linear = torch.nn.Linear(WIDTHS[i], WIDTHS[i + 1])
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(weights[f"w{i}"]))
            linear.bias.copy_(torch.tensor(weights[f"b{i}"]))
        layers += [linear, torch.nn.ReLU()] if i < len(WIDTHS) - 2 else [linear, torch.nn.Sigmoid()]
    return torch.nn.Sequential(*layers).to(device).eval()


def track_soa(n: int, device: str, seed: int = 0):
    """An n-track SoA on `device`, its feature columns filled by the example's producer (on the host, copied)."""
    import torch
    host = ss.SoA.allocate(LAYOUT, n)
    produce(host, np.random.default_rng(seed))
    if device == "cpu":
        return host
    soa = ss.SoA.allocate(LAYOUT, n, device=device)
    for name in {f.split("[")[0] for f in FEATURES}:
        torch.from_dlpack(soa[name]).copy_(torch.from_numpy(np.asarray(host[name])))
    return soa


def ways(model, mlp, soa, queue, device: str) -> dict:
    """name -> a function running that way once, to completion; each writes soa's score column."""
    import torch
    cuda = device != "cpu"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    columns = [torch.from_dlpack(soa[f.split("[")[0]]) for f in FEATURES]
    columns = [c[:, 0, 0] if c.dim() == 3 else c for c in columns]   # covariance[0]: the Eigen coefficient
    score = torch.from_dlpack(soa["score"])
    features, out = soa.tensor(FEATURES), soa.tensor(["score"])

    def in_place():
        model.infer(features, queue, out=out)     # on CUDA it returns once enqueued (SoA views only)
        queue.wait()

    def copy_pipeline():
        gathered = np.stack([c.cpu().numpy() for c in columns], axis=1).astype(np.float32)      # D -> H, gather
        result = torch.empty((soa.n, 1), dtype=torch.float32, device=device)
        model.infer(torch.from_numpy(gathered).to(device), queue, out=result)                 # H -> D, infer
        scattered = result.cpu().numpy()[:, 0]                                                  # D -> H
        score.copy_(torch.from_numpy(scattered))                                               # scatter
        sync()

    @torch.no_grad()
    def pytorch():
        score.copy_(mlp(torch.stack([c.float() for c in columns], dim=1))[:, 0])
        sync()
    return {"in_place": in_place, "copy_pipeline": copy_pipeline, "pytorch": pytorch}


def measure(run, repeats: int) -> float:
    """Median wall time of `run` in ms, after one warm-up call."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def agree(steps: dict, soa) -> float:
    """Runs every way once and returns the largest score difference between them."""
    import torch
    scores = []
    for run in steps.values():
        run()
        scores.append(torch.from_dlpack(soa["score"]).cpu().numpy().copy())
    return float(max(np.abs(s - scores[0]).max() for s in scores))


def plot(rows: list, device: str, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for way, style in (("in_place", "o-"), ("copy_pipeline", "s--"), ("pytorch", "^:")):
        ax.loglog([r["n"] for r in rows], [r[f"{way}_ms"] for r in rows], style, label=way)
    ax.set_xlabel("elements (tracks) n")
    ax.set_ylabel("ms per call (median)")
    ax.set_title(f"8 -> 64 -> 64 -> 1 MLP on SoA columns, {device}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda:0")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10 ** e for e in range(2, 8)])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    import torch
    cuda = args.device != "cpu"
    if cuda and not torch.cuda.is_available():
        raise SystemExit(f"{args.device}: PyTorch sees no CUDA GPU; nothing measured")
    onnx_model = dense_mlp(WIDTHS, head="Sigmoid")
    model = ss.compile(onnx_model.SerializeToString(), "cuda" if cuda else "cpu_serial", name="gpu_bench_mlp")
    queue = ss.Queue("cuda", device=int(args.device.partition(":")[2] or 0)) if cuda else ss.Queue("cpu_serial")
    mlp = torch_mlp(onnx_model, args.device)
    rows = []
    print(f"{'n':>9} {'in place ms':>12} {'copy ms':>10} {'pytorch ms':>11} {'x copy':>7} {'x pytorch':>10} "
          f"{'max diff':>9}")
    for n in args.sizes:
        soa = track_soa(n, args.device)
        steps = ways(model, mlp, soa, queue, args.device)
        difference = agree(steps, soa)
        ms = {way: measure(run, args.repeats) for way, run in steps.items()}
        row = {"n": n, "device": args.device, **{f"{w}_ms": t for w, t in ms.items()},
               "speedup_vs_copy_pipeline": ms["copy_pipeline"] / ms["in_place"],
               "speedup_vs_pytorch": ms["pytorch"] / ms["in_place"], "max_score_difference": difference}
        rows.append(row)
        print(f"{n:>9} {ms['in_place']:>12.3f} {ms['copy_pipeline']:>10.3f} {ms['pytorch']:>11.3f} "
              f"{row['speedup_vs_copy_pipeline']:>7.2f} {row['speedup_vs_pytorch']:>10.2f} {difference:>9.1e}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gpu.json").write_text(json.dumps(rows, indent=1))
    plot(rows, args.device, args.out / "gpu.png")
    print("wrote", args.out / "gpu.json", args.out / "gpu.png")
    return rows


if __name__ == "__main__":
    main()
