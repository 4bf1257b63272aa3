"""The CMS-style chain in Python — the project's main job. Per event: an upstream producer fills an SoA
collection of simulated tracks; a high-purity selector runs the bundled DNN (track_classifier.onnx, trained by
train.py) in place, reading mixed-dtype feature columns and writing the `score` column, on the stream's queue;
a consumer sets `quality` by a threshold and counts. Side by side, the pipeline it replaces: gather the features
into a contiguous float32 array, run onnxruntime, scatter the scores back. Ends with a DLPack hand-off of the
scores to PyTorch without a copy.

    python examples/cmssw_like/chain.py [--events 200] [--tracks 5000] [--backend cpu_serial]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

import sofie_soa as ss
from tracks import FEATURES, LAYOUT, gather, produce, roc_auc

MODEL = Path(__file__).resolve().parent / "track_classifier.onnx"
THRESHOLD = 0.5


def progress(done: int, total: int, start: float) -> None:
    """A progress bar on stderr, redrawn every 5% of the events; its rate is of the whole event loop (producer,
    in-place selector, consumer and the copy pipeline beside it), not of a selector alone as in the summary."""
    if done % max(total // 20, 1) and done != total:
        return
    width = 30
    filled = width * done // total
    rate = done / max(time.perf_counter() - start, 1e-9)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} events (whole loop: {rate:.0f} events/s)")
    if done == total:
        sys.stderr.write("\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--tracks", type=int, default=5000, help="mean tracks per event (Poisson)")
    parser.add_argument("--backend", default="cpu_serial")
    args = parser.parse_args()

    model = ss.compile(MODEL, args.backend)
    queue = ss.Queue(args.backend)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    reference = ort.InferenceSession(str(MODEL), options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    tracks = selected = disagreements = staged = 0
    t_sofie = t_copy = 0.0
    scores, truths = [], []
    start = time.perf_counter()
    for event in range(args.events):
        n = int(rng.poisson(args.tracks))
        soa = ss.SoA.allocate(LAYOUT, n)                       # from the host caching allocator
        truth = produce(soa, rng)                              # upstream producer
        t0 = time.perf_counter()
        model.infer(soa.tensor(FEATURES), queue, out=soa.tensor(["score"]))   # selector, in place
        t_sofie += time.perf_counter() - t0
        soa["quality"][:] = soa["score"] > THRESHOLD           # consumer
        selected += int(soa["quality"].sum())
        tracks += n

        t0 = time.perf_counter()                               # the copy pipeline it replaces
        x = gather(soa)
        copied = np.empty(n, np.float32)
        copied[:] = reference.run(None, {"features": x})[0][:, 0]
        t_copy += time.perf_counter() - t0
        staged += x.nbytes + copied.nbytes
        disagreements += int(((copied > THRESHOLD) != soa["quality"].astype(bool)).sum())
        scores.append(soa["score"].copy())
        truths.append(truth)
        progress(event + 1, args.events, start)

    try:                                                       # the last event's scores, no copy
        import torch
        consumer = "PyTorch"
        address = torch.from_dlpack(soa.tensor(["score"])).data_ptr()
    except ImportError:                                        # the main job runs without torch (README)
        consumer = "NumPy (install torch to hand them to PyTorch)"
        address = np.from_dlpack(soa.tensor(["score"])).__array_interface__["data"][0]
    zero_copy = address == soa.address + LAYOUT.offset("score", soa.n)
    auc = roc_auc(np.concatenate(scores), np.concatenate(truths))
    print(f"{args.events} events, {tracks} tracks, backend {args.backend}")
    print("selector step alone (the classifier's call per event):")
    print(f"sofie_soa in place:  {args.events / t_sofie:10.1f} events/s {tracks / t_sofie / 1e6:8.2f} M tracks/s, "
          f"bytes staged: 0")
    print(f"gather+onnxruntime:  {args.events / t_copy:10.1f} events/s {tracks / t_copy / 1e6:8.2f} M tracks/s, "
          f"bytes staged: {staged:,}")
    print(f"selected {selected} tracks (score > {THRESHOLD}); selections differing from the copy pipeline: "
          f"{disagreements}; ROC AUC {auc:.4f}")
    print(f"scores handed to {consumer} by DLPack without a copy: {zero_copy}")
    return 0 if disagreements == 0 and zero_copy else 1


if __name__ == "__main__":
    sys.exit(main())
