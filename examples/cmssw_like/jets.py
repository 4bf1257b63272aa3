"""The jet collections of the CMS-style chain: a jets SoA and a particle-flow candidates SoA, each jet's candidates
a contiguous range given by the jets' `begin` and `count` columns (as CMS keeps jets and their constituents), and
the upstream producer that fills them with simulated b, c and light-flavour jets of 0 to 120 candidates. Heavy
flavour shows in displaced candidates (large |d0|) and in the jet's multiplicity, as in real jets.

The tagger (jet_tagger.onnx, a weaver-core ParticleNet trained by train_tagger.py) takes, per jet, the first P = 64
candidates: points [n, 2, P] (deta, dphi), features [n, 4, P] (log pt, d0, dz, charge) and a mask [n, 1, P]."""

import numpy as np

import sofie_soa as ss

P = 64
FLAVOURS = ("b", "c", "light")

JET_LAYOUT = ss.Layout([
    ss.column("pt", "float32"), ss.column("eta", "float32"), ss.column("phi", "float32"),
    ss.column("begin", "int32"), ss.column("count", "int32"),           # the candidates' range
    *[ss.column(f"prob_{f}", "float32") for f in FLAVOURS],              # the tagger's output, in place
    ss.column("flavour", "uint8"),                                      # simulation truth: 0 b, 1 c, 2 light
])
CANDIDATE_LAYOUT = ss.Layout([
    ss.column("deta", "float32"), ss.column("dphi", "float32"), ss.column("logPt", "float32"),
    ss.column("d0", "float32"), ss.column("dz", "float32"), ss.column("charge", "int8"),
    ss.column("jet", "int32"),                                          # the parent jet's index (sorted)
])
POINTS, FEATURES = ["deta", "dphi"], ["logPt", "d0", "dz", "charge"]
OUTPUTS = [f"prob_{f}" for f in FLAVOURS]


def produce(n: int, rng: np.random.Generator):
    """n simulated jets (20% b, 20% c, 60% light) and their candidates, as (jets SoA, candidates SoA)."""
    flavour = rng.choice(3, n, p=[0.2, 0.2, 0.6])
    mean = np.array([40.0, 32.0, 25.0])[flavour]
    count = np.minimum(rng.poisson(mean), 120)
    begin = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int32)
    m = int(count.sum())
    jets, cands = ss.SoA.allocate(JET_LAYOUT, n), ss.SoA.allocate(CANDIDATE_LAYOUT, m)
    jets["pt"][:] = rng.exponential(50.0, n) + 30.0
    jets["eta"][:] = rng.uniform(-2.4, 2.4, n)
    jets["phi"][:] = rng.uniform(-np.pi, np.pi, n)
    jets["begin"][:], jets["count"][:], jets["flavour"][:] = begin, count, flavour
    parent = np.repeat(np.arange(n), count)
    # candidates: softer and wider for light jets; a displaced fraction for heavy flavour (b more than c)
    width = np.array([0.08, 0.09, 0.11])[flavour][parent]
    cands["deta"][:] = rng.normal(0.0, 1.0, m) * width
    cands["dphi"][:] = rng.normal(0.0, 1.0, m) * width
    cands["logPt"][:] = np.log(rng.exponential(1.0, m) * jets["pt"][parent] / np.maximum(count[parent], 1) + 0.1)
    displaced = rng.random(m) < np.array([0.25, 0.12, 0.02])[flavour][parent]
    cands["d0"][:] = np.where(displaced, rng.exponential(0.1, m) * rng.choice([-1, 1], m), rng.normal(0, 0.01, m))
    cands["dz"][:] = np.where(displaced, rng.exponential(0.15, m) * rng.choice([-1, 1], m), rng.normal(0, 0.02, m))
    cands["charge"][:] = rng.choice(np.array([-1, 0, 1], np.int8), m, p=[0.35, 0.3, 0.35])
    cands["jet"][:] = parent
    return jets, cands


def views(jets, cands):
    """The tagger's inputs as ragged views of the candidates over the jets' begin/count ranges: nothing copied."""
    ranges = dict(begin=jets["begin"], count=jets["count"], max_length=P)
    points = cands.ragged(POINTS, **ranges)
    return {"points": points, "features": cands.ragged(FEATURES, **ranges), "mask": points.mask()}


def gather(jets, cands) -> dict:
    """The copy pipeline's padded float32 arrays: points [n, 2, P], features [n, 4, P], mask [n, 1, P]."""
    n = jets.n
    position = np.arange(P)
    length = np.minimum(jets["count"], P)
    valid = position[None, :] < length[:, None]
    index = np.where(valid, jets["begin"][:, None] + position[None, :], 0)
    out = {}
    for name, members in (("points", POINTS), ("features", FEATURES)):
        out[name] = np.stack([np.where(valid, cands[m][index] if len(cands[m]) else 0, 0) for m in members],
                             1).astype(np.float32)
    out["mask"] = valid[:, None, :].astype(np.float32)
    assert all(a.shape[0] == n for a in out.values())
    return out
