"""The CMS-style chain in Python — the project's main job. Per event: an upstream producer fills an SoA
collection of simulated tracks; a high-purity selector runs the bundled DNN (track_classifier.onnx, trained by
train.py) in place, reading mixed-dtype feature columns and writing the `score` column, on the stream's queue;
a consumer sets `quality` by a threshold and counts. Side by side, the pipeline it replaces: gather the features
into a contiguous float32 array, run onnxruntime, scatter the scores back. Then a jet-tagging step: a jets SoA and
a particle-flow candidates SoA (jets.py, 0 to 120 candidates per jet), the tagger (jet_tagger.onnx, a weaver-core
ParticleNet trained by train_tagger.py) reading the first 64 candidates of each jet in place through ragged views
and writing b/c/light probabilities into the jets SoA; beside it, the copy pipeline (gather and pad, onnxruntime,
scatter). Ends with a DLPack hand-off of the scores to PyTorch without a copy.

    python examples/cmssw_like/chain.py [--events 200] [--tracks 5000] [--jets 30] [--backend cpu_serial]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

import jets as jet_collections
import sofie_soa as ss
from tracks import FEATURES, LAYOUT, gather, produce, roc_auc

MODEL = Path(__file__).resolve().parent / "track_classifier.onnx"
TAGGER = Path(__file__).resolve().parent / "jet_tagger.onnx"
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
    parser.add_argument("--jets", type=int, default=30, help="mean jets per event (Poisson); 0: no jet tagging")
    parser.add_argument("--backend", default="cpu_serial")
    args = parser.parse_args()

    model = ss.compile(MODEL, args.backend)
    queue = ss.Queue(args.backend)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    reference = ort.InferenceSession(str(MODEL), options, providers=["CPUExecutionProvider"])
    rng, rng_jets = np.random.default_rng(1), np.random.default_rng(2)
    jet_step = JetTagging(args.backend, options) if args.jets else None
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
        if args.jets:
            jet_step.run(int(rng_jets.poisson(args.jets)), rng_jets, queue)
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
    tags_agree = jet_step.report(args.events) if jet_step else True
    return 0 if disagreements == 0 and zero_copy and tags_agree else 1


class JetTagging:
    """The jet-tagging step: per event, jets and candidates from the producer (jets.py), the tagger in place on
    ragged views, and the copy pipeline beside it; accumulates times, bytes staged, differences and the truth."""

    def __init__(self, backend: str, options):
        self.model = ss.compile(TAGGER, backend)
        self.reference = ort.InferenceSession(str(TAGGER), options, providers=["CPUExecutionProvider"])
        self.jets = self.staged = self.differing = 0
        self.t_sofie = self.t_copy = self.max_difference = 0.0
        self.probs, self.flavours = [], []

    def run(self, n: int, rng, queue) -> None:
        jets, cands = jet_collections.produce(n, rng)
        t0 = time.perf_counter()
        self.model.infer(jet_collections.views(jets, cands), queue, out=jets.tensor(jet_collections.OUTPUTS))
        self.t_sofie += time.perf_counter() - t0
        t0 = time.perf_counter()                               # the copy pipeline: gather and pad, run, scatter
        padded = jet_collections.gather(jets, cands)
        copied = np.empty((n, 3), np.float32)
        copied[:] = self.reference.run(None, padded)[0]
        self.t_copy += time.perf_counter() - t0
        self.staged += sum(a.nbytes for a in padded.values()) + copied.nbytes
        probs = np.stack([jets[name] for name in jet_collections.OUTPUTS], 1)
        deviation = np.abs(probs - copied).max(axis=1, initial=0.0)
        self.max_difference = max(self.max_difference, float(deviation.max(initial=0.0)))
        self.differing += int((deviation > 1e-4).sum())
        self.jets += n
        self.probs.append(probs)
        self.flavours.append(jets["flavour"].copy())

    def report(self, events: int) -> bool:
        """Prints the step's figures; True when in-place and copy pipeline agree (1e-4 in probability) on all but
        at most 0.1% of the jets (where two kNN distances tie to float rounding, the neighbours may differ)."""
        probs, flavour = np.concatenate(self.probs), np.concatenate(self.flavours)
        b_or_light = flavour != 1
        auc = roc_auc(probs[b_or_light, 0] / (probs[b_or_light, 0] + probs[b_or_light, 2]), flavour[b_or_light] == 0)
        print(f"jet tagger step alone (ParticleNet over the first {jet_collections.P} candidates of "
              f"{self.jets} jets):")
        print(f"sofie_soa in place:  {events / self.t_sofie:10.1f} events/s {self.jets / self.t_sofie / 1e3:8.2f} "
              f"k jets/s, bytes staged: 0")
        print(f"pad+onnxruntime:     {events / self.t_copy:10.1f} events/s {self.jets / self.t_copy / 1e3:8.2f} "
              f"k jets/s, bytes staged: {self.staged:,}")
        print(f"jets differing from the copy pipeline by more than 1e-4 in probability: {self.differing} "
              f"(largest difference {self.max_difference:.2e}); b vs light ROC AUC {auc:.4f}")
        return self.differing <= max(1, self.jets // 1000)


if __name__ == "__main__":
    sys.exit(main())
