"""Index maps (kernels/index_map.hpp) computed at compile time: an index space, and for each tensor the strides
and start offset (in elements, by the tensor's flat row-major index) that address it there. Entries are ints or
multiples of N (compiler/symbolic.py); the emitter writes the latter as expressions in n.

Builders: elementwise (ONNX broadcasting), transposed, and strided (any per-dimension strides and offsets, for
Slice, Concat, Expand, Tile, Split, DepthToSpace ...). Every map is simplified before it is emitted: dimensions of
extent 1 are dropped and neighbours that stay contiguous for every tensor are merged, so that kernels do fewer
divisions per element.
"""

from __future__ import annotations

from dataclasses import dataclass

from sofie_soa.compiler.symbolic import SymN, row_major_strides, size

MAX_RANK = 8   # kernels::kMaxRank


@dataclass(frozen=True)
class IndexMap:
    extents: tuple                # the index space
    strides: tuple                # per tensor (slot 0: the output), one stride per dimension
    offsets: tuple                # per tensor

    @property
    def count(self):
        return size(self.extents)

    @property
    def tensors(self) -> int:
        return len(self.strides)


def _is_one(d) -> bool:
    return not isinstance(d, SymN) and d == 1


def simplify(m: IndexMap) -> IndexMap:
    """Drops extent-1 dimensions and merges dimension d into d + 1 wherever stride[d] == stride[d + 1] * extent[d + 1]
    for every tensor."""
    keep = [d for d, e in enumerate(m.extents) if not _is_one(e)]
    extents = [m.extents[d] for d in keep]
    strides = [[s[d] for d in keep] for s in m.strides]
    d = len(extents) - 2
    while d >= 0:
        if all(_equal(s[d], _times(s[d + 1], extents[d + 1])) for s in strides):
            extents[d] = _times(extents[d], extents[d + 1])
            for s in strides:
                s[d] = s[d + 1]
            del extents[d + 1]
            for s in strides:
                del s[d + 1]
        d -= 1
    return IndexMap(tuple(extents), tuple(tuple(s) for s in strides), tuple(m.offsets))


def _times(a, b):
    if isinstance(a, SymN) and isinstance(b, SymN):
        return None                       # never equal to a stride: no merge
    return a * b if isinstance(a, SymN) else b * a


def _equal(a, b) -> bool:
    return b is not None and (a == b if isinstance(a, SymN) or isinstance(b, SymN) else int(a) == int(b))


def broadcast_strides(out_shape: tuple, shape: tuple) -> tuple:
    """Strides that read a tensor of `shape` at each position of `out_shape` under ONNX broadcasting (aligned on
    the right; 0 along broadcast dimensions)."""
    lead = len(out_shape) - len(shape)
    own = row_major_strides(shape)
    return tuple(0 if d < lead or (_is_one(shape[d - lead]) and not _is_one(out_shape[d])) else own[d - lead]
                 for d in range(len(out_shape)))


def elementwise(out_shape: tuple, *shapes: tuple) -> IndexMap:
    """out[i] = op(operands[i]...) with operands broadcast to out_shape."""
    strides = (row_major_strides(out_shape),) + tuple(broadcast_strides(out_shape, s) for s in shapes)
    return simplify(IndexMap(tuple(out_shape), strides, (0,) * len(strides)))


def transposed(in_shape: tuple, perm) -> IndexMap:
    """Transpose: walks the output (in_shape permuted by perm) and reads input dimension perm[d]."""
    out_shape = tuple(in_shape[p] for p in perm)
    own = row_major_strides(in_shape)
    return simplify(IndexMap(out_shape, (row_major_strides(out_shape), tuple(own[p] for p in perm)), (0, 0)))


def strided(extents: tuple, *tensors: tuple) -> IndexMap:
    """A map over `extents` with explicit (strides, offset) per tensor (slot 0: the output)."""
    return simplify(IndexMap(tuple(extents), tuple(tuple(s) for s, _ in tensors), tuple(o for _, o in tensors)))
