"""The queue ``Model.infer(x)`` uses when it is given none: one per thread, back-end and device, made on first use
and kept for the thread's lifetime (an alpaka queue is cheap to keep and costly to make per call)."""

from __future__ import annotations

import threading

from sofie_soa.runtime.queue import Queue

_PER_THREAD = threading.local()


def default_queue(backend: str, device: int = 0) -> Queue:
    """This thread's Queue(backend, device) with the device's default allocator. Errors as Queue()."""
    queues = _PER_THREAD.__dict__.setdefault("queues", {})
    key = (backend, device)
    if key not in queues:
        queues[key] = Queue(backend, device)
    return queues[key]
