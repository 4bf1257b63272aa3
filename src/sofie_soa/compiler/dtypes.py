"""Element types: the ONNX tensor types sessions compute in, their NumPy names, C++ types and sizes. (Which
conversions between a caller's column and a model tensor may happen silently is decided where tensors are
bound: sofie_soa/core/dtype.hpp `lossless`.)

Supported (ONNX TensorProto): FLOAT, FLOAT16, DOUBLE, BOOL, INT8/16/32/64, UINT8/16/32/64. Everything else
(bfloat16, float8, int4/uint4, int2/uint2, e8m0, strings, complex) is refused at compile time, naming the tensor.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto

from sofie_soa.compiler.errors import ModelError

_FROM_ONNX = {
    TensorProto.FLOAT: "float32", TensorProto.FLOAT16: "float16", TensorProto.DOUBLE: "float64",
    TensorProto.BOOL: "bool",
    TensorProto.INT8: "int8", TensorProto.INT16: "int16", TensorProto.INT32: "int32", TensorProto.INT64: "int64",
    TensorProto.UINT8: "uint8", TensorProto.UINT16: "uint16", TensorProto.UINT32: "uint32",
    TensorProto.UINT64: "uint64",
}
_TO_ONNX = {name: code for code, name in _FROM_ONNX.items()}

DTYPES = tuple(_TO_ONNX)
FLOATS = ("float16", "float32", "float64")
SIGNED = ("int8", "int16", "int32", "int64")
UNSIGNED = ("uint8", "uint16", "uint32", "uint64")
INTEGERS = SIGNED + UNSIGNED

#: C++ element type of each dtype in generated code (sofie_soa/kernels/types.hpp for Half).
CPP = {"float32": "float", "float16": "::sofie_soa::kernels::Half", "float64": "double", "bool": "bool",
       **{t: f"::std::{t}_t" for t in INTEGERS}}


def from_onnx(elem_type: int, what: str) -> str:
    """The dtype name of an ONNX element type; ModelError naming `what` (a tensor or node) when unsupported."""
    try:
        return _FROM_ONNX[elem_type]
    except KeyError:
        name = TensorProto.DataType.Name(elem_type) if elem_type in TensorProto.DataType.values() else elem_type
        raise ModelError(f"{what} has element type {name}, which sessions do not support (supported: "
                         f"{', '.join(DTYPES)})") from None


def to_onnx(dtype: str) -> int:
    return _TO_ONNX[dtype]


def itemsize(dtype: str) -> int:
    """Bytes per element."""
    return np.dtype(dtype).itemsize


def is_float(dtype: str) -> bool:
    return dtype in FLOATS
