"""The architectures physicists deploy (tests/models/, exported from torch 2.13 by tests/models/make_models.py):
sofie_soa against onnxruntime (1 intra-op thread, graph optimizations at its default), side by side in one run,
medians, and each session's cold JIT build time. Writes results/architectures.json, architectures.png and the
README's table (between the <!-- architectures --> markers).

    python benchmarks/architectures.py [--quick] [--sizes 1 256]

  calo_resnet, conv1d_tagger, gru_tracks, lstm_tracks, deepjet, deepsets, transformer, particlenet, part
  (legacy exporter) at each batch size: model.infer (cpu_serial) vs InferenceSession.run, same inputs (masks of
  varying multiplicity where the model has one, as tests/runtime/test_exported_models.py makes them)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import sofie_soa as ss

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent / "tests" / "models"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "runtime"))
import plots  # noqa: E402
from run import machine, median_seconds, onnxruntime_session, write_readme  # noqa: E402
from test_exported_models import _inputs  # noqa: E402

ARCHITECTURES = ["calo_resnet", "conv1d_tagger", "gru_tracks", "lstm_tracks", "deepjet", "deepsets", "transformer",
                 "particlenet", "part"]


def cold_build_seconds(path: Path) -> float:
    """Seconds to compile the session with an empty build cache (the JIT path a first infer takes)."""
    previous = os.environ.get("SOFIE_SOA_CACHE")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["SOFIE_SOA_CACHE"] = cache
        try:
            start = time.perf_counter()
            ss.compile(path, "cpu_serial", name=path.stem)
            return time.perf_counter() - start
        finally:
            if previous is None:
                os.environ.pop("SOFIE_SOA_CACHE")
            else:
                os.environ["SOFIE_SOA_CACHE"] = previous


def measure(name: str, sizes: list, budget: float) -> list:
    path = MODELS / f"{name}.legacy.onnx"
    build = cold_build_seconds(path)
    model, queue = ss.compile(path, "cpu_serial", name=path.stem), ss.Queue("cpu_serial")
    session = onnxruntime_session(path.read_bytes())
    rows = []
    for n in sizes:
        feeds = _inputs(path, n, np.random.default_rng(n))
        want = session.run(None, feeds)[0]
        got = model.infer(feeds, queue)
        got = got if not isinstance(got, dict) else got[session.get_outputs()[0].name]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
        t_sofie = median_seconds(lambda: model.infer(feeds, queue), budget)
        t_ort = median_seconds(lambda: session.run(None, feeds), budget)
        rows.append({"model": name, "n": n, "sofie_us": t_sofie * 1e6, "onnxruntime_us": t_ort * 1e6,
                     "speedup": t_ort / t_sofie, "cold_build_s": build})
    return rows


BEGIN, END = "<!-- architectures:begin -->", "<!-- architectures:end -->"


def table(rows: list) -> str:
    """The README table: one line per architecture, a column pair per batch size."""
    sizes = sorted({r["n"] for r in rows})
    head = "| architecture | " + " | ".join(f"n = {n}: sofie_soa / onnxruntime (speed-up)" for n in sizes) + \
        " | cold build |"
    lines = [head, "|---" * (len(sizes) + 2) + "|"]
    for name in dict.fromkeys(r["model"] for r in rows):
        mine = {r["n"]: r for r in rows if r["model"] == name}
        cells = [f"{mine[n]['sofie_us']:.0f} / {mine[n]['onnxruntime_us']:.0f} µs ({mine[n]['speedup']:.2f}×)"
                 for n in sizes]
        lines.append(f"| `{name}` | " + " | ".join(cells) + f" | {mine[sizes[0]]['cold_build_s']:.0f} s |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter timing budgets (noisier)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 256])
    args = parser.parse_args()
    budget = 0.05 if args.quick else 0.3
    results = {"machine": machine(),
               "architectures": [row for name in ARCHITECTURES for row in measure(name, args.sizes, budget)]}
    print(f"{'model':14} {'n':>5} {'sofie_soa':>12} {'onnxruntime':>12} {'speed-up':>9} {'cold build':>11}")
    for r in results["architectures"]:
        print(f"{r['model']:14} {r['n']:>5} {r['sofie_us']:>9.1f} us {r['onnxruntime_us']:>9.1f} us "
              f"{r['speedup']:>8.2f}x {r['cold_build_s']:>9.1f} s")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "architectures.json").write_text(json.dumps(results, indent=1))
    print("wrote", out / "architectures.json", plots.architectures(out / "architectures.json", out),
          write_readme(BEGIN, END, table(results["architectures"])))


if __name__ == "__main__":
    main()
