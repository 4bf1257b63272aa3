"""Fixtures of the serving tests: the bundled track classifier, its SoA binding, a model repository, and one
tritonserver on free loopback ports for the whole module set (skipped, with the reason, without a binary)."""

import sys
from pathlib import Path

import numpy as np
import pytest

import sofie_soa as ss

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "cmssw_like"
MODEL = EXAMPLE / "track_classifier.onnx"
MAX_N = 10_000
sys.path.insert(0, str(EXAMPLE))

from tracks import FEATURES, LAYOUT, gather, produce  # noqa: E402


@pytest.fixture(scope="session")
def model():
    """The track classifier compiled locally (the reference)."""
    return ss.compile(MODEL)


@pytest.fixture(scope="session")
def layout_json(tmp_path_factory):
    """The chain's layout with the classifier's features and score column, as a --soa-layout file."""
    from sofie_soa.serving import soa_layout
    path = tmp_path_factory.mktemp("layout") / "tracks.json"
    soa_layout.save(soa_layout.binding(LAYOUT, {"features": FEATURES}, {"score": ["score"]}), path)
    return path


@pytest.fixture(scope="session")
def repo(tmp_path_factory, layout_json):
    """A repository serving the classifier in both forms: max n 10^4, 2 instances, preferred batch 4096 rows."""
    from sofie_soa.serving.repository import write_repository
    out = tmp_path_factory.mktemp("repo")
    write_repository(MODEL, out, max_batch_size=MAX_N, instances=2, soa_layout_path=layout_json,
                     preferred_batch_sizes=[4096])
    return out


@pytest.fixture(scope="session")
def server(repo, tmp_path_factory):
    """tritonserver on 127.0.0.1 (free ports) over `repo`; stopped at the end. Start-up is bounded (120 s)."""
    from sofie_soa.serving.locate import ServerNotFound
    from sofie_soa.serving.server import Server
    pytest.importorskip("tritonclient.grpc", reason="the client needs tritonclient[http,grpc]")
    try:
        s = Server(repo, log_file=tmp_path_factory.mktemp("log") / "triton.log", startup_timeout=120)
    except ServerNotFound as err:
        pytest.skip(f"no tritonserver binary: {err}")
    with s:
        yield s


def tracks(n: int, seed: int) -> ss.SoA:
    """An SoA of n simulated tracks (the chain's producer)."""
    soa = ss.SoA.allocate(LAYOUT, n)
    produce(soa, np.random.default_rng(seed))
    return soa


def local_scores(model, soa) -> np.ndarray:
    """Local in-place inference into a fresh copy of the score column: float32 [n]."""
    out = ss.SoA.allocate(LAYOUT, soa.n)
    model.infer(soa.tensor(FEATURES), out=out.tensor(["score"]))
    return out["score"].copy()


__all__ = ["FEATURES", "LAYOUT", "MAX_N", "MODEL", "gather", "local_scores", "tracks"]
