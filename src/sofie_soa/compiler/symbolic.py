"""The symbolic element count: a dimension is an int or a multiple c·N of the model's element count N, the one
dynamic dimension the graph inputs share (whatever the exporter named it).

Sizes of every tensor stay linear in N (N·P after [N, P, F] -> [N·P, F]), so memory offsets stay a·n + b.
Arithmetic that leaves that form (N², N/2, N + 1) raises NotExpressible, which the compiler reports as a
ModelError naming the node. Shape values computed at compile time (the output of Shape, and arithmetic on it)
are NumPy object arrays whose entries are ints or SymN.
"""

from __future__ import annotations

import math

import numpy as np


class NotExpressible(ArithmeticError):
    """A dimension or shape value that is not an int or c·N."""


class SymN:
    """c·N for a nonzero integer c. Supports what shape arithmetic needs: multiplication by ints, exact division
    by ints, addition of another multiple of N (or of 0), negation, and equality."""

    __slots__ = ("c",)

    def __init__(self, c: int = 1):
        if c == 0 or not isinstance(c, (int, np.integer)):
            raise ValueError(f"SymN needs a nonzero integer coefficient, got {c!r}")
        self.c = int(c)

    def __repr__(self) -> str:
        return "N" if self.c == 1 else f"{self.c}N"

    def __eq__(self, other) -> bool:
        return isinstance(other, SymN) and other.c == self.c

    def __ne__(self, other) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(("SymN", self.c))

    def __mul__(self, other):
        if isinstance(other, SymN):
            raise NotExpressible(f"{self} x {other} is not linear in N")
        k = _int(other, "multiply")
        return SymN(self.c * k) if k else 0

    __rmul__ = __mul__

    def __add__(self, other):
        if isinstance(other, SymN):
            c = self.c + other.c
            return SymN(c) if c else 0
        if _int(other, "add") == 0:
            return self
        raise NotExpressible(f"{self} + {other} is not a multiple of N")

    __radd__ = __add__

    def __neg__(self):
        return SymN(-self.c)

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __floordiv__(self, other):
        if isinstance(other, SymN):
            if self.c % other.c:
                raise NotExpressible(f"{self} / {other} is not an integer")
            return self.c // other.c
        k = _int(other, "divide")
        if k == 0 or self.c % k:
            raise NotExpressible(f"{self} / {k} is not a multiple of N")
        return SymN(self.c // k)

    __truediv__ = __floordiv__

    def __mod__(self, other):
        k = _int(other, "take the remainder of")
        if k == 0 or self.c % k:
            raise NotExpressible(f"{self} mod {k} depends on N")
        return 0

    def _compare(self, other, op: str):
        raise NotExpressible(f"{self} {op} {other} depends on N")

    def __lt__(self, other):
        return self._compare(other, "<")

    def __le__(self, other):
        return self._compare(other, "<=")

    def __gt__(self, other):
        return self._compare(other, ">")

    def __ge__(self, other):
        return self._compare(other, ">=")

    def __bool__(self) -> bool:  # N >= 1 is not known: a SymN is never used as a truth value
        raise NotExpressible(f"the truth value of {self} depends on N")


N = SymN(1)


def _int(value, what: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise NotExpressible(f"cannot {what} {value!r} and a multiple of N")
    return int(value)


def is_symbolic(value) -> bool:
    """Whether a dimension, or any entry of a shape value (array), is a multiple of N."""
    if isinstance(value, np.ndarray):
        return value.dtype == object and any(isinstance(v, SymN) for v in value.flat)
    return isinstance(value, SymN)


def size(shape) -> int | SymN:
    """The element count of `shape`: an int, or c·N. NotExpressible when N appears twice."""
    total = 1
    for d in shape:
        total = total * d if isinstance(total, SymN) else d * total
    return total


def coefficients(value) -> tuple[int, int]:
    """(a, b) with value = a·N + b, for an int or SymN (used for memory sizes and offsets)."""
    return (value.c, 0) if isinstance(value, SymN) else (0, int(value))


def dims_equal(a, b) -> bool:
    return a == b if isinstance(a, SymN) or isinstance(b, SymN) else int(a) == int(b)


def row_major_strides(shape) -> tuple:
    """Element strides of a row-major tensor of `shape` (each an int or c·N)."""
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(step)
        step = step * d if isinstance(step, SymN) else d * step
    return tuple(reversed(strides))


def concrete(shape) -> bool:
    return not any(isinstance(d, SymN) for d in shape)


def prod(values) -> int:
    return math.prod(int(v) for v in values)
