"""The track collection of the CMS-style chain: a layout like the HLT pixel-track SoA, and the upstream
producer that fills it with simulated tracks (genuine tracks and fakes with different chi2, hit and impact
parameter distributions)."""

import numpy as np

import sofie_soa as ss

LAYOUT = ss.Layout([
    ss.column("pt", "float32"), ss.column("eta", "float32"), ss.column("phi", "float32"),
    ss.column("chi2", "float32"),           # chi2 / ndof
    ss.column("nLayers", "int8"), ss.column("nHits", "int32"),
    ss.column("dxy", "float32"), ss.column("dz", "float32"), ss.column("charge", "int8"),
    ss.eigen_column("state", "float32", (5, 1)), ss.eigen_column("covariance", "float32", (15, 1)),
    ss.scalar("nTracks", "int32"),
    ss.column("score", "float32"), ss.column("quality", "uint8"),
])

# What the classifier reads, in place: float32, int8 and int32 columns and an Eigen coefficient.
FEATURES = ["pt", "eta", "chi2", "nLayers", "nHits", "dxy", "dz", "covariance[0]"]


def produce(soa, rng: np.random.Generator, fake_fraction: float = 0.3) -> np.ndarray:
    """Fills all n tracks of `soa` in place; returns the truth (1 genuine, 0 fake) for evaluation."""
    n = soa.n
    genuine = rng.random(n) >= fake_fraction
    g = genuine
    soa["pt"][:] = np.where(g, rng.exponential(3.0, n) + 0.5, rng.exponential(2.0, n) + 0.5)
    soa["eta"][:] = rng.uniform(-2.5, 2.5, n)
    soa["phi"][:] = rng.uniform(-np.pi, np.pi, n)
    soa["chi2"][:] = np.where(g, rng.chisquare(3, n) / 3, rng.chisquare(3, n) / 3 * 1.5 + rng.exponential(0.3, n))
    layers = np.where(g, rng.integers(3, 9, n), rng.integers(3, 7, n))
    soa["nLayers"][:] = layers
    soa["nHits"][:] = layers + np.where(g, rng.integers(0, 4, n), rng.integers(0, 2, n))
    soa["dxy"][:] = np.where(g, rng.normal(0, 0.02, n), rng.normal(0, 0.04, n))
    soa["dz"][:] = np.where(g, rng.normal(0, 0.05, n), rng.normal(0, 0.1, n))
    soa["charge"][:] = rng.choice(np.array([-1, 1], np.int8), n)
    soa["state"][:, :, 0] = np.stack([soa["phi"], soa["eta"], 1 / soa["pt"], soa["dxy"], soa["dz"]], axis=1)
    cov = rng.uniform(0.1, 1.0, (n, 15)).astype(np.float32) * 1e-3
    cov[:, 0] *= np.where(g, 1.0, 1.5) / soa["pt"] ** 2
    soa["covariance"][:, :, 0] = cov
    soa["nTracks"][()] = n
    return genuine


def gather(soa) -> np.ndarray:
    """The copy pipeline's contiguous row-major float32 [n, 8] array of FEATURES."""
    return np.stack([soa["pt"], soa["eta"], soa["chi2"], soa["nLayers"], soa["nHits"], soa["dxy"], soa["dz"],
                     soa["covariance"][:, 0, 0]], axis=1).astype(np.float32)


def roc_auc(score: np.ndarray, truth: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U over ranks, ties averaged)."""
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    _, inverse, counts = np.unique(score, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    ranks = (sums / counts)[inverse]
    pos = truth.astype(bool)
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
