"""The SoA binding of a served model, as JSON (``--soa-layout layout.json``, and ``soa_layout.json`` in the
model's repository folder): the collection's Layout, and which of its members feed each ONNX input and receive
each ONNX output::

    {"alignment": 128, "enforce_alignment": false,
     "members": [{"name": "pt", "kind": "column", "dtype": "float32"},
                 {"name": "state", "kind": "eigen_column", "dtype": "float32", "shape": [5, 1]},
                 {"name": "nTracks", "kind": "scalar", "dtype": "int32"}, ...],
     "inputs": {"features": ["pt", "eta", "nHits", "state[2]"]},
     "outputs": {"score": ["score"]}}

Feature labels are those of ``SoA.tensor`` (a member, an Eigen coefficient ``v[1]`` / ``m[r,c]``, a scalar for
inputs). The layout is fixed in the served model's config: clients send bytes and n only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import sofie_soa as ss

_LABEL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)(?:,(\d+))?\])?$")


@dataclass(frozen=True)
class SoABinding:
    """A Layout and the feature labels per ONNX input / output (dicts keep the model's order)."""
    layout: ss.Layout
    inputs: dict
    outputs: dict

    @property
    def output_features(self) -> list:
        """(onnx output, feature label, dtype name) for every output feature, in wire order."""
        found = []
        for name, labels in self.outputs.items():
            for label in labels:
                found.append((name, label, feature_dtype(self.layout, label)))
        return found

    def to_json(self) -> dict:
        """The JSON object described in this module's docstring."""
        members = []
        for m in self.layout.members:
            entry = {"name": m.name, "kind": m.kind.name, "dtype": m.dtype}
            if m.kind == ss.MemberKind.eigen_column:
                entry["shape"] = list(m.shape)
            members.append(entry)
        return {"alignment": self.layout.alignment, "enforce_alignment": self.layout.enforce_alignment,
                "members": members, "inputs": {k: list(v) for k, v in self.inputs.items()},
                "outputs": {k: list(v) for k, v in self.outputs.items()}}


def feature_dtype(layout: ss.Layout, label: str) -> str:
    """The dtype name of feature `label` of `layout`; ValueError naming it when it is no member or coefficient."""
    match = _LABEL.match(label.replace(" ", ""))
    members = {m.name: m for m in layout.members}
    if not match or match.group(1) not in members:
        raise ValueError(f"feature {label!r} is not a member of the layout ({', '.join(members)})")
    return members[match.group(1)].dtype


def feature_view(soa: ss.SoA, label: str):
    """A NumPy view [n] of one non-scalar feature of a host SoA (a column, or one Eigen coefficient), no copy.
    ValueError for a scalar or an unknown label."""
    match = _LABEL.match(label.replace(" ", ""))
    if not match:
        raise ValueError(f"feature {label!r} is not a member or an Eigen coefficient")
    name, first, second = match.group(1), match.group(2), match.group(3)
    member = next((m for m in soa.layout.members if m.name == name), None)
    if member is None or member.kind == ss.MemberKind.scalar:
        raise ValueError(f"feature {label!r} is not a column or an Eigen coefficient of the layout")
    view = soa[name]
    if member.kind == ss.MemberKind.column:
        if first is not None:
            raise ValueError(f"feature {label!r}: {name} is a column, not an Eigen column")
        return view
    rows, cols = member.shape
    if first is None:
        raise ValueError(f"feature {label!r}: name one coefficient of the Eigen column {name}")
    if second is None:
        k = int(first)
        r, c = k % rows, k // rows
    else:
        r, c = int(first), int(second)
    if not (0 <= r < rows and 0 <= c < cols):
        raise ValueError(f"feature {label!r} is outside {name}'s {rows}x{cols} shape")
    return view[:, r, c]


def binding(layout: ss.Layout, inputs: dict, outputs: dict) -> SoABinding:
    """A checked SoABinding: every label names a member (scalars only as inputs); ValueError naming the first
    label that does not."""
    for labels in inputs.values():
        for label in labels:
            feature_dtype(layout, label)
    probe = ss.SoA.allocate(layout, 1)
    for labels in outputs.values():
        for label in labels:
            feature_view(probe, label)
    return SoABinding(layout, {k: list(v) for k, v in inputs.items()}, {k: list(v) for k, v in outputs.items()})


def from_json(data: dict) -> SoABinding:
    """The SoABinding of a JSON object (module docstring); ValueError naming what is missing or wrong."""
    try:
        members = []
        for m in data["members"]:
            kind = m.get("kind", "column")
            if kind == "column":
                members.append(ss.column(m["name"], m["dtype"]))
            elif kind == "scalar":
                members.append(ss.scalar(m["name"], m["dtype"]))
            elif kind == "eigen_column":
                members.append(ss.eigen_column(m["name"], m["dtype"], tuple(m["shape"])))
            else:
                raise ValueError(f"member {m['name']!r}: unknown kind {kind!r} (column, scalar, eigen_column)")
        layout = ss.Layout(members, int(data.get("alignment", 128)), bool(data.get("enforce_alignment", False)))
        return binding(layout, data["inputs"], data["outputs"])
    except KeyError as err:
        raise ValueError(f"SoA layout JSON lacks the key {err.args[0]!r}") from None


def load(path) -> SoABinding:
    """Reads a layout JSON file (module docstring); ValueError as from_json, OSError when unreadable."""
    return from_json(json.loads(Path(path).read_text()))


def save(b: SoABinding, path) -> None:
    """Writes `b` as JSON to `path`."""
    Path(path).write_text(json.dumps(b.to_json(), indent=1) + "\n")
