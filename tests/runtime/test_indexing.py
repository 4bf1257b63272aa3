"""The indexing family end to end (compiler/ops/indexing.py, kernels/gather.hpp, kernels/scatter.hpp): Gather as
an embedding lookup (constant table, indices from data) and as feature selection (constant indices on data),
GatherElements, GatherND with batch_dims, ScatterElements and ScatterND with reductions and duplicate indices,
OneHot — against onnxruntime, on cpu_serial and cpu_threads. Indices read from data that are out of range raise
sofie_soa.IndexOutOfRange naming the node, with nothing written outside the output (guard rows around it) and
the out-of-range elements left as they were; constant indices out of range are refused at compile time."""

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many, generate

F32, I32, I64 = TensorProto.FLOAT, TensorProto.INT32, TensorProto.INT64
BACKENDS = ["cpu_serial", "cpu_threads"]
GUARD = -777.0


def _model(node, inputs, outputs, initializers=(), opset=18) -> bytes:
    graph = helper.make_graph([node], node.name, [helper.make_tensor_value_info(*i) for i in inputs],
                              [helper.make_tensor_value_info(*o) for o in outputs], list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8).SerializeToString()


def _const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


TABLE = np.arange(7 * 5, dtype=np.float32).reshape(7, 5) / 7

# name -> (model, feeds(n, rng) for valid data, the input to break, a value out of range (or None), output shape)
MODELS = {
    "embedding": _model(helper.make_node("Gather", ["table", "ids"], ["y"], axis=0, name="embedding"),
                        [("ids", I64, ["N"])], [("y", F32, ["N", 5])], [_const("table", TABLE)]),
    "select": _model(helper.make_node("Gather", ["x", "cols"], ["y"], axis=1, name="select"),
                     [("x", F32, ["N", 6])], [("y", F32, ["N", 4])], [_const("cols", np.array([4, 0, -1, 4]))]),
    "slice_like": _model(helper.make_node("Gather", ["x", "cols"], ["y"], axis=1, name="slice_like"),
                         [("x", F32, ["N", 6])], [("y", F32, ["N", 3])],
                         [_const("cols", np.array([1, 3, 5], np.int32))]),
    "permute": _model(helper.make_node("Gather", ["x", "order"], ["y"], axis=0, name="permute"),
                      [("x", F32, ["N", 3]), ("order", I32, ["N"])], [("y", F32, ["N", 3])]),
    "elements": _model(helper.make_node("GatherElements", ["x", "idx"], ["y"], axis=1, name="elements"),
                       [("x", F32, ["N", 4]), ("idx", I64, ["N", 2])], [("y", F32, ["N", 2])], opset=13),
    "gather_nd": _model(helper.make_node("GatherND", ["x", "idx"], ["y"], batch_dims=1, name="gather_nd"),
                        [("x", F32, ["N", 3, 4]), ("idx", I64, ["N", 2, 1])], [("y", F32, ["N", 2, 4])]),
    "scatter_add": _model(helper.make_node("ScatterElements", ["x", "idx", "u"], ["y"], axis=1, reduction="add",
                                           name="scatter_add"),
                          [("x", F32, ["N", 4]), ("idx", I64, ["N", 3]), ("u", F32, ["N", 3])], [("y", F32, ["N", 4])]),
    "scatter_nd_max": _model(helper.make_node("ScatterND", ["x", "idx", "u"], ["y"], reduction="max",
                                              name="scatter_nd_max"),
                             [("x", F32, ["N", 4]), ("idx", I64, ["N", 1]), ("u", F32, ["N", 4])],
                             [("y", F32, ["N", 4])]),
    "scatter_nd": _model(helper.make_node("ScatterND", ["x", "idx", "u"], ["y"], name="scatter_nd"),
                         [("x", F32, ["N", 4]), ("idx", I64, ["N", 2]), ("u", F32, ["N"])], [("y", F32, ["N", 4])]),
    "onehot": _model(helper.make_node("OneHot", ["ids", "depth", "values"], ["y"], axis=-1, name="onehot"),
                     [("ids", I64, ["N"])], [("y", F32, ["N", 5])],
                     [_const("depth", np.array(5)), _const("values", np.array([0.5, 2.0], np.float32))], opset=11),
}


