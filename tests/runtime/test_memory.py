"""Memory: pluggable allocators, the planned workspace, allocation-free steady state and thread safety."""

import threading

import numpy as np
import pytest

import sofie_soa as ss
from conftest import FEATURES, TRACK_LAYOUT, tracks
from counting_allocator import CountingAllocator


def test_steady_state_allocates_nothing_from_the_system(compiled):
    model = compiled("relu", "cpu_serial")
    system = CountingAllocator()
    caching = ss.CachingAllocator("cpu_serial", upstream=system)
    queue = ss.Queue("cpu_serial", allocator=caching)
    soa = tracks(5000, seed=1)
    model.infer(soa.tensor(FEATURES), queue, out=soa.tensor(["probs"]))
    first = system.allocations
    assert first == 2                      # the weights, and the workspace for n = 5000
    assert system.queues[-1] is queue      # the workspace is allocated for work on the caller's queue
    for _ in range(50):
        model.infer(soa.tensor(FEATURES), queue, out=soa.tensor(["probs"]))
    assert system.allocations == first and system.frees == 0
    stats = caching.stats()
    assert stats["hits"] == 50 and stats["misses"] == first
    planned = model.memory_report(5000)["planned_bytes"]
    assert stats["cached_bytes"] >= planned and stats["live_bytes"] > 0   # workspace cached; weights live


def test_a_plain_python_allocator_serves_every_buffer(compiled):
    model = compiled("relu", "cpu_serial")       # its softmax head reads an intermediate: a workspace per call
    system = CountingAllocator()
    queue = ss.Queue("cpu_serial", allocator=system)
    soa = tracks(100, seed=2)
    for _ in range(3):
        model.infer(soa.tensor(FEATURES), queue, out=soa.tensor(["probs"]))
    assert system.allocations == 1 + 3 and system.frees == 3     # weights once, a workspace per call
    assert system.live_bytes == model._plan.weight_bytes + model._plan.packed_bytes     # weights, packed copies


def test_allocator_of_another_backend_is_refused():
    with pytest.raises(ValueError, match="serves cpu_threads device 0"):
        ss.Queue("cpu_serial", allocator=ss.CachingAllocator("cpu_threads"))
    with pytest.raises(ValueError, match="min_bin"):
        ss.CachingAllocator("cpu_serial", min_bin=20, max_bin=10)


def test_memory_report_plans_below_the_naive_sum(compiled):
    model = compiled("tanh", "cpu_serial")
    report = model.memory_report(1000)
    assert 0 < report["planned_bytes"] < report["naive_bytes"]
    tensors = report["tensors"]
    assert tensors and all(t["offset_bytes"] + t["bytes"] <= report["planned_bytes"] for t in tensors.values())
    assert model.memory_report(2000)["planned_bytes"] == 2 * report["planned_bytes"]   # linear in n


def test_soa_allocate_uses_the_host_caching_allocator_or_a_given_one():
    before = ss.host_allocator_stats()
    soa = ss.SoA.allocate(TRACK_LAYOUT, 1000)
    assert ss.host_allocator_stats()["live_bytes"] >= before["live_bytes"] + TRACK_LAYOUT.byte_size(1000)
    del soa
    freed = ss.host_allocator_stats()       # (the first allocation may itself have reused a block of earlier tests)
    again = ss.SoA.allocate(TRACK_LAYOUT, 1000)
    assert ss.host_allocator_stats()["hits"] == freed["hits"] + 1       # the freed block, reused
    del again
    counting = CountingAllocator()
    soa = ss.SoA.allocate(TRACK_LAYOUT, 100, allocator=counting)
    assert counting.allocations == 1 and soa.address in counting._buffers and not soa["pt"].any()
    del soa
    assert counting.frees == 1


def test_soa_allocate_refuses_a_misaligned_address_from_the_allocator():
    class Misaligned(CountingAllocator):
        def allocate(self, nbytes, queue):
            return super().allocate(nbytes, queue) + 4
    with pytest.raises(ValueError, match="not aligned to the layout's 128 bytes"):
        ss.SoA.allocate(TRACK_LAYOUT, 10, allocator=Misaligned())


def test_one_model_from_8_threads_matches_serial_runs_bitwise(compiled):
    model = compiled("elu", "cpu_serial")
    rng = np.random.default_rng(5)
    sizes = rng.integers(0, 300, size=(8, 1000))
    inputs = {n: tracks(int(n), seed=int(n)) for n in np.unique(sizes)}
    serial_queue = ss.Queue("cpu_serial")
    serial = {n: model.infer(soa.tensor(FEATURES), serial_queue).copy() for n, soa in inputs.items()}
    failures = []

    def worker(row):
        queue = ss.Queue("cpu_serial")
        for n in row:
            out = model.infer(inputs[n].tensor(FEATURES), queue)
            if not np.array_equal(out, serial[n]):
                failures.append(int(n))

    threads = [threading.Thread(target=worker, args=(row,)) for row in sizes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
