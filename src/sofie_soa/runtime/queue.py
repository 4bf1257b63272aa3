"""Queue: an alpaka queue of one back-end on one device, reusable by every model of that back-end."""

from __future__ import annotations

import ctypes
import functools
import itertools

from sofie_soa.runtime import memory
from sofie_soa.runtime.backends import backend as find_backend
from sofie_soa.runtime.build import BuildError, build, discard

_QUEUE_SOURCE = "#define SOFIE_SOA_TAG {tag}\n#include \"sofie_soa/runtime/c_entry.hpp\"\n"


def load_library(path) -> ctypes.CDLL:
    """Loads a session/queue library of the build cache and declares its C ABI (ctypes releases the GIL during
    calls). A library that fails to load is removed from the cache, and BuildError says why."""
    try:
        lib = ctypes.CDLL(str(path))
    except OSError as err:
        discard(path)
        raise BuildError(f"the cached library {path} does not load ({err}); it was removed from the cache and "
                         f"will be rebuilt on the next call") from err
    lib.sofie_queue_create.restype = ctypes.c_void_p
    lib.sofie_queue_create.argtypes = [ctypes.c_int64, ctypes.c_char_p, ctypes.c_size_t]
    lib.sofie_queue_native_handle.restype = ctypes.c_void_p
    lib.sofie_queue_native_handle.argtypes = [ctypes.c_void_p]
    lib.sofie_queue_wait.argtypes = [ctypes.c_void_p]
    lib.sofie_queue_destroy.argtypes = [ctypes.c_void_p]
    vp, sz, err = ctypes.c_void_p, ctypes.c_size_t, [ctypes.c_char_p, ctypes.c_size_t]
    lib.sofie_queue_order_stream.restype = ctypes.c_int
    lib.sofie_queue_order_stream.argtypes = [vp, vp, *err]
    lib.sofie_queue_memset_zero.restype = ctypes.c_int
    lib.sofie_queue_memset_zero.argtypes = [vp, vp, sz, *err]
    lib.sofie_allocator_default.restype = vp
    lib.sofie_allocator_default.argtypes = [vp]
    lib.sofie_allocator_caching.restype = vp
    lib.sofie_allocator_caching.argtypes = [vp, vp, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint64,
                                            ctypes.c_double, *err]
    lib.sofie_allocator_callback.restype = vp
    lib.sofie_allocator_callback.argtypes = [vp, vp]
    lib.sofie_allocator_destroy.argtypes = [vp]
    lib.sofie_allocator_stats.argtypes = [vp, vp]
    lib.sofie_allocator_allocate.restype = vp
    lib.sofie_allocator_allocate.argtypes = [vp, sz, vp, *err]
    lib.sofie_allocator_free.restype = ctypes.c_int
    lib.sofie_allocator_free.argtypes = [vp, vp, sz, vp, *err]
    return lib


@functools.lru_cache(maxsize=None)
def _queue_library(backend: str) -> ctypes.CDLL:
    """The queue runtime of a back-end: built (or found in the build cache) and loaded once per process."""
    spec = find_backend(backend)
    return load_library(build(_QUEUE_SOURCE.format(tag=spec.tag), spec, f"the {backend} queue runtime"))


_SERIALS = itertools.count()


class Queue:
    """An alpaka queue (blocking, on the CPU back-ends) of `backend` on device `device`.

    Models compiled for the same back-end enqueue on it; ``wait()`` blocks until its work is done. Memory the
    runtime needs for work on this queue (workspaces, weights) comes from `allocator`: None for the device's
    program-wide caching allocator, a sofie_soa.CachingAllocator of the same back-end and device, or any object
    with ``allocate(nbytes, queue) -> address`` / ``free(address, nbytes, queue)`` (called for every buffer: wrap
    it in CachingAllocator(upstream=obj) to cache). Raises ValueError for an unknown back-end or an allocator of
    another back-end or device.
    """

    def __init__(self, backend: str = "cpu_serial", device: int = 0, allocator=None):
        spec = find_backend(backend)
        if not isinstance(device, int) or not 0 <= device < 10000:
            raise ValueError(f"device must be an integer in [0, 10000), got {device!r}")
        self.backend, self.device = spec.name, device
        self.serial = next(_SERIALS)   # unique for the process's lifetime, unlike the handle's address
        self._lib = _queue_library(spec.name)
        error = ctypes.create_string_buffer(1024)
        self.handle = self._lib.sofie_queue_create(device, error, len(error))
        if not self.handle:
            raise RuntimeError(f"no {self.backend} queue on device {device}: {error.value.decode()}")
        memory._QUEUES_BY_HANDLE[self.handle] = self
        if allocator is None:
            self.allocator = memory._Handle(self, self._lib.sofie_allocator_default(self.handle), owned=False)
        elif isinstance(allocator, memory._Handle):
            if (allocator.backend, allocator.device) != (self.backend, device):
                raise ValueError(f"the allocator serves {allocator.backend} device {allocator.device}, the queue is "
                                 f"{self.backend} device {device}")
            self.allocator = allocator
        else:
            self.allocator = memory.python_allocator(self, allocator)

    @property
    def native_handle(self) -> int | None:
        """The queue's native stream (cudaStream_t on CUDA, e.g. for cupy.cuda.ExternalStream or
        torch.cuda.ExternalStream), None on CPU back-ends."""
        return self._lib.sofie_queue_native_handle(self.handle)

    cuda_stream = native_handle

    def zero(self, address: int, nbytes: int) -> None:
        """Sets nbytes bytes of this queue's device memory at `address` to zero, on this queue, and waits.
        RuntimeError if the back-end refuses (e.g. an address outside the device's memory)."""
        error = ctypes.create_string_buffer(512)
        if self._lib.sofie_queue_memset_zero(self.handle, address, nbytes, error, len(error)):
            raise RuntimeError(f"zeroing {nbytes} bytes on {self!r} failed: {error.value.decode()}")

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
