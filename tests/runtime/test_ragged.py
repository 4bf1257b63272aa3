"""Ragged collections read in place (issue 17): jets and their particle-flow candidates in two SoAs, the candidates
of jet i given by offsets, by begin/count columns or by a sorted parent index, fed to ParticleNet (weaver-core,
[n, C, P] with an [n, 1, P] mask) and DeepSets ([n, P, C] with an [n, P] mask) as padded tensors that nobody
pads; a per-candidate model writes into candidate columns at valid positions only. Everything is compared with
onnxruntime on the gathered and padded tensors, including jets with no candidates and jets with more than P."""

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many

from counting_allocator import CountingAllocator

ort = pytest.importorskip("onnxruntime", reason="onnxruntime is the reference")

MODELS = Path(__file__).parents[1] / "models"
PARTICLENET, DEEPSETS = MODELS / "particlenet.legacy.onnx", MODELS / "deepsets.legacy.onnx"
BACKENDS = ("cpu_serial", "cpu_threads")
FEATURES = ["f0", "f1", "f2", "f3"]
K = 3  # per-candidate outputs of the segmentation model


def segmentation(channels: int = 4) -> onnx.ModelProto:
    """A per-candidate model [N, 8, channels] -> [N, 8, K]: Relu(x W + b), fixed weights."""
    rng = np.random.default_rng(7)
    w = numpy_helper.from_array(rng.standard_normal((channels, K)).astype(np.float32), "W")
    b = numpy_helper.from_array(rng.standard_normal(K).astype(np.float32), "B")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "B"], ["z"]),
         helper.make_node("Relu", ["z"], ["y"])], "segmentation",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 8, channels])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8, K])], [w, b])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.fixture(scope="module")
def compiled():
    """backend -> {"particlenet", "deepsets", "segmentation"} -> Model, built together per backend."""
    seg = segmentation().SerializeToString()
    out = {}
    for backend in BACKENDS:
        models = compile_many([str(PARTICLENET), str(DEEPSETS), seg], backend,
                              names=["particlenet", "deepsets", "segmentation"])
        out[backend] = dict(zip(["particlenet", "deepsets", "segmentation"], models))
    return out


class Event:
    """n jets with 0 to 40 candidates each (jet 0 has none, jet 1 more than 16), candidates sorted by jet. The
    candidates' columns differ in dtype (float32, float64, int16, float16) to be converted on the fly; the jets
    hold begin/count and the candidates their jet index."""

    def __init__(self, n: int, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.lengths = rng.integers(0, 41, n)
        self.lengths[:2] = [0, 29][:n]
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)]).astype(np.int64)
        m = int(self.offsets[-1])
        self.cands = ss.SoA.allocate(ss.Layout([
            ss.column("deta", "float32"), ss.column("dphi", "float64"), ss.column("f0", "float32"),
            ss.column("f1", "int16"), ss.column("f2", "float16"), ss.column("f3", "float32"),
            ss.column("jet", "int32"), *[ss.column(f"w{k}", "float32") for k in range(K)]]), m)
        for name, scale in [("deta", 1), ("dphi", 1), ("f0", 1), ("f1", 5), ("f2", 1), ("f3", 1)]:
            self.cands[name][:] = rng.standard_normal(m) * scale
        self.cands["jet"][:] = np.repeat(np.arange(n), self.lengths)
        self.jets = ss.SoA.allocate(ss.Layout([
            ss.column("begin", "int32"), ss.column("count", "uint16"),
            *[ss.column(f"score{k}", "float32") for k in range(3)]]), n)
        self.jets["begin"][:] = self.offsets[:-1]
        self.jets["count"][:] = self.lengths
        self.n, self.m = n, m

    def ragged(self, members, form: str, p: int, order: str = "CP", pad: float = 0.0):
        """The candidates' `members` as a ragged view, ranges given in `form`."""
        if form == "offsets":
            return self.cands.ragged(members, offsets=self.offsets, max_length=p, order=order, pad=pad)
        if form == "begin_count":
            return self.cands.ragged(members, begin=self.jets.tensor(["begin"]), count=self.jets["count"],
                                     max_length=p, order=order, pad=pad)
        return self.cands.ragged(members, parent=self.cands["jet"], n=self.n, max_length=p, order=order, pad=pad)

    def padded(self, members, p: int, order: str = "CP", pad: float = 0.0) -> np.ndarray:
        """The gathered and padded float32 tensor the ragged view stands for: [n, C, P] or [n, P, C]."""
        out = np.full((self.n, len(members), p), pad, np.float32)
        for i in range(self.n):
            take = min(int(self.lengths[i]), p)
            for c, name in enumerate(members):
                out[i, c, :take] = self.cands[name][self.offsets[i]:self.offsets[i] + take]
        return out if order == "CP" else out.transpose(0, 2, 1).copy()

    def mask(self, p: int) -> np.ndarray:
        return (np.arange(p)[None, :] < self.lengths[:, None]).astype(np.float32)


def _scores(event):
    return np.stack([event.jets[f"score{k}"] for k in range(3)], 1)


