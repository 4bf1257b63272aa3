"""A Python allocator that counts: the tests' proof of what the runtime asks the system for."""

import threading

import numpy as np


class CountingAllocator:
    """allocate(nbytes, queue) / free(address, nbytes, queue) over NumPy buffers aligned to 256 bytes; counts
    calls and live bytes, and remembers the queues it was given."""

    ALIGNMENT = 256

    def __init__(self):
        self.allocations = self.frees = self.live_bytes = 0
        self.queues = []
        self._buffers = {}
        self._lock = threading.Lock()

    def allocate(self, nbytes, queue):
        buffer = np.empty(nbytes + self.ALIGNMENT, np.uint8)
        address = buffer.ctypes.data + (-buffer.ctypes.data) % self.ALIGNMENT
        with self._lock:
            self._buffers[address] = buffer
            self.allocations += 1
            self.live_bytes += nbytes
            self.queues.append(queue)
        return address

    def free(self, address, nbytes, queue):
        with self._lock:
            del self._buffers[address]
            self.frees += 1
            self.live_bytes -= nbytes
