"""Allocators on the Python side: the device caching allocator of a back-end, and any Python object with
``allocate(nbytes, queue) -> address`` / ``free(address, nbytes, queue)`` plugged in as an upstream or as the
allocator itself (C++: sofie_soa/memory/*.hpp)."""

from __future__ import annotations

import ctypes
import weakref

_ALLOCATE = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)
_FREE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)


class AllocatorStats(ctypes.Structure):
    """Mirror of sofie_soa::memory::AllocatorStats (bytes and counts)."""
    _fields_ = [(name, ctypes.c_uint64) for name in ("requested_bytes", "live_bytes", "cached_bytes", "hits",
                                                     "misses", "system_allocations", "system_frees")]

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name, _ in self._fields_}


class _Handle:
    """An Allocator<Queue>* living in the queue library of one back-end and device. It refers to its queue
    weakly (the queue holds its allocator); objects in `keep` live as long as the handle."""

    def __init__(self, queue, handle: int, owned: bool, keep=()):
        self.backend, self.device = queue.backend, queue.device
        self._lib, self._queue = queue._lib, weakref.ref(queue)
        self._handle, self._owned, self._keep = handle, owned, keep

    def _queue_handle(self, queue) -> int:
        queue = queue or self._queue()
        if queue is None:
            raise ValueError("the allocator's own queue is gone: pass the queue the memory is for")
        return queue.handle

    @property
    def handle(self) -> int:
        return self._handle

    def stats(self) -> dict:
        """requested_bytes, live_bytes, cached_bytes, hits, misses, system_allocations, system_frees."""
        out = AllocatorStats()
        self._lib.sofie_allocator_stats(self._handle, ctypes.byref(out))
        return out.as_dict()

    def allocate(self, nbytes: int, queue=None) -> int:
        """Address of nbytes bytes for work on `queue` (default: this allocator's own queue); MemoryError."""
        error = ctypes.create_string_buffer(512)
        address = self._lib.sofie_allocator_allocate(self._handle, nbytes, self._queue_handle(queue), error,
                                                     len(error))
        if not address:
            raise MemoryError(f"allocating {nbytes} bytes failed: {error.value.decode()}")
        return address

    def free(self, address: int, nbytes: int, queue=None) -> None:
        error = ctypes.create_string_buffer(512)
        if self._lib.sofie_allocator_free(self._handle, address, nbytes, self._queue_handle(queue), error,
                                          len(error)):
            raise ValueError(error.value.decode())

    def __del__(self):
        if getattr(self, "_owned", False):
            self._lib.sofie_allocator_destroy(self._handle)
            self._owned = False


def default_allocator(backend: str = "cpu_serial", device: int = 0) -> _Handle:
    """The program-wide caching allocator of a back-end's device (CMS defaults), which queues use unless given
    another."""
    from sofie_soa.runtime.queue import Queue
    return Queue(backend, device).allocator


class CachingAllocator(_Handle):
    """A caching allocator (sofie_soa/memory/caching_allocator.hpp, modelled on CMS's) for a back-end's device.

    upstream: where memory really comes from — None for the device's system allocator, or a Python object with
    ``allocate(nbytes, queue) -> int`` and ``free(address, nbytes, queue)`` (queue: the sofie_soa Queue, or None
    when unknown). bin_growth, min_bin, max_bin: blocks of bin_growth**k bytes, k in [min_bin, max_bin];
    max_cached_bytes (None: unlimited) and max_cached_fraction of the device's memory bound what stays cached.
    Raises ValueError for an invalid configuration."""

    def __init__(self, backend: str = "cpu_serial", device: int = 0, upstream=None, *, bin_growth: int = 2,
                 min_bin: int = 8, max_bin: int = 30, max_cached_bytes: int | None = None,
                 max_cached_fraction: float = 0.8):
        from sofie_soa.runtime.queue import Queue
        queue = Queue(backend, device)
        base = python_allocator(queue, upstream) if upstream is not None else queue.allocator
        error = ctypes.create_string_buffer(512)
        handle = queue._lib.sofie_allocator_caching(queue.handle, base.handle, bin_growth, min_bin, max_bin,
                                                    (1 << 64) - 1 if max_cached_bytes is None else max_cached_bytes,
                                                    max_cached_fraction, error, len(error))
        if not handle:
            raise ValueError(error.value.decode())
        super().__init__(queue, handle, owned=True, keep=(base, queue))


class DeviceMemory:
    """GPU memory for SoA.allocate(layout, n, device="cuda:N"): allocate / free from `upstream` (None: the
    device's caching allocator, the one sofie_soa.Queue(backend, device) uses; else a sofie_soa allocator or any
    object with allocate(nbytes, queue) -> address and free(address, nbytes, queue)), zero() on the device. Holds
    its own queue, which lives as long as memory from it. RuntimeError when there is no such device."""

    def __init__(self, device: int, upstream=None):
        from sofie_soa.runtime.queue import Queue
        self.queue = Queue("cuda", device)
        self._upstream = self.queue.allocator if upstream is None else upstream

    def allocate(self, nbytes: int, queue=None) -> int:
        return int(self._upstream.allocate(nbytes, queue or self.queue))

    def free(self, address: int, nbytes: int, queue=None) -> None:
        self._upstream.free(address, nbytes, queue or self.queue)

    def zero(self, address: int, nbytes: int) -> None:
        self.queue.zero(address, nbytes)


_QUEUES_BY_HANDLE: weakref.WeakValueDictionary = weakref.WeakValueDictionary()   # C++ queue address -> Queue


def python_allocator(queue, obj) -> _Handle:
    """An allocator handle that calls obj.allocate(nbytes, queue) / obj.free(address, nbytes, queue)."""
    if isinstance(obj, _Handle):
        return obj

    def allocate(nbytes, queue_address):
        return int(obj.allocate(nbytes, _QUEUES_BY_HANDLE.get(queue_address)))

    def free(address, nbytes, queue_address):
        obj.free(address, nbytes, _QUEUES_BY_HANDLE.get(queue_address))

    callbacks = (_ALLOCATE(allocate), _FREE(free))
    handle = queue._lib.sofie_allocator_callback(*callbacks)
    return _Handle(queue, handle, owned=True, keep=(obj, callbacks))
