"""Shape arithmetic with the symbolic element count N."""

from sofie_soa.compiler.errors import ModelError
from sofie_soa.compiler.ir import N


def size(shape) -> tuple[int, bool]:
    """(constant factor, whether N is a factor) of the element count of `shape`."""
    factor, symbolic = 1, False
    for d in shape:
        if d == N:
            if symbolic:
                raise ModelError(f"shape {shape} has the element count twice")
            symbolic = True
        else:
            factor *= d
    return factor, symbolic


def broadcast(a, b, where: str) -> tuple:
    """ONNX multidirectional broadcasting of two shapes."""
    rank = max(len(a), len(b))
    a = (1,) * (rank - len(a)) + tuple(a)
    b = (1,) * (rank - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            raise ModelError(f"{where}: shapes {a} and {b} do not broadcast")
    return tuple(out)


def normalize_axis(axis: int, rank: int, where: str) -> int:
    if not -rank <= axis < rank:
        raise ModelError(f"{where}: axis {axis} is out of range for rank {rank}")
    return axis % rank
