"""Sliding-window geometry of Conv, ConvTranspose and the pools: pads after auto_pad, output extents, and the
constant index tables with which a Gather reads every window of a padded, spatially flattened input.

Rules (ONNX Conv-22, MaxPool-22, AveragePool-22): a window of kernel extent k and dilation d spans
e = (k − 1)·d + 1 input positions; with explicit pads the output extent is floor((D + pb + pe − e) / s) + 1, ceil
under ceil_mode, less one where the last window would start inside the end padding; SAME_UPPER / SAME_LOWER give
ceil(D / s) outputs and pad max((O − 1)·s + e − D, 0) in total, the odd one at the end (UPPER) or start (LOWER);
VALID is explicit pads of 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sofie_soa.compiler.errors import ModelError

MAX_TABLE = 1 << 24     # entries of a window index table (output positions x kernel cells): 128 MiB of int64


def _bounded(node, output, kernel) -> None:
    """ModelError before a window index table of more than MAX_TABLE entries is built (hostile attributes)."""
    entries = int(np.prod(output, dtype=object)) * int(np.prod(kernel, dtype=object))
    if entries > MAX_TABLE:
        raise ModelError(f"{node.describe()}: {list(output)} output positions x {list(kernel)} kernel cells make a "
                         f"window table of {entries} entries, above {MAX_TABLE}")


@dataclass(frozen=True)
class Window:
    """Per spatial axis: input extent, kernel extent, stride, dilation, pads before and after (explicit, after
    auto_pad) and output extent. `tail` is the padding after the input that a Gather needs so that every window
    cell lies inside the padded input (at least `pads_end`; more where ceil_mode's last window runs past it)."""
    spatial: tuple
    kernel: tuple
    strides: tuple
    dilations: tuple
    pads_begin: tuple
    pads_end: tuple
    output: tuple

    @property
    def tail(self) -> tuple:
        return tuple(max(pe, (o - 1) * s + (k - 1) * d + 1 - D - pb) for D, k, s, d, pb, pe, o in
                     zip(self.spatial, self.kernel, self.strides, self.dilations, self.pads_begin, self.pads_end,
                         self.output))

    @property
    def padded(self) -> tuple:
        return tuple(D + pb + t for D, pb, t in zip(self.spatial, self.pads_begin, self.tail))

    def positions(self) -> np.ndarray:
        """[P, K, rank] padded coordinates of window cell K of output position P (both row-major)."""
        out = np.stack(np.meshgrid(*[np.arange(o) for o in self.output], indexing="ij"), -1).reshape(-1, 1, len(self.output))
        cells = np.stack(np.meshgrid(*[np.arange(k) for k in self.kernel], indexing="ij"), -1).reshape(1, -1, len(self.kernel))
        return out * np.asarray(self.strides) + cells * np.asarray(self.dilations)

    def gather_indices(self) -> np.ndarray:
        """[P, K] int64 flat indices into the padded input's spatial positions (row-major)."""
        coords = self.positions()
        return np.ravel_multi_index(tuple(np.moveaxis(coords, -1, 0)), self.padded).astype(np.int64)

    def counts(self, include_pad: bool) -> np.ndarray:
        """[P] number of window cells inside the input (or, with include_pad, inside input and explicit pads):
        AveragePool's divisor (count_include_pad)."""
        coords = self.positions() - np.asarray(self.pads_begin)
        low = -np.asarray(self.pads_begin) if include_pad else 0
        high = np.asarray(self.spatial) + (np.asarray(self.pads_end) if include_pad else 0)
        return np.all((coords >= low) & (coords < high), axis=-1).sum(axis=1)


def _ints(node, name: str, rank: int, default: int) -> tuple:
    values = tuple(int(v) for v in node.attrs.get(name, [default] * rank))
    if len(values) != rank:
        raise ModelError(f"{node.describe()}: {name} {list(values)} has {len(values)} values for {rank} spatial axes")
    return values


def window(node, spatial: tuple, kernel: tuple, ceil_mode: bool = False) -> Window:
    """The Window of `node` (attributes strides, dilations, pads, auto_pad) over input extents `spatial` with
    kernel extents `kernel`. ModelError for attribute lists of the wrong length, non-positive strides, dilations
    or kernel extents, negative pads, or windows that leave no output."""
    rank = len(spatial)
    strides, dilations = _ints(node, "strides", rank, 1), _ints(node, "dilations", rank, 1)
    pads = tuple(int(v) for v in node.attrs.get("pads", [0] * 2 * rank))
    if len(pads) != 2 * rank:
        raise ModelError(f"{node.describe()}: pads {list(pads)} has {len(pads)} values for {rank} spatial axes")
    if min(strides + dilations + tuple(kernel)) < 1 or min(pads) < 0:
        raise ModelError(f"{node.describe()}: strides {list(strides)}, dilations {list(dilations)} and kernel "
                         f"{list(kernel)} must be positive and pads {list(pads)} not negative")
    extents = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    auto_pad = node.attrs.get("auto_pad", "NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    begin, end, output = list(pads[:rank]), list(pads[rank:]), []
    for i, (D, e, s) in enumerate(zip(spatial, extents, strides)):
        if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            o = -(-D // s)
            total = max((o - 1) * s + e - D, 0)
            small, large = total // 2, total - total // 2
            begin[i], end[i] = (small, large) if auto_pad == "SAME_UPPER" else (large, small)
        else:
            if auto_pad == "VALID":
                begin[i] = end[i] = 0
            span = D + begin[i] + end[i] - e
            o = 0 if span < 0 else (math.ceil(span / s) if ceil_mode else span // s) + 1
            if ceil_mode and (o - 1) * s >= D + begin[i]:
                o -= 1
        if o < 1:
            raise ModelError(f"{node.describe()}: a window of extent {e} (kernel {kernel[i]}, dilation "
                             f"{dilations[i]}) does not fit spatial axis {i} of extent {D} with its pads")
        output.append(o)
    _bounded(node, output, kernel)
    return Window(tuple(spatial), tuple(kernel), strides, dilations, tuple(begin), tuple(end), tuple(output))


def transposed_pads(node, spatial: tuple, kernel: tuple) -> tuple:
    """ConvTranspose's (strides, dilations, pads_begin, pads_end, output extents) over input extents `spatial`
    (ONNX ConvTranspose-22): O = s·(D − 1) + output_padding + (k − 1)·d + 1 − pb − pe; with output_shape (or a
    SAME auto_pad, which asks for O = D·s) the pads are derived from the total, the odd one at the start except
    for SAME_UPPER. ModelError for lists of the wrong length or an output without positions."""
    rank = len(spatial)
    strides, dilations = _ints(node, "strides", rank, 1), _ints(node, "dilations", rank, 1)
    output_padding = _ints(node, "output_padding", rank, 0)
    pads = tuple(int(v) for v in node.attrs.get("pads", [0] * 2 * rank))
    if len(pads) != 2 * rank:
        raise ModelError(f"{node.describe()}: pads {list(pads)} has {len(pads)} values for {rank} spatial axes")
    auto_pad = node.attrs.get("auto_pad", "NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    full = [s * (D - 1) + op + (k - 1) * d + 1 for D, s, op, k, d in zip(spatial, strides, output_padding, kernel,
                                                                           dilations)]
    wanted = list(node.attrs.get("output_shape", []))[-rank:] if "output_shape" in node.attrs else None
    if wanted is None and auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        wanted = [D * s for D, s in zip(spatial, strides)]
    if wanted is not None:
        total = [f - int(w) for f, w in zip(full, wanted)]
        upper = auto_pad == "SAME_UPPER"
        begin = [t // 2 if upper else t - t // 2 for t in total]
        end = [t - t // 2 if upper else t // 2 for t in total]
    else:
        begin, end = list(pads[:rank]), list(pads[rank:])
    output = [f - b - e for f, b, e in zip(full, begin, end)]
    if min(output) < 1 or min(strides + dilations) < 1:
        raise ModelError(f"{node.describe()}: ConvTranspose gives output extents {output} (strides {list(strides)}, "
                         f"dilations {list(dilations)}, pads {begin + end})")
    _bounded(node, output, kernel)
    return strides, dilations, tuple(begin), tuple(end), tuple(output)
