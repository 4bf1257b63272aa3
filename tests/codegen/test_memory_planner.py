"""The memory planner pass: property tests of the best-fit planner on random lifetimes and on random graphs,
and in-place reuse for element-wise operators."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from sofie_soa.codegen.lowering import lower, reads, written
from sofie_soa.codegen.memory_planner import memory_report, plan_memory, plan_offsets
from sofie_soa.compiler import frontend, passes

blocks = st.lists(st.tuples(st.integers(0, 64), st.integers(0, 30), st.integers(0, 30)).map(
    lambda b: (b[0], min(b[1], b[2]), max(b[1], b[2]))), max_size=40)


def _live_peak(blocks) -> int:
    return max([sum(s for s, f, l in blocks if f <= t <= l) for t in range(32)], default=0)


@settings(max_examples=300, deadline=None)
@given(blocks)
def test_planner_never_overlaps_live_blocks_and_peaks_between_live_max_and_naive_sum(blocks):
    offsets, peak = plan_offsets(blocks)
    for i, (si, fi, li) in enumerate(blocks):
        assert offsets[i] + si <= peak or si == 0
        for j, (sj, fj, lj) in enumerate(blocks[:i]):
            if si and sj and fi <= lj and fj <= li:             # alive at the same launch
                assert offsets[i] + si <= offsets[j] or offsets[j] + sj <= offsets[i]
    assert _live_peak(blocks) <= peak <= sum(s for s, _, _ in blocks)


def _random_graph(draw_ops, widths):
    """x [N, widths[0]] through a chain of MatMul / Add / Relu / Exp / Mul-by-skip ops; returns a ModelProto."""
    nodes, inits, name, width, names = [], [], "x", widths[0], ["x"]
    rng = np.random.default_rng(len(draw_ops))
    for i, (op, w) in enumerate(zip(draw_ops, widths[1:])):
        out = f"t{i}"
        if op == "matmul":
            inits.append(numpy_helper.from_array(rng.normal(size=(width, w)).astype(np.float32), f"w{i}"))
            nodes.append(helper.make_node("MatMul", [name, f"w{i}"], [out]))
            width = w
        elif op == "skip" and len(names) > 2:
            nodes.append(helper.make_node("Add", [name, name], [out]))
        else:
            nodes.append(helper.make_node({"relu": "Relu", "exp": "Exp"}.get(op, "Neg"), [name], [out]))
        name = out
        names.append(out)
    nodes.append(helper.make_node("Identity", [name], ["y"]))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", widths[0]])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", width])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["matmul", "relu", "exp", "neg", "skip"]), min_size=1, max_size=12),
       st.lists(st.integers(1, 24), min_size=13, max_size=13))
def test_planned_graphs_keep_simultaneously_live_tensors_apart(ops, widths):
    graph = passes.optimize(frontend.to_ir(frontend.load_model(_random_graph(ops, widths).SerializeToString())))
    plan = plan_memory(lower(graph))
    n = 10
    report = memory_report(plan, n)
    spans = {}
    for t, launch in enumerate(plan.launches):
        for ref in reads(launch) + written(launch):
            if ref.storage.kind == "workspace":
                first, _ = spans.get(id(ref.storage), (t, t))
                spans[id(ref.storage)] = (first, t)
    live = [(s.offset[0] * n + s.offset[1], s.size[0] * n + s.size[1], spans[id(s)]) for s in plan.buffers]
    for i, (oi, si, (fi, li)) in enumerate(live):
        for oj, sj, (fj, lj) in live[:i]:
            if not (fi <= lj and fj <= li and si and sj):
                continue
            touching = fi == lj or fj == li                     # one dies where the other is born
            in_place = (oi, si) == (oj, sj) and touching and \
                plan.launches[max(fi, fj)].kernel == "map"
            assert in_place or oi + si <= oj or oj + sj <= oi
    assert report["planned_bytes"] <= report["naive_bytes"]


def test_elementwise_chain_runs_in_place():
    model = _random_graph(["matmul", "exp", "neg", "exp"], [4, 8, 8, 8, 8])
    plan = plan_memory(lower(passes.optimize(frontend.to_ir(frontend.load_model(model.SerializeToString())))))
    report = memory_report(plan, 100)
    assert report["naive_bytes"] == 3 * 8 * 100 * 4          # t0, t1, t2 (t3 is the graph output)
    assert report["planned_bytes"] == 8 * 100 * 4            # one buffer, overwritten in place
    assert len({id(b) for b in plan.buffers}) == 3 and len({b.offset for b in plan.buffers}) == 1