@pytest.mark.parametrize("form", ["offsets", "begin_count", "parent"])
def test_particlenet_reads_candidates_in_place(compiled, form):
    event = Event(300)
    points, features = event.ragged(["deta", "dphi"], form, 16), event.ragged(FEATURES, form, 16)
    assert points.shape == (300, 2, 16) and points.mask().shape == (300, 1, 16)
    reference = ort.InferenceSession(str(PARTICLENET)).run(None, {
        "points": event.padded(["deta", "dphi"], 16), "features": event.padded(FEATURES, 16),
        "mask": event.mask(16)[:, None, :]})[0]
    results = {}
    for backend in BACKENDS:
        compiled[backend]["particlenet"].infer({"points": points, "features": features, "mask": points.mask()},
                                               ss.Queue(backend), out=event.jets.tensor(["score0", "score1", "score2"]))
        results[backend] = _scores(event).copy()
        np.testing.assert_allclose(results[backend], reference, rtol=1e-4, atol=1e-5, err_msg=backend)
    assert results["cpu_serial"].tobytes() == results["cpu_threads"].tobytes()


def test_the_three_range_forms_agree_bitwise(compiled):
    event = Event(64, seed=3)
    model = compiled["cpu_serial"]["particlenet"]
    got = []
    for form in ("offsets", "begin_count", "parent"):
        points = event.ragged(["deta", "dphi"], form, 16)
        got.append(model.infer({"points": points, "features": event.ragged(FEATURES, form, 16),
                                "mask": points.mask()}).tobytes())
    assert got[0] == got[1] == got[2]


def test_deepsets_takes_particles_last_and_a_flat_mask(compiled):
    event = Event(200, seed=1)
    points = event.ragged(FEATURES, "offsets", 8, order="PC")
    assert points.shape == (200, 8, 4)
    want = ort.InferenceSession(str(DEEPSETS)).run(None, {"points": event.padded(FEATURES, 8, "PC"),
                                                          "mask": event.mask(8)})[0]
    for backend in BACKENDS:
        got = compiled[backend]["deepsets"].infer({"points": points, "mask": points.mask()}, ss.Queue(backend))
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_pad_values_reach_the_model(compiled):
    event = Event(40, seed=5)
    points = event.ragged(FEATURES, "offsets", 8, order="PC", pad=-3.5)
    want = ort.InferenceSession(str(DEEPSETS)).run(None, {"points": event.padded(FEATURES, 8, "PC", pad=-3.5),
                                                          "mask": event.mask(8)})[0]
    np.testing.assert_allclose(compiled["cpu_serial"]["deepsets"].infer({"points": points, "mask": points.mask()}),
                               want, rtol=1e-4, atol=1e-5)


def test_per_candidate_outputs_are_written_at_valid_positions_only(compiled):
    event = Event(120, seed=2)
    sentinel = 123.0
    for k in range(K):
        event.cands[f"w{k}"][:] = sentinel
    x = event.ragged(FEATURES, "begin_count", 8, order="PC")
    out = event.ragged([f"w{k}" for k in range(K)], "begin_count", 8, order="PC")
    want = ort.InferenceSession(segmentation().SerializeToString()).run(None, {"x": event.padded(FEATURES, 8, "PC")})[0]
    for backend in BACKENDS:
        compiled[backend]["segmentation"].infer(x, ss.Queue(backend), out=out)
        written = np.stack([event.cands[f"w{k}"] for k in range(K)], 1)
        for i in range(event.n):
            begin, length = event.offsets[i], event.lengths[i]
            take = min(length, 8)
            np.testing.assert_allclose(written[begin:begin + take], want[i, :take], rtol=1e-5, atol=1e-6)
            assert (written[begin + take:begin + length] == sentinel).all()  # past P: untouched


def test_zero_copy_nothing_staged_and_a_mutated_candidate_changes_the_next_result(compiled):
    event = Event(50, seed=4)
    model = compiled["cpu_serial"]["particlenet"]
    allocator = Recording()
    queue = ss.Queue("cpu_serial", allocator=allocator)
    points, features = event.ragged(["deta", "dphi"], "offsets", 16), event.ragged(FEATURES, "offsets", 16)
    inputs = {"points": points, "features": features, "mask": points.mask()}
    model.infer(inputs, queue)  # the session's weights, once
    allocator.sizes.clear()
    first = model.infer(inputs, queue)
    ragged_sizes = list(allocator.sizes)
    # the only memory a call asks for is its workspace (the plan's, and the 8 bytes of Gather's index-error word),
    # as much as for inputs padded beforehand: no padded copy is staged
    padded = {"points": event.padded(["deta", "dphi"], 16), "features": event.padded(FEATURES, 16),
              "mask": event.mask(16)[:, None, :]}
    allocator.sizes.clear()
    np.testing.assert_array_equal(model.infer(padded, queue), first)
    assert ragged_sizes == allocator.sizes and len(ragged_sizes) == 1
    assert model.memory_report(event.n)["planned_bytes"] <= ragged_sizes[0] <= \
        model.memory_report(event.n)["planned_bytes"] + 64
    jet = 7
    assert event.lengths[jet] > 0
    event.cands["f0"][event.offsets[jet]] += 10.0  # the jet's first candidate, in the candidate SoA itself
    second = model.infer(inputs, queue)
    changed = np.nonzero((first != second).any(axis=1))[0]
    assert list(changed) == [jet]
    want = ort.InferenceSession(str(PARTICLENET)).run(None, {
        "points": event.padded(["deta", "dphi"], 16), "features": event.padded(FEATURES, 16),
        "mask": event.mask(16)[:, None, :]})[0]
    np.testing.assert_allclose(second, want, rtol=1e-4, atol=1e-5)


