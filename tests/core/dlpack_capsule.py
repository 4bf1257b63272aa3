"""Reads a DLPack capsule with ctypes, following the C ABI of dmlc/dlpack (dlpack.h), to check what the
producer filled in: version, READ_ONLY flag, dtype, shape and strides (in elements)."""

import ctypes


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class DLPackVersion(ctypes.Structure):
    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    _fields_ = [("version", DLPackVersion), ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p),
                ("flags", ctypes.c_uint64), ("dl_tensor", DLTensor)]


class DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p), ("deleter", ctypes.c_void_p)]


READ_ONLY = 1

_get_name = ctypes.pythonapi.PyCapsule_GetName
_get_name.restype, _get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
_get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_get_pointer.restype, _get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]


def read(capsule):
    """Returns a dict: name, version (or None), flags, data, device, dtype (code, bits), shape, strides."""
    name = _get_name(capsule)
    address = _get_pointer(capsule, name)
    if name == b"dltensor_versioned":
        managed = DLManagedTensorVersioned.from_address(address)
        version, flags, tensor = (managed.version.major, managed.version.minor), managed.flags, managed.dl_tensor
    else:
        version, flags, tensor = None, 0, DLManagedTensor.from_address(address).dl_tensor
    ndim = tensor.ndim
    return {
        "name": name.decode(), "version": version, "flags": flags, "data": tensor.data + tensor.byte_offset,
        "device": (tensor.device.device_type, tensor.device.device_id),
        "dtype": (tensor.dtype.code, tensor.dtype.bits),
        "shape": tuple(tensor.shape[i] for i in range(ndim)),
        "strides": tuple(tensor.strides[i] for i in range(ndim)) if tensor.strides else None,
    }
