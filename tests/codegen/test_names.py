"""Names from a model (node, tensor, input and output names, the session name, the file name) never reach
generated code as code (issue 13, finding 1): each model below compiles to a working session, or is refused with
a ModelError, and the text of no name ever runs. The payloads try every way out of a C++ string literal, a
comment and an identifier; a payload that got out would run `std::system` when the library is loaded (caught by
the marker file) or break the build (a BuildError fails the test)."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper

import sofie_soa as ss
from sofie_soa.runtime.model import compile_many, generate

KEYWORDS = ["class", "int", "std", "sofie_soa", "namespace", "template", "9lives", "_Reserved", "a__b", "main",
            "Session", "kernels", "alpaka", "n", "x", "auto", "operator", "delete"]


def payloads(marker) -> list[str]:
    """Names that would run `touch marker` or break the header if they were written into it as code."""
    run = f'std::system("touch {marker}")'
    return [f'x"; static inline int pwn = ({run}, 0); //',
            f'x\\"; static int pwn = ({run}, 0); //',
            f"x\n#error injected\n",
            f"*/ static int pwn = ({run}, 0); /*",
            f"??/\nstatic int pwn = ({run}, 0);",           # a trigraph line continuation (pre-C++17 compilers)
            f'R"(x)" ; static int pwn = ({run}, 0); //',
            "#include </etc/passwd>", "\\", '"', "\\\n", "\r\n#define float int\r\n", "\x00x", "é\u202ex",
            "\U0001F600 naïve ∑", " ", "x" * 300]


def identity_model(input_name: str, output_name: str, node_name: str = "n", hidden: str = "h") -> bytes:
    """y = Relu(x) + x through a hidden tensor, with the given names: x [N, 3] float32."""
    nodes = [helper.make_node("Relu", [input_name], [hidden], name=node_name),
             helper.make_node("Add", [hidden, input_name], [output_name], name=node_name + "#2")]
    graph = helper.make_graph(nodes, node_name, [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["N", 3])],
                              [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["N", 3])],
                              doc_string=f"*/ {input_name}")
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8,
                              doc_string=output_name, producer_name=node_name)
    return model.SerializeToString()


def check_all(models: list, names: list, marker, refusals: bool = False) -> None:
    """Compiles `models` under session names `names` in one library; each must run and give Relu(x) + x (or, with
    `refusals`, may be refused with a ModelError); the marker must never appear."""
    usable, labels = [], []
    for model, name in zip(models, names):
        try:
            generate(model, name or "model")
        except ss.ModelError:
            if not refusals:
                raise
            continue
        usable.append(model)
        labels.append(name)
    compiled = compile_many(usable, "cpu_serial", names=labels)
    x = np.array([[-1, 2, 0.5]] * 4, np.float32)
    for model in compiled:
        np.testing.assert_array_equal(model.infer(x, ss.Queue("cpu_serial")), np.maximum(x, 0) + x)
        assert len(model.input_names) == 1 and len(model.output_names) == 1
    assert not marker.exists(), "a name's text ran when the session was loaded"


def test_known_payloads_as_every_kind_of_name_and_as_session_name(tmp_path):
    marker = tmp_path / "pwned"
    models, names = [], []
    for k, p in enumerate(payloads(marker)):
        if "\x00" in p:
            continue                                  # protobuf strings may hold NUL, onnx helper refuses them
        models += [identity_model(p, "y"), identity_model("x", p), identity_model("x", "y", node_name=p, hidden=p)]
        names += [f"in{k}", f"out{k}", p]
    models += [identity_model("x", "y")] * len(KEYWORDS)
    names += KEYWORDS
    check_all(models, names, marker)


def test_the_header_of_a_file_named_like_code_compiles(tmp_path):
    """`emit` and `compile` of files named '1.onnx' and 'a\\n#error x.onnx': the comment and namespace hold them."""
    marker = tmp_path / "pwned"
    paths = []
    for stem in ["1", "a\n#error x", "class", "sofie_soa"]:
        path = tmp_path / f"{stem}.onnx"
        path.write_bytes(identity_model("x", "y"))
        paths.append(path)
    check_all([str(p) for p in paths], [None] * len(paths), marker)
    out = tmp_path / "h" / "session.hpp"
    subprocess.run([sys.executable, "-m", "sofie_soa", "emit", str(paths[1]), "-o", str(out)], check=True)
    header = out.read_text()
    assert "\n#error" not in header
    assert "namespace sofie_soa_generated::a_error_x_" in header or "namespace a_error_x_" in header


NAMES = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=24) | \
    st.sampled_from(KEYWORDS + ['"', "\\", "*/", "#include", "\n", "//", "??/", "R\"("])


@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(NAMES, NAMES, NAMES, NAMES), min_size=6, max_size=6))
def test_random_names_compile_to_working_sessions_or_are_refused(tmp_path_factory, names):
    """Random Unicode, quotes, backslashes, newlines, comment and preprocessor tokens and C++ keywords as input,
    output, node and hidden-tensor names and as session names: six models per library build."""
    marker = tmp_path_factory.mktemp("names") / "pwned"
    models, labels = [], []
    for inp, out, node, hidden in names:
        if len({inp, out, hidden}) < 3:
            continue                                  # SSA: the three tensors need distinct names
        models.append(identity_model(inp, out, node, hidden))
        labels.append(node + hidden)
    check_all(models, labels, marker, refusals=True)


def test_duplicate_session_names_get_distinct_namespaces(tmp_path):
    check_all([identity_model("x", "y")] * 3, ["same", "same", "same"], tmp_path / "pwned")