def _feeds(name: str, n: int, rng) -> dict:
    x = lambda *shape: rng.normal(size=(n, *shape)).astype(np.float32)  # noqa: E731
    if name == "embedding":
        return {"ids": rng.integers(-7, 7, n)}
    if name in ("select", "slice_like"):
        return {"x": x(6)}
    if name == "permute":
        return {"x": x(3), "order": rng.integers(-n, n, n).astype(np.int32)}
    if name == "elements":
        return {"x": x(4), "idx": rng.integers(-4, 4, (n, 2))}
    if name == "gather_nd":
        return {"x": x(3, 4), "idx": rng.integers(-3, 3, (n, 2, 1))}
    if name == "scatter_add":         # duplicates within a row: the updates add up
        return {"x": x(4), "idx": rng.integers(-4, 4, (n, 3)), "u": x(3)}
    if name == "scatter_nd_max":      # rows hit several times: the maximum
        return {"x": x(4), "idx": rng.integers(-n, n, (n, 1)), "u": x(4)}
    if name == "scatter_nd":          # distinct (row, column) pairs, as ONNX requires without a reduction
        flat = rng.permutation(4 * n)[:n]
        return {"x": x(4), "idx": np.stack([flat // 4, flat % 4], axis=1).astype(np.int64), "u": x()}
    if name == "onehot":              # out of range gives a row of off values
        return {"ids": rng.integers(-7, 7, n)}
    raise KeyError(name)


@pytest.fixture(scope="module", params=BACKENDS)
def compiled(request):
    models = compile_many(list(MODELS.values()), request.param, names=list(MODELS))
    return dict(zip(MODELS, models)), ss.Queue(request.param)


@pytest.mark.parametrize("name", list(MODELS))
def test_matches_onnxruntime(compiled, name):
    models, queue = compiled
    reference = ort.InferenceSession(MODELS[name], providers=["CPUExecutionProvider"])
    for n in [1, 5, 300]:
        feeds = _feeds(name, n, np.random.default_rng(n))
        got = models[name].infer(feeds if len(feeds) > 1 else next(iter(feeds.values())), queue)
        np.testing.assert_allclose(got, reference.run(None, feeds)[0], rtol=1e-6, atol=1e-6)


def test_scatter_with_duplicates_is_bitwise_equal_across_backends(compiled):
    """One work item per line (ScatterElements) or per slice position (ScatterND with a reduction): the same
    order of updates on every backend."""
    models, queue = compiled
    serial = ss.Queue("cpu_serial")
    for name in ("scatter_add", "scatter_nd_max"):
        feeds = _feeds(name, 4000, np.random.default_rng(1))
        mine = models[name].infer(feeds, queue)
        theirs = ss.compile(MODELS[name], "cpu_serial", name=name).infer(feeds, serial)
        assert np.array_equal(mine, theirs)


# name -> (input, flat position, value out of range): Gather's axis has 7 entries, `permute` N rows, ...
BREAKS = {
    "embedding": ("ids", 2, 7), "permute": ("order", 1, -6), "elements": ("idx", 3, 4), "gather_nd": ("idx", 1, -4),
    "scatter_add": ("idx", 4, 9), "scatter_nd_max": ("idx", 0, 5), "scatter_nd": ("idx", 3, 4),
}


@pytest.mark.parametrize("name", list(BREAKS))
def test_index_out_of_range_raises_naming_the_node_and_writes_nothing_outside(compiled, name):
    models, queue = compiled
    n = 5
    feeds = _feeds(name, n, np.random.default_rng(3))
    if name == "scatter_nd":
        feeds["idx"] = np.stack([np.arange(n), np.arange(n) % 4], axis=1).astype(np.int64)
    valid = models[name].infer(feeds, queue)
    key, position, value = BREAKS[name]
    broken = {k: v.copy() for k, v in feeds.items()}
    broken[key].reshape(-1)[position] = value
    shape = (n,) + valid.shape[1:]
    guarded = np.full((n + 2,) + shape[1:], GUARD, np.float32)   # a guard row before and after the output
    with pytest.raises(ss.IndexOutOfRange, match=rf"node '{name}' \(\w+\): index out of range"):
        models[name].infer(broken, queue, out=guarded[1:-1])
    assert np.all(guarded[0] == GUARD) and np.all(guarded[-1] == GUARD)
    written = guarded[1:-1]
    if name.startswith("scatter"):    # every update but the broken one applied over the copy of data
        assert np.array_equal(written == GUARD, np.zeros(shape, bool))
        changed = written != valid
        assert changed.sum() <= (4 if name == "scatter_nd_max" else 1)
    else:                             # the elements the broken index selects are left as they were
        assert np.any(written == GUARD)
        np.testing.assert_array_equal(np.where(written == GUARD, valid, written), valid)
    np.testing.assert_array_equal(models[name].infer(feeds, queue), valid)   # the next call starts clean


def test_constant_indices_need_no_run_time_check_and_runs_become_copies():
    for name in ("select", "slice_like", "onehot"):
        assert "kIndexChecks" not in generate(MODELS[name], name).header
    assert "kIndexChecks = 1;" in generate(MODELS["embedding"], "embedding").header
    kinds = {name: [launch.kernel for launch in generate(MODELS[name], name).plans["cpu"].launches]
             for name in ("select", "slice_like")}
    assert kinds == {"select": ["gather"], "slice_like": ["map"]}


@pytest.mark.parametrize("op_type, attrs, data_shape, indices, out_shape", [
    ("Gather", {"axis": 1}, [3, 6], np.array([0, 6]), [3, 2]),
    ("Gather", {"axis": 0}, [3, 6], np.array([[-4]], np.int32), [1, 1, 6]),
    ("GatherElements", {"axis": 1}, [3, 2], np.array([[0, 1], [2, 0], [0, 0]]), [3, 2]),
    ("GatherND", {}, [3, 2], np.array([[2, 2]]), [1]),
    ("ScatterElements", {"axis": 0}, [3, 2], np.array([[3, 0]]), [3, 2]),
    ("ScatterND", {}, [3, 2], np.array([[-4]]), [3, 2]),
])
def test_constant_indices_out_of_range_are_refused_at_compile_time(op_type, attrs, data_shape, indices, out_shape):
    inputs = ["x", "idx"]
    extra = []
    if op_type.startswith("Scatter"):
        u_shape = list(indices.shape) if op_type == "ScatterElements" else list(indices.shape[:-1]) + data_shape[1:]
        inputs.append("u")
        extra = [("u", F32, u_shape)]
    model = _model(helper.make_node(op_type, inputs, ["y"], name="picky", **attrs), [("x", F32, data_shape), *extra],
                   [("y", F32, out_shape)], [_const("idx", indices)])
    with pytest.raises(ss.ModelError, match=rf"node 'picky' \({op_type}\): index -?\d+ at \[.*\] of 'idx' is out of "
                                            r"range for an axis of extent \d+"):
        generate(model, "picky")


def test_onehot_depth_from_data_is_refused():
    model = _model(helper.make_node("OneHot", ["ids", "depth", "values"], ["y"], name="oh"),
                   [("ids", I64, ["N"]), ("depth", I64, []), ("values", F32, [2])], [("y", F32, ["N", 3])], opset=11)
    with pytest.raises(ss.ModelError, match=r"node 'oh' \(OneHot\): depth \('depth'\) must be one value known"):
        generate(model, "oh")
