"""The CMS-style chain's selector step, per event, versus tracks per event (100 ... 1,000,000): sofie_soa in place,
the copy pipeline it replaces (gather -> onnxruntime -> scatter), and onnxruntime alone on the already gathered
array; on one stream and on two (threads, each with its own queue, SoA and onnxruntime session). Prints a table,
writes benchmarks/results/cmssw_like.json and cmssw_like.png.

    python benchmarks/cmssw_like.py [--quick]
"""

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

import sofie_soa as ss

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "cmssw_like"
sys.path.insert(0, str(EXAMPLE))
sys.path.insert(0, str(HERE))
import plots  # noqa: E402
from tracks import FEATURES, LAYOUT, gather, produce  # noqa: E402

MODEL = EXAMPLE / "track_classifier.onnx"


def stream_steps(model, n: int, seed: int) -> dict:
    """The three ways to run one stream's selector on an n-track event (a filled SoA of its own)."""
    queue = ss.Queue("cpu_serial")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(MODEL), options, providers=["CPUExecutionProvider"])
    soa = ss.SoA.allocate(LAYOUT, n)
    produce(soa, np.random.default_rng(seed))
    features, score, gathered = soa.tensor(FEATURES), soa.tensor(["score"]), gather(soa)

    def copy_pipeline():
        soa["score"][:] = session.run(None, {"features": gather(soa)})[0][:, 0]
    return {"sofie_soa": lambda: model.infer(features, queue, out=score),
            "copy_pipeline": copy_pipeline,
            "onnxruntime_gathered": lambda: session.run(None, {"features": gathered})}


def events_per_second(steps: list, events: int) -> float:
    """Events/s with len(steps) streams, each running `events` events on its own thread; median of 3."""
    def once():
        threads = [threading.Thread(target=lambda s=s: [s() for _ in range(events)]) for s in steps]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return len(steps) * events / (time.perf_counter() - start)
    for s in steps:
        s()
    return statistics.median(once() for _ in range(3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    model = ss.compile(MODEL, "cpu_serial")
    rows = []
    print(f"{'tracks':>9} {'streams':>7} {'sofie_soa ev/s':>15} {'copy ev/s':>11} {'ort-only ev/s':>14} "
          f"{'sofie ms/ev':>12} {'copy ms/ev':>11}")
    for n in (100, 1_000, 10_000, 100_000, 1_000_000):
        for streams in (1, 2):
            per_stream = [stream_steps(model, n, seed) for seed in range(streams)]
            events = max(2, int((2e4 if args.quick else 1e5) / max(n, 100) * 10))
            rate = {way: events_per_second([s[way] for s in per_stream], min(events, 2000))
                    for way in ("sofie_soa", "copy_pipeline", "onnxruntime_gathered")}
            row = {"tracks": n, "streams": streams, **{f"{k}_events_per_s": v for k, v in rate.items()},
                   **{f"{k}_ms_per_event": streams / v * 1e3 for k, v in rate.items()}}
            rows.append(row)
            print(f"{n:>9} {streams:>7} {rate['sofie_soa']:>15.1f} {rate['copy_pipeline']:>11.1f} "
                  f"{rate['onnxruntime_gathered']:>14.1f} {row['sofie_soa_ms_per_event']:>12.3f} "
                  f"{row['copy_pipeline_ms_per_event']:>11.3f}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "cmssw_like.json").write_text(json.dumps(rows, indent=1))
    plots.cmssw_like(out / "cmssw_like.json", out)
    print("wrote", out / "cmssw_like.json", out / "cmssw_like.png")


if __name__ == "__main__":
    main()
