"""Shape rules shared by operators: ONNX broadcasting, axis normalisation, attribute-or-input axes."""

from __future__ import annotations

from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.symbolic import NotExpressible, SymN


def broadcast(where: str, *shapes) -> tuple:
    """ONNX multidirectional broadcasting (NumPy rules) of shapes of ints and SymN. A multiple of N broadcasts only
    with itself or 1 (N is not known to equal any other extent)."""
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    out = []
    for dims in zip(*padded):
        extent = 1
        for d in dims:
            if d == 1 and not isinstance(d, SymN):
                continue
            if extent == 1 and not isinstance(extent, SymN):
                extent = d
            elif not (d == extent):
                raise ModelError(f"{where}: shapes {' and '.join(map(_show, shapes))} do not broadcast")
        out.append(extent)
    return tuple(out)


def _show(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def normalize_axis(axis: int, rank: int, where: str) -> int:
    """axis in [-rank, rank) as a non-negative axis; ModelError otherwise."""
    if not -rank <= int(axis) < rank:
        raise ModelError(f"{where}: axis {axis} is out of range for rank {rank}")
    return int(axis) % rank


def normalize_axes(axes, rank: int, where: str) -> list[int]:
    """Distinct axes in [-rank, rank), normalised; ModelError for one out of range or repeated."""
    out = [normalize_axis(a, rank, where) for a in axes]
    if len(set(out)) != len(out):
        raise ModelError(f"{where}: axes {list(axes)} repeat an axis")
    return out


def axes_argument(ctx, axes_input, attrs: dict, what: str = "axes"):
    """Axes given as an input (newer opsets) or as the attribute `axes` (older ones, passed as `axes_`); None when
    neither."""
    if axes_input is not None:
        return axes_input.ints(what, ctx)
    value = attrs.get("axes_")
    return None if value is None else list(value)


def expressible(where: str, fn, *args):
    """fn(*args), with NotExpressible reported as a ModelError naming the node."""
    try:
        return fn(*args)
    except NotExpressible as err:
        raise ModelError(f"{where}: {err}") from None