class Recording(CountingAllocator):
    """A CountingAllocator that keeps the size of every allocation (bytes)."""

    def __init__(self):
        super().__init__()
        self.sizes = []

    def allocate(self, nbytes, queue):
        self.sizes.append(nbytes)
        return super().allocate(nbytes, queue)


def _written_nothing(event, run):
    """Runs `run` (expected to raise) and checks that no score was written."""
    for k in range(3):
        event.jets[f"score{k}"][:] = -7.0
    with pytest.raises(ValueError) as error:
        run()
    assert (_scores(event) == -7.0).all()
    return str(error.value)


def test_bad_ranges_are_refused_naming_the_column_and_index_before_anything_is_written(compiled):
    event = Event(30, seed=6)
    model = compiled["cpu_serial"]["particlenet"]
    out = event.jets.tensor(["score0", "score1", "score2"])

    def run(form="offsets"):
        points, features = event.ragged(["deta", "dphi"], form, 16), event.ragged(FEATURES, form, 16)
        return model.infer({"points": points, "features": features, "mask": points.mask()}, out=out)

    # ranges that change after the view was made are checked again at infer
    offsets = event.offsets
    points = event.cands.ragged(["deta", "dphi"], offsets=offsets, max_length=16)
    features = event.cands.ragged(FEATURES, offsets=offsets, max_length=16)
    saved = offsets[5]
    offsets[5] = offsets[4] - 1
    message = _written_nothing(event, lambda: model.infer(
        {"points": points, "features": features, "mask": points.mask()}, out=out))
    assert "'points'" in message and f"offsets[5] = {offsets[5]} is below offsets[4]" in message
    offsets[5] = saved
    event.jets["count"][3] = 60000
    message = _written_nothing(event, lambda: run("begin_count"))
    assert "count[3] = 60000" in message and "reaches past the" in message
    event.jets["count"][3] = event.lengths[3]
    jets, b = event.cands["jet"], int(event.offsets[5])  # b: jet 5's first candidate, after jet 4's last
    assert event.lengths[4] > 0 and event.lengths[5] > 0
    jets[b - 1] = 6
    message = _written_nothing(event, lambda: run("parent"))
    assert f"parent[{b}] = 5 is below parent[{b - 1}] = 6: constituents must be sorted by parent" in message
    jets[b - 1] = 4
    with pytest.raises(ValueError, match="holds float32; ranges need an integer column"):
        event.cands.ragged(["deta"], offsets=event.offsets.astype(np.float32), max_length=16)
    with pytest.raises(ValueError, match="has 31 entries for 29 parents: it needs n \\+ 1"):
        event.cands.ragged(["deta"], offsets=event.offsets, n=29, max_length=16)
    with pytest.raises(ValueError, match="offsets\\[30\\] = .* is past the"):
        event.cands.ragged(["deta"], offsets=event.offsets + 1, max_length=16)
    with pytest.raises(ValueError, match="give the ranges one way"):
        event.cands.ragged(["deta"], offsets=event.offsets, parent=jets, n=30, max_length=16)


def test_shapes_and_roles_are_checked(compiled):
    event = Event(20, seed=8)
    model = compiled["cpu_serial"]["particlenet"]
    points = event.ragged(["deta", "dphi"], "offsets", 16)
    features = event.ragged(FEATURES, "offsets", 16)
    transposed = event.ragged(FEATURES, "offsets", 16, order="PC")
    message = _written_nothing(event, lambda: model.infer(
        {"points": points, "features": transposed, "mask": points.mask()},
        out=event.jets.tensor(["score0", "score1", "score2"])))
    assert "'features': a ragged view of shape (n, 16, 4) does not fit the model's shape (n, 4, 16)" in message
    with pytest.raises(ValueError, match="does not fit"):
        model.infer({"points": points, "features": event.ragged(FEATURES, "offsets", 8), "mask": points.mask()})
    with pytest.raises(ValueError, match="a mask is no output"):
        compiled["cpu_serial"]["segmentation"].infer(event.ragged(FEATURES, "offsets", 8, order="PC"),
                                                     out=event.ragged(["w0"], "offsets", 8, order="PC").mask())
    # begin/count ranges that overlap may be read, not written
    event.jets["begin"][2] = event.jets["begin"][1]
    shared = event.ragged(["w0", "w1", "w2"], "begin_count", 8, order="PC")
    with pytest.raises(ValueError, match="begin\\[2\\] = .* starts inside the range"):
        compiled["cpu_serial"]["segmentation"].infer(event.ragged(FEATURES, "begin_count", 8, order="PC"), out=shared)
    assert features.writable and not points.mask().writable
