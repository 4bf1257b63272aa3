"""Element types between NumPy / ONNX names and Triton's: ``"float32"`` <-> ``"FP32"`` (the wire, as tritonclient
names them) and ``"TYPE_FP32"`` (config.pbtxt)."""

from __future__ import annotations

_TRITON = {
    "bool": "BOOL", "uint8": "UINT8", "uint16": "UINT16", "uint32": "UINT32", "uint64": "UINT64",
    "int8": "INT8", "int16": "INT16", "int32": "INT32", "int64": "INT64",
    "float16": "FP16", "float32": "FP32", "float64": "FP64",
}
_NUMPY = {v: k for k, v in _TRITON.items()}


def triton_dtype(dtype: str) -> str:
    """The wire name of a NumPy dtype name (``"float32"`` -> ``"FP32"``). ValueError for a type Triton's tensors
    do not carry as numbers (strings, complex, bfloat16)."""
    try:
        return _TRITON[str(dtype)]
    except KeyError:
        raise ValueError(f"dtype {dtype!r} has no Triton tensor type (supported: {', '.join(_TRITON)})") from None


def config_dtype(dtype: str) -> str:
    """The config.pbtxt name of a NumPy dtype name (``"float32"`` -> ``"TYPE_FP32"``); ValueError as triton_dtype."""
    return "TYPE_" + triton_dtype(dtype)


def numpy_dtype(triton: str) -> str:
    """The NumPy dtype name of a wire name (``"FP32"`` or ``"TYPE_FP32"`` -> ``"float32"``); ValueError if unknown."""
    key = triton.removeprefix("TYPE_")
    try:
        return _NUMPY[key]
    except KeyError:
        raise ValueError(f"Triton type {triton!r} is not a numeric tensor type sofie_soa serves") from None
