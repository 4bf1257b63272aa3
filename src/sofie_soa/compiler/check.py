"""sofie_soa.check: every reason a model cannot compile, all at once, without building anything."""

from __future__ import annotations

from dataclasses import dataclass

from sofie_soa.compiler import frontend
from sofie_soa.compiler.errors import ModelError, UnsupportedOperator
from sofie_soa.compiler.passes import dead_code, infer


@dataclass(frozen=True)
class Problem:
    """Why a model does not compile: the node ('' for the model as a whole: its file, inputs or limits), its op
    type, and the message of the ModelError or UnsupportedOperator that compiling would raise."""
    node: str
    op_type: str
    message: str
    unsupported: bool                 # True for an operator or form that has no kernel (UnsupportedOperator)

    def __str__(self) -> str:
        return self.message


def check(model, dims: dict | None = None, base_dir=None) -> list[Problem]:
    """The problems that keep `model` (path, bytes or onnx.ModelProto) from compiling, in graph order; [] when it
    compiles. Every node whose inputs could be typed is checked; nodes computed from a failed node's outputs are
    not (they are reported once their producer compiles). `dims` and `base_dir` as for sofie_soa.compile. Nothing
    is built: the session is generated in memory only when no node failed, to catch what lowering checks."""
    try:
        graph = frontend.to_ir(frontend.load_model(model, base_dir), dims)
    except ModelError as err:
        return [Problem("", "", str(err), isinstance(err, UnsupportedOperator))]
    dead_code.run(graph)
    found: list = []
    infer.run(graph, found)
    problems = [Problem(node.name, node.op_type, str(err), isinstance(err, UnsupportedOperator))
                for node, err in found]
    if problems:
        return problems
    try:
        from sofie_soa.runtime.model import generate
        generate(model, "check", dims, base_dir, embed_weights=False)
    except ModelError as err:
        return [Problem("", "", str(err), isinstance(err, UnsupportedOperator))]
    return []

