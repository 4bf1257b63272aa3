"""Main job: a bundled MLP (examples/models/track_mlp.onnx, exported by torch.onnx.export) compiled to an alpaka
session and run in place on a CMS-style SoA collection of tracks — float32, int32 and float64 columns, an Eigen
coefficient and a broadcast scalar, read without a staging copy; the score written straight into its column.
Prints the scores' agreement with onnxruntime on the gathered (copied) input."""

import sys
import time
from pathlib import Path

import numpy as np

import sofie_soa as ss

MODEL = Path(__file__).resolve().parent / "models" / "track_mlp.onnx"


def main(n: int = 100_000, backend: str = "cpu_serial") -> int:
    layout = ss.Layout([ss.column("pt", "float32"), ss.column("eta", "float32"), ss.column("phi", "float64"),
                        ss.column("nHits", "int32"), ss.scalar("bField", "float32"),
                        ss.eigen_column("state", "float32", (5, 1)), ss.column("score", "float32")])
    soa = ss.SoA.allocate(layout, n)
    rng = np.random.default_rng(1)
    soa["pt"][:] = rng.exponential(2.0, n)
    soa["eta"][:] = rng.uniform(-2.5, 2.5, n)
    soa["phi"][:] = rng.uniform(-np.pi, np.pi, n)
    soa["nHits"][:] = rng.integers(3, 15, n)
    soa["bField"][()] = 3.8
    soa["state"][:] = rng.normal(size=(n, 5, 1))
    features = ["pt", "eta", "phi", "nHits", "state[2]", "bField"]

    model = ss.compile(MODEL, backend=backend)
    queue = ss.Queue(backend)
    model.infer(soa.tensor(features), queue, out=soa.tensor(["score"]))   # first call builds the session
    start = time.perf_counter()
    model.infer(soa.tensor(features), queue, out=soa.tensor(["score"]))
    elapsed = time.perf_counter() - start
    print(f"{n} tracks, backend {backend}: {elapsed * 1e3:.2f} ms ({n / elapsed / 1e6:.1f} M tracks/s), "
          f"bytes staged: 0 (features read in place from {layout.byte_size(n)} bytes of SoA)")
    print("first scores:", np.round(soa["score"][:5], 4))

    import onnxruntime as ort
    gathered = np.stack([soa["pt"], soa["eta"], soa["phi"].astype(np.float32), soa["nHits"].astype(np.float32),
                         soa["state"][:, 2, 0], np.full(n, soa.scalar("bField"), np.float32)], axis=1)
    reference = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"]).run(None, {"features": gathered})[0]
    diff = float(np.abs(soa["score"] - reference[:, 0]).max())
    print(f"agreement with onnxruntime on the gathered copy: max |diff| = {diff:.2e}")
    return 0 if diff < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
