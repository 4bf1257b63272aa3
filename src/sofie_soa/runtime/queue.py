"""Queue: an alpaka queue of one back-end on one device, reusable by every model of that back-end."""

from __future__ import annotations

import ctypes

from sofie_soa.runtime.backends import backend as find_backend
from sofie_soa.runtime.build import build

_QUEUE_SOURCE = "#define SOFIE_SOA_TAG {tag}\n#include \"sofie_soa/runtime/c_entry.hpp\"\n"


def load_library(path) -> ctypes.CDLL:
    """Loads a session/queue library and declares its C ABI (ctypes releases the GIL during calls)."""
    lib = ctypes.CDLL(str(path))
    lib.sofie_queue_create.restype = ctypes.c_void_p
    lib.sofie_queue_create.argtypes = [ctypes.c_int64]
    lib.sofie_queue_wait.argtypes = [ctypes.c_void_p]
    lib.sofie_queue_destroy.argtypes = [ctypes.c_void_p]
    if hasattr(lib, "sofie_session_create"):
        lib.sofie_session_create.restype = ctypes.c_void_p
        lib.sofie_session_create.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.sofie_session_destroy.argtypes = [ctypes.c_void_p]
        lib.sofie_session_infer.restype = ctypes.c_int
        lib.sofie_session_infer.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
                                            ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    return lib


class Queue:
    """An alpaka queue (blocking, on the CPU back-ends) of `backend` on device `device`.

    Models compiled for the same back-end enqueue on it; ``wait()`` blocks until its work is done.
    Raises ValueError for an unknown back-end.
    """

    def __init__(self, backend: str = "cpu_serial", device: int = 0):
        self.backend = find_backend(backend).name
        self.device = device
        spec = find_backend(backend)
        self._lib = load_library(build(_QUEUE_SOURCE.format(tag=spec.tag), spec, f"the {backend} queue runtime"))
        self.handle = self._lib.sofie_queue_create(device)

    def wait(self) -> None:
        """Blocks until all work enqueued on this queue has completed."""
        self._lib.sofie_queue_wait(self.handle)

    def __del__(self):
        handle = getattr(self, "handle", None)
        if handle:
            self._lib.sofie_queue_destroy(handle)
            self.handle = None

    def __repr__(self) -> str:
        return f"Queue({self.backend!r}, device={self.device})"
