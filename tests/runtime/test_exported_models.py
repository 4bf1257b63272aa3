"""Models from real exporters (tests/models/make_models.py: torch 2.13, legacy and dynamo exporters): DeepSets with
a mask, a transformer encoder layer, a boolean-mask path, view-style shape arithmetic (issue 14), a calorimeter-image
ResNet, a Conv1d stack, GRU and LSTM track models, a DeepJet-like tagger, and weaver-core's ParticleNet and ParT
(issue 15; ParT from the legacy exporter only). Each matches onnxruntime (rtol 1e-4, atol 1e-5) at n in
{1, 7, 1000} on every CPU back-end, cpu_serial and cpu_threads agree bitwise, and the sessions compile for CUDA
where nvcc exists."""

import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many

MODELS = sorted((Path(__file__).resolve().parents[1] / "models").glob("*.onnx"))
CPU_BACKENDS = ["cpu_serial", "cpu_threads", "cpu_omp2_blocks"]
SIZES = [1, 7, 1000]


def _inputs(path: Path, n: int, rng) -> dict:
    """Inputs of the exported model at `path` for n elements. A model with a mask over its particles (the last
    axis) gets masks of varying multiplicity (DeepSets: none to all of its 8 points; ParticleNet, ParT: one to all
    16, with the masked particles' features zero and ParT's four-momenta v positive everywhere, as log(0) in its
    pair features would make onnxruntime's result NaN too); the boolean-mask model zero-padded points."""
    session = ort.InferenceSession(str(path))
    feeds = {}
    for meta in session.get_inputs():
        shape = [n, *meta.shape[1:]]
        feeds[meta.name] = rng.standard_normal(shape).astype(np.float32)
    if "mask" in feeds:
        particles = feeds["mask"].shape[-1]
        lengths = rng.integers(0 if path.name.startswith("deepsets") else 1, particles + 1, n)
        mask = np.arange(particles) < lengths[:, None]
        feeds["mask"] = mask.reshape(feeds["mask"].shape).astype(np.float32)
        for name in ("points", "features", "x"):
            if name in feeds and feeds[name].ndim == 3 and feeds[name].shape[-1] == particles:
                feeds[name] *= feeds["mask"].reshape(n, 1, particles)
        if "v" in feeds:
            feeds["v"] = np.abs(feeds["v"]) + 1
    if path.name.startswith("boolmask"):
        lengths = rng.integers(0, feeds["x"].shape[1] + 1, n)
        feeds["x"][np.arange(feeds["x"].shape[1])[None, :] >= lengths[:, None]] = 0.0
    return feeds


@pytest.fixture(scope="module")
def compiled():
    return {backend: dict(zip(MODELS, compile_many(MODELS, backend, names=[p.stem for p in MODELS])))
            for backend in CPU_BACKENDS}


def test_the_exported_models_are_there():
    names = {p.name for p in MODELS}
    exported = ("deepsets", "transformer", "boolmask", "view", "calo_resnet", "conv1d_tagger", "gru_tracks",
                "lstm_tracks", "deepjet", "particlenet")
    assert {f"{m}.{e}.onnx" for m in exported for e in ("legacy", "dynamo")} | {"part.legacy.onnx"} <= names


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_exported_models_match_onnxruntime_on_every_cpu_backend(compiled, path):
    rng = np.random.default_rng(len(path.name))
    reference = ort.InferenceSession(str(path))
    names = [o.name for o in reference.get_outputs()]
    for n in SIZES:
        feeds = _inputs(path, n, rng)
        want = dict(zip(names, reference.run(None, feeds)))
        results = {}
        for backend in CPU_BACKENDS:
            got = compiled[backend][path].infer(feeds, ss.Queue(backend))
            got = got if isinstance(got, dict) else {names[0]: got}
            for name in names:
                np.testing.assert_allclose(got[name], want[name], rtol=1e-4, atol=1e-5,
                                           err_msg=f"{path.name} on {backend} at n = {n}, output {name}")
            results[backend] = got
        for name in names:
            assert results["cpu_serial"][name].tobytes() == results["cpu_threads"][name].tobytes(), (path.name, n)


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc to compile the CUDA back-end")
def test_exported_models_compile_for_cuda():
    models = compile_many(MODELS, "cuda", names=[p.stem for p in MODELS])
    assert [m.backend for m in models] == ["cuda"] * len(MODELS)
