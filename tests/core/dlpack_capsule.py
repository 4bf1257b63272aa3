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


# Producing capsules: a stand-in for a CUDA array (PyTorch or CuPy on a GPU) where there is no GPU.
_new_capsule = ctypes.pythonapi.PyCapsule_New
_new_capsule.restype, _new_capsule.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_DELETER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_NO_OP = _DELETER(lambda _: None)
_NAME = b"dltensor"


class FakeCudaArray:
    """Looks like a CUDA array to DLPack consumers: ``__dlpack_device__()`` is (2, device_id) and ``__dlpack__``
    hands out a legacy capsule over `host` (a NumPy array, whose address stands in for device memory: nothing
    here dereferences it), flagged as CUDA memory. Records the `stream` of every ``__dlpack__`` call, which a
    consumer passes so that the producer orders its pending work before the consumer's stream."""

    def __init__(self, host, device_id: int = 0):
        self.host, self.device_id, self.streams, self._keep = host, device_id, [], []

    def __dlpack_device__(self):
        return (2, self.device_id)

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        self.streams.append(stream)
        shape = (ctypes.c_int64 * self.host.ndim)(*self.host.shape)
        strides = (ctypes.c_int64 * self.host.ndim)(*(s // self.host.itemsize for s in self.host.strides))
        code = {"f": 2, "i": 0, "u": 1}[self.host.dtype.kind]
        managed = DLManagedTensor(DLTensor(self.host.ctypes.data, DLDevice(2, self.device_id), self.host.ndim,
                                           DLDataType(code, self.host.itemsize * 8, 1), shape, strides, 0),
                                  None, ctypes.cast(_NO_OP, ctypes.c_void_p))
        self._keep.append((managed, shape, strides))
        return _new_capsule(ctypes.addressof(managed), _NAME, None)


class CapsuleOwnedArray:
    """A legal DLPack producer whose capsule alone owns the memory: ``__dlpack__`` copies `values` into a fresh
    buffer that only the capsule's deleter releases, and the deleter first overwrites it with `poison`. A consumer
    that lets the import die before it is done with the data reads the poison (or, under AddressSanitizer, a
    use after free). `released` counts deleter calls."""

    def __init__(self, values, poison=-1.0e30):
        self.values, self.poison, self.released = values, poison, 0
        self._live = {}                                          # address -> (buffer, managed, shape, strides)
        self._deleter = _DELETER(self._delete)

    def __dlpack_device__(self):
        return (1, 0)

    def _delete(self, address):
        buffer = self._live.pop(address)[0]
        buffer[...] = self.poison
        self.released += 1

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        buffer = self.values.copy()
        shape = (ctypes.c_int64 * buffer.ndim)(*buffer.shape)
        strides = (ctypes.c_int64 * buffer.ndim)(*(s // buffer.itemsize for s in buffer.strides))
        code = {"f": 2, "i": 0, "u": 1}[buffer.dtype.kind]
        managed = DLManagedTensor(DLTensor(buffer.ctypes.data, DLDevice(1, 0), buffer.ndim,
                                           DLDataType(code, buffer.itemsize * 8, 1), shape, strides, 0),
                                  None, ctypes.cast(self._deleter, ctypes.c_void_p))
        self._live[ctypes.addressof(managed)] = (buffer, managed, shape, strides)
        return _new_capsule(ctypes.addressof(managed), _NAME, None)
