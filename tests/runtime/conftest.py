"""Models exported by PyTorch with a dynamic batch, compiled once per backend for the whole session."""

import functools

import numpy as np
import pytest

import sofie_soa as ss

torch = pytest.importorskip("torch", reason="the end-to-end models are exported with torch.onnx.export")

BACKENDS = ["cpu_serial", "cpu_threads", "cpu_omp2_blocks"]

ACTIVATIONS = {
    "relu": torch.nn.ReLU, "leaky_relu": lambda: torch.nn.LeakyReLU(0.1), "elu": torch.nn.ELU,
    "selu": torch.nn.SELU, "sigmoid": torch.nn.Sigmoid, "hardsigmoid": torch.nn.Hardsigmoid,
    "tanh": torch.nn.Tanh, "softplus": torch.nn.Softplus,
}


def mlp(activation: str) -> "torch.nn.Module":
    """4 inputs -> 16 -> 8 -> 3, the activation between layers, a softmax head for the relu model, a
    BatchNorm1d + Dropout for the tanh model (folded away by the compiler)."""
    act = ACTIVATIONS[activation]
    layers = [torch.nn.Linear(4, 16), act()]
    if activation == "tanh":
        layers += [torch.nn.BatchNorm1d(16), torch.nn.Dropout(0.2)]
    layers += [torch.nn.Linear(16, 8), act(), torch.nn.Linear(8, 3)]
    if activation == "relu":
        layers.append(torch.nn.Softmax(dim=1))
    if activation == "elu":
        layers.append(torch.nn.LogSoftmax(dim=1))
    net = torch.nn.Sequential(*layers).eval()
    with torch.no_grad():
        for module in net:
            if isinstance(module, torch.nn.BatchNorm1d):
                module.running_mean.uniform_(-1, 1)
                module.running_var.uniform_(0.5, 2)
    return net


@functools.lru_cache(maxsize=None)
def exported(activation: str, tmp_dir: str) -> str:
    torch.manual_seed(7)
    path = f"{tmp_dir}/mlp_{activation}.onnx"
    torch.onnx.export(mlp(activation), torch.zeros(2, 4), path, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, dynamo=False)
    return path


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def compiled(model_dir):
    cache = {}

    def get(activation, backend):
        key = (activation, backend)
        if key not in cache:
            cache[key] = ss.compile(exported(activation, model_dir), backend)
        return cache[key]
    return get


@pytest.fixture(scope="session")
def queues():
    return {b: ss.Queue(b) for b in BACKENDS}


TRACK_LAYOUT = ss.Layout([ss.column("pt", "float32"), ss.column("nHits", "int32"), ss.column("chi2", "float32"),
                          ss.scalar("bField", "float32"), ss.eigen_column("state", "float64", (5, 1)),
                          ss.column("score", "float32"), ss.eigen_column("probs", "float64", (3, 1))])
FEATURES = ["pt", "nHits", "state[3]", "bField"]


def tracks(n: int, seed: int = 0) -> "ss.SoA":
    """An SoA of n simulated tracks: float32, int32, float64 Eigen coefficient and a broadcast scalar."""
    rng = np.random.default_rng(seed)
    soa = ss.SoA.allocate(TRACK_LAYOUT, n)
    soa["pt"][:] = rng.exponential(2.0, n)
    soa["nHits"][:] = rng.integers(3, 15, n)
    soa["chi2"][:] = rng.chisquare(3, n)
    soa["state"][:] = rng.normal(size=(n, 5, 1))
    soa["bField"][()] = 3.8
    return soa


def gathered(soa) -> np.ndarray:
    """The copy pipeline's contiguous float32 [n, 4] input (the reference for onnxruntime)."""
    return np.stack([soa["pt"], soa["nHits"].astype(np.float32), soa["state"][:, 3, 0].astype(np.float32),
                     np.full(soa.n, soa.scalar("bField"), np.float32)], axis=1)
