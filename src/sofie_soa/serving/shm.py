"""Triton system shared memory regions owned by a client: POSIX shared memory (/dev/shm) that client and server
map, so request and response tensors cross without being serialized.

A Region grows (a new, larger region; powers of two, bytes) when a request needs more. It is registered with the
server under a unique name and unregistered and unlinked by close(); a server that cannot map it (another host)
makes ensure() raise RemoteError. One Region serves one request at a time.
"""

from __future__ import annotations

import uuid
from multiprocessing import shared_memory

import numpy as np

from sofie_soa.serving.errors import RemoteError


class Region:
    """A registered system shared-memory region of at least `nbytes` bytes on `triton` (a tritonclient
    InferenceServerClient, HTTP or gRPC)."""

    def __init__(self, triton, prefix: str):
        self.triton, self.prefix = triton, prefix
        self.memory: shared_memory.SharedMemory | None = None
        self.name = ""
        self.nbytes = 0

    def ensure(self, nbytes: int) -> None:
        """Makes the region at least `nbytes` bytes (a new region when it is smaller)."""
        if self.memory is not None and self.nbytes >= nbytes:
            return
        self.close()
        size = max(4096, 1 << max(nbytes - 1, 1).bit_length())
        self.name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        self.memory = shared_memory.SharedMemory(name=self.name, create=True, size=size)
        self.nbytes = size
        try:
            self.triton.register_system_shared_memory(self.name, "/" + self.name, size)
        except Exception as err:   # noqa: BLE001 — tritonclient's InferenceServerException, or a socket error
            self.close(registered=False)
            message = err.message() if hasattr(err, "message") else str(err)
            raise RemoteError(f"the server could not map shared memory region /{self.name} ({size} bytes): "
                              f"{message}; a server on another host needs shared_memory='none'") from None

    def view(self, dtype, count: int, offset: int = 0) -> np.ndarray:
        """A NumPy view [count] of `dtype` at byte `offset` of the region (no copy; valid until ensure() or
        close())."""
        return np.frombuffer(self.memory.buf, dtype=dtype, count=count, offset=offset)

    def close(self, registered: bool = True) -> None:
        """Unregisters the region from the server (when `registered`) and unlinks it (no-op when there is
        none)."""
        if self.memory is None:
            return
        try:
            if registered:
                self.triton.unregister_system_shared_memory(self.name)
        except Exception:      # noqa: BLE001 — the server may be gone; the memory is still ours to unlink
            pass
        self.memory.close()
        self.memory.unlink()
        self.memory, self.nbytes = None, 0


def aligned(offset: int, alignment: int = 128) -> int:
    """`offset` rounded up to a multiple of `alignment` (bytes)."""
    return (offset + alignment - 1) // alignment * alignment
