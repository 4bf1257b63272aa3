// Unit tests of the caching allocator's rules (sofie_soa/memory/caching_allocator.hpp) with a fake queue and
// events, so that event completion is under the test's control. No alpaka needed.
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "sofie_soa/memory/caching_allocator.hpp"

using namespace sofie_soa::memory;

struct FakeQueue {
  int id;
  bool operator==(FakeQueue const& other) const { return id == other.id; }
};

struct FakeEvents {
  using Event = std::shared_ptr<bool>;
  static inline std::vector<Event> recorded;
  static Event record(FakeQueue&) { return recorded.emplace_back(std::make_shared<bool>(false)); }
  static bool done(Event const& event) { return *event; }
  static inline int waits = 0;
  static void wait(Event const& event) {
    ++waits;
    *event = true;
  }
  static void complete_all() {
    for (auto& e : recorded) *e = true;
  }
};

/// malloc with a byte budget: beyond it, std::bad_alloc (the device running out of memory).
struct Upstream final : Allocator<FakeQueue> {
  std::size_t budget = 1 << 20;
  std::size_t used = 0;
  AllocatorStats counts;
  void* allocate(std::size_t bytes, FakeQueue&) override {
    if (used + bytes > budget) throw std::bad_alloc();
    used += bytes;
    counts.system_allocations++;
    return std::malloc(bytes);
  }
  void free(void* ptr, std::size_t bytes, FakeQueue&) override {
    used -= bytes;
    counts.system_frees++;
    std::free(ptr);
  }
  AllocatorStats stats() const override { return counts; }
};

int main() {
  Upstream upstream;
  CachingConfig config;
  config.max_bin = 12;  // 4 KiB: larger blocks bypass the cache
  CachingAllocator<FakeQueue, FakeEvents> cache(upstream, 1 << 20, config);
  FakeQueue q1{1}, q2{2};

  // Bins: 2^8 = 256 bytes at least, powers of two up to 2^max_bin, exact sizes beyond.
  CHECK(cache.bin_of(1).second == 256 && cache.bin_of(256).second == 256 && cache.bin_of(300).second == 512);
  CHECK(!cache.bin_of(5000).first && cache.bin_of(5000).second == 5000);

  // A miss, then a hit on the same queue at once (the event need not have completed).
  void* a = cache.allocate(300, q1);
  CHECK(cache.stats().misses == 1 && cache.stats().requested_bytes == 300 && cache.stats().live_bytes == 512);
  cache.free(a, 300, q1);
  CHECK(cache.stats().cached_bytes == 512 && cache.stats().live_bytes == 0);
  void* b = cache.allocate(400, q1);
  CHECK(b == a && cache.stats().hits == 1 && cache.stats().cached_bytes == 0);

  // Another queue waits for the block's event: a miss before it completes, a hit after.
  cache.free(b, 400, q1);
  void* c = cache.allocate(400, q2);
  CHECK(c != a && cache.stats().misses == 2);
  FakeEvents::complete_all();
  void* d = cache.allocate(400, q2);
  CHECK(d == a && cache.stats().hits == 2);
  cache.free(c, 400, q2);
  cache.free(d, 400, q2);
  CHECK(cache.stats().cached_bytes == 1024 && upstream.counts.system_allocations == 2);

  // Beyond max_bin: allocated and released exactly, never cached.
  void* big = cache.allocate(5000, q1);
  cache.free(big, 5000, q1);
  CHECK(upstream.counts.system_frees == 1 && cache.stats().cached_bytes == 1024);

  // Out of memory: every completed cached block is released and the allocation retried once.
  FakeEvents::complete_all();
  upstream.budget = upstream.used + 1500;
  void* e = cache.allocate(2000, q1);
  CHECK(e != nullptr && cache.stats().cached_bytes == 0 && upstream.counts.system_frees == 3);
  EXPECT_THROWS(cache.allocate(100000, q1), std::bad_alloc, "");
  cache.free(e, 2000, q1);

  // max_cached_bytes: a freed block that would exceed it goes back upstream.
  upstream.budget = 1 << 20;
  CachingConfig small;
  small.max_cached_bytes = 256;
  CachingAllocator<FakeQueue, FakeEvents> limited(upstream, 1 << 20, small);
  void* f = limited.allocate(10, q1);
  void* g = limited.allocate(10, q1);
  const auto frees = upstream.counts.system_frees;
  limited.free(f, 10, q1);
  limited.free(g, 10, q1);
  CHECK(limited.stats().cached_bytes == 256 && upstream.counts.system_frees == frees + 1);

  // Destruction returns every cached block upstream, waiting for those whose work is still pending.
  {
    const std::size_t used = upstream.used;
    CachingAllocator<FakeQueue, FakeEvents> pending(upstream, 1 << 20, config);
    void* h = pending.allocate(1000, q1);
    void* i = pending.allocate(1000, q2);
    pending.free(h, 1000, q1);
    pending.free(i, 1000, q2);
    CHECK(pending.stats().cached_bytes == 2048 && upstream.used == used + 2048);
    FakeEvents::waits = 0;
    pending.~CachingAllocator();
    new (&pending) CachingAllocator<FakeQueue, FakeEvents>(upstream, 1 << 20, config);  // destroyed again at '}'
    CHECK(upstream.used == used && FakeEvents::waits == 2);
  }

  // Errors name what is wrong.
  CachingConfig bad;
  bad.min_bin = 20;
  bad.max_bin = 10;
  EXPECT_THROWS((CachingAllocator<FakeQueue, FakeEvents>(upstream, 1, bad)), std::invalid_argument, "min_bin");
  int stray = 0;
  EXPECT_THROWS(cache.free(&stray, 4, q1), std::invalid_argument, "did not allocate");
  return TEST_MAIN_RESULT();
}
