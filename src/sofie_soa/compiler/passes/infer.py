"""Type inference and compile-time evaluation, one walk over the graph in order:

- an operator without a kernel here expands into its ONNX function body (compiler/functions.py), whose nodes
  are walked next;
- an If whose condition is known is replaced by its branch (outer-scope names kept, the branch's own renamed);
- every other node's output types come from its operator function run with a dry context (the same function
  that lowers it: one place for each shape rule), checked against the supported dtypes and MAX_RANK;
- outputs known at compile time (compiler/folding.py) become constants and the node is dropped.

Afterwards graph.types holds every tensor's type and graph.nodes only operators that move or compute data.
Raises UnsupportedOperator (op type and opset) or ModelError naming the node.
"""

from __future__ import annotations

from sofie_soa.compiler import dtypes, folding, functions
from sofie_soa.compiler.errors import ModelError, UnsupportedOperator
from sofie_soa.compiler.frontend import MAX_RANK
from sofie_soa.compiler.ir import Graph, Node, TensorType
from sofie_soa.compiler.ops import REGISTRY, Tensor
from sofie_soa.compiler.symbolic import NotExpressible, SymN


class DryContext:
    """The operator context of type inference: outputs are recorded, nothing is stored or launched."""

    dry = True

    def __init__(self, node: Node):
        self.node, self.where, self.opset = node, node.describe(), node.opset
        self.outputs: dict[int, TensorType] = {}

    def output(self, i: int, shape, dtype: str):
        self.outputs[i] = TensorType(dtype, tuple(shape))

    def alias(self, i: int, source: Tensor, shape) -> None:
        self.output(i, shape, source.dtype)

    def read(self, t):
        return None

    def constant(self, array):
        return None

    def workspace(self, shape, dtype):
        return None

    def launch(self, kernel: str, **args) -> None:
        pass


def output_types(graph: Graph, node: Node, inputs: list) -> list[TensorType]:
    """The node's output types by its operator function (ModelError for shapes outside c·N or rank > MAX_RANK)."""
    from sofie_soa.codegen.lowering import keywords
    fn = REGISTRY[node.op_type]
    ctx = DryContext(node)
    try:
        fn(ctx, *inputs, **keywords(fn, node, ctx))
    except NotExpressible as err:
        raise ModelError(f"{node.describe()}: {err}") from None
    types = []
    for i, name in enumerate(node.outputs):
        if not name:
            types.append(None)
            continue
        if i not in ctx.outputs:
            raise UnsupportedOperator(f"{node.describe()}: output {i} ('{name}') of {node.op_type} is not supported")
        t = ctx.outputs[i]
        if len(t.shape) > MAX_RANK:
            raise ModelError(f"{node.describe()}: output '{name}' has rank {len(t.shape)}; at most {MAX_RANK} "
                             f"dimensions are supported")
        if t.dtype not in dtypes.DTYPES:
            raise ModelError(f"{node.describe()}: output '{name}' has element type {t.dtype}, which is not supported")
        if any(not isinstance(d, SymN) and int(d) < 0 for d in t.shape):
            raise ModelError(f"{node.describe()}: output '{name}' would have shape {t.shape}")
        types.append(t)
    return types


def _inline_if(graph: Graph, node: Node, condition) -> list[Node]:
    """The nodes of the branch `condition` selects, with its own tensors renamed and Identity nodes giving the If's
    outputs."""
    branch = node.attrs["then_branch" if bool(condition.reshape(-1)[0]) else "else_branch"]
    defined = set(branch.constants) | {o for n in branch.nodes for o in n.outputs if o}
    base = node.name or node.outputs[0]
    names = {name: graph.fresh(f"{base}/{name}") for name in defined}
    for name, value in branch.constants.items():
        graph.constants[names[name]] = value
        graph.types[names[name]] = TensorType(value.dtype.name, tuple(value.shape))
    nodes = [Node(n.op_type, [names.get(i, i) for i in n.inputs], [names.get(o, o) for o in n.outputs], n.attrs,
                  f"{base}/{n.name or n.op_type}", n.opset) for n in branch.nodes]
    nodes += [Node("Identity", [names.get(src, src)], [dst], {}, f"{base}/output{k}", node.opset)
              for k, (src, dst) in enumerate(zip(branch.outputs, node.outputs))]
    return nodes


def _inputs(graph: Graph, node: Node) -> list:
    args = []
    for name in node.inputs:
        if not name:
            args.append(None)
            continue
        if name not in graph.types:
            raise ModelError(f"{node.describe()}: input '{name}' is not produced before it is used")
        t = graph.types[name]
        args.append(Tensor(name, t.dtype, t.shape, graph.constants.get(name)))
    while args and args[-1] is None:
        args.pop()
    return args


def run(graph: Graph, problems: list | None = None) -> None:
    """Infers and folds `graph` in place. With `problems` (a list), a node that raises a ModelError is appended as
    (node, error) instead, and the nodes computed from its outputs are skipped, so that one walk finds every
    independent problem (sofie_soa.check)."""
    for name, value in graph.constants.items():
        graph.types[name] = TensorType(value.dtype.name, tuple(value.shape))
    pending, kept, failed = list(graph.nodes), [], set()
    while pending:
        node = pending.pop(0)
        if problems is None:
            _visit(graph, node, pending, kept)
        elif not failed.intersection(node.inputs):
            try:
                _visit(graph, node, pending, kept)
            except ModelError as err:
                problems.append((node, err))
                failed.update(node.outputs)
        else:
            failed.update(node.outputs)
    graph.nodes = kept


def _visit(graph: Graph, node: Node, pending: list, kept: list) -> None:
    """Infers one node: expands it (function body, folded If) into `pending`, folds it, or appends it to `kept`."""
    inputs = _inputs(graph, node)
    if node.op_type == "If":
        condition = inputs[0].value if inputs else None
        if condition is None or condition.dtype == object:
            raise UnsupportedOperator(f"{node.describe()}: If whose condition is only known at run time is not "
                                      f"supported (control flow must fold at compile time)")
        pending[:0] = _inline_if(graph, node, condition)
        return
    if node.op_type not in REGISTRY:
        body = functions.expand(node, inputs, graph.fresh)
        if body is None:
            raise UnsupportedOperator(f"{node.describe()}: operator {node.op_type} (opset {node.opset}) is not "
                                      f"supported")
        pending[:0] = body
        return
    types = output_types(graph, node, inputs)
    for name, t in zip(node.outputs, types):
        if name:
            graph.types[name] = t
    values = folding.fold(node, inputs, [t for t in types if t is not None])
    if values is None:
        kept.append(node)
        return
    for name, value in zip([o for o in node.outputs if o], values):
        graph.constants[name] = value
