"""Ragged collections in place against the copy pipeline they replace: the jet tagger of examples/cmssw_like
(jet_tagger.onnx, a weaver-core ParticleNet over the first 64 candidates of each jet) on jets and candidates SoAs
(jets.py, 0 to 120 candidates per jet), for 10^2 ... 10^5 jets, side by side in one run, medians:

  in place        model.infer over ragged views of the candidates (begin/count ranges), probabilities written into
                  the jets SoA (cpu_serial)
  copy pipeline   gather and pad the candidates into [n, C, 64] float32 arrays and a mask, onnxruntime (1 thread),
                  scatter the probabilities back into the jets SoA
  gather alone    the copy pipeline's gather and pad, on its own

Both ways must agree (1e-4 in probability) before anything is timed, except on at most 0.1% of the jets: where two
kNN distances tie to float rounding, the two ways may pick different neighbours. Writes results/ragged.json and ragged.png.

Beyond --event-jets jets (10^4) a size runs as several events, each its own SoAs, one call per event both ways.

    python benchmarks/ragged.py [--sizes 100 1000 10000 100000] [--budget 1.0] [--event-jets 10000]
                                [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import sofie_soa as ss

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "cmssw_like"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(EXAMPLE))
import jets as collections  # noqa: E402
import plots  # noqa: E402
from run import machine, median_seconds, onnxruntime_session  # noqa: E402

TAGGER = EXAMPLE / "jet_tagger.onnx"


class Event:
    """One event's jets and candidates SoAs, with the views and buffers both ways use."""

    def __init__(self, n: int, seed: int):
        self.jets, self.cands = collections.produce(n, np.random.default_rng(seed))
        self.inputs, self.out = collections.views(self.jets, self.cands), self.jets.tensor(collections.OUTPUTS)
        self.probs = np.empty((n, 3), np.float32)

    def gather(self) -> dict:
        return collections.gather(self.jets, self.cands)


def measure(model, session, n: int, budget: float, event_jets: int) -> dict:
    """n jets as events of at most `event_jets` jets each (each its own SoAs, as a producer sees them: the
    workspace of one call grows with its jets, 144.5 kB per jet for this tagger)."""
    events = [Event(min(event_jets, n - first), n + first) for first in range(0, n, event_jets)]
    queue = ss.Queue("cpu_serial")

    def in_place():
        for e in events:
            model.infer(e.inputs, queue, out=e.out)

    def copy_pipeline():
        for e in events:
            e.probs[:] = session.run(None, e.gather())[0]
            for k, name in enumerate(collections.OUTPUTS):
                e.jets[name][:] = e.probs[:, k]

    in_place()
    written = np.concatenate([np.stack([e.jets[name] for name in collections.OUTPUTS], 1) for e in events])
    copy_pipeline()
    deviation = np.abs(written - np.concatenate([e.probs for e in events])).max(axis=1, initial=0.0)
    difference, differing = float(deviation.max(initial=0.0)), int((deviation > 1e-4).sum())
    # a jet may differ where two of its kNN distances tie to float rounding (the neighbours then differ): rare
    assert differing <= max(1, n // 1000), f"{differing} of {n} jets differ from the copy pipeline by > 1e-4"
    repeats = 7 if n <= 10_000 else 1
    t_in_place = median_seconds(in_place, budget, repeats)
    t_copy = median_seconds(copy_pipeline, budget, repeats)
    t_gather = median_seconds(lambda: [e.gather() for e in events], budget, repeats)
    staged = sum(a.nbytes for e in events for a in e.gather().values()) + sum(e.probs.nbytes for e in events)
    return {"jets": n, "events": len(events), "candidates": sum(e.cands.n for e in events),
            "in_place_ms": t_in_place * 1e3, "copy_pipeline_ms": t_copy * 1e3,
            "gather_ms": t_gather * 1e3, "speedup": t_copy / t_in_place, "copy_bytes_staged": staged,
            "in_place_bytes_staged": 0, "max_probability_difference": difference,
            "jets_differing_by_1e-4": differing}


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10_000, 100_000])
    parser.add_argument("--budget", type=float, default=1.0, help="seconds of timing per way and size")
    parser.add_argument("--event-jets", type=int, default=10_000, help="jets per event (more jets: more events)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    model = ss.compile(TAGGER, "cpu_serial")
    session = onnxruntime_session(TAGGER.read_bytes())
    rows = []
    print(f"{'jets':>8} {'candidates':>11} {'in place ms':>12} {'copy ms':>10} {'gather ms':>10} {'speed-up':>9}")
    for n in args.sizes:
        row = measure(model, session, n, args.budget, args.event_jets)
        rows.append(row)
        print(f"{n:>8,} {row['candidates']:>11,} {row['in_place_ms']:>12.3f} {row['copy_pipeline_ms']:>10.3f} "
              f"{row['gather_ms']:>10.3f} {row['speedup']:>8.2f}x")
    args.out.mkdir(parents=True, exist_ok=True)
    results = args.out / "ragged.json"
    results.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=1))
    print("wrote", results, "and", plots.ragged(results, args.out))
    return rows


if __name__ == "__main__":
    main()
