// Python bindings of SoA buffers (allocate / wrap), column views and [n, F] tensors with DLPack export.
#include <cstdlib>
#include <cstring>
#include <memory>

#include <unistd.h>

#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include "bindings.hpp"
#include "sofie_soa/memory/caching_allocator.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace sofie_soa::bindings {
namespace {

constexpr int kDLCPU = nb::device::cpu::value;  // DLPack DLDeviceType
constexpr int kDLCUDA = nb::device::cuda::value;

nb::dlpack::dtype dlpack_dtype(DType t) {
  return {static_cast<std::uint8_t>(dlpack_code(t)), static_cast<std::uint8_t>(size_of(t) * 8), 1};
}

/// The host allocator behind SoA.allocate: a CMS-style caching allocator (sofie_soa/memory/caching_allocator.hpp)
/// over aligned_alloc. Host buffers have no queue: a freed block is reusable at once.
struct HostQueue {
  bool operator==(HostQueue const&) const { return true; }
};
struct HostEvents {
  struct Event {};
  static Event record(HostQueue&) { return {}; }
  static bool done(Event const&) { return true; }
  static void wait(Event const&) {}
};
constexpr std::size_t kHostAlignment = 256;  // every block; layouts with a larger alignment bypass the cache

struct HostSystemAllocator final : memory::Allocator<HostQueue> {
  void* allocate(std::size_t bytes, HostQueue&) override {
    void* p = std::aligned_alloc(kHostAlignment, align_size(std::max<std::size_t>(bytes, 1), kHostAlignment));
    if (!p) throw std::bad_alloc();
    counts.allocated(bytes);
    return p;
  }
  void free(void* p, std::size_t bytes, HostQueue&) override {
    std::free(p);
    counts.freed(bytes);
  }
  memory::AllocatorStats stats() const override { return counts.get(); }
  memory::SystemCounts counts;
};

memory::CachingAllocator<HostQueue, HostEvents>& host_allocator() {
  static HostSystemAllocator system;
  static auto* caching = new memory::CachingAllocator<HostQueue, HostEvents>(
      system, static_cast<std::size_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)));
  return *caching;  // never destroyed: SoA objects may be freed at interpreter exit
}

/// Owned, zero-filled memory of at least layout.byte_size(n) bytes on `device` ("cpu" or "cuda:N") from
/// `allocator`. On the CPU: None for the host caching allocator, else a Python object with
/// allocate(nbytes, queue) -> address and free(address, nbytes, queue). On a CUDA device the memory comes from
/// sofie_soa.runtime.memory.DeviceMemory over `allocator` (None: the device's caching allocator), which also
/// zero-fills it there.
std::unique_ptr<SoA> allocate(const Layout& layout, std::int64_t n, nb::object allocator,
                              std::string const& device_name) {
  const Device device = parse_device(device_name);
  const std::size_t bytes = layout.byte_size(n);
  const std::size_t cap = align_size(std::max<std::size_t>(bytes, 1), layout.alignment());
  if (device.type == kDLCUDA)
    allocator = nb::module_::import_("sofie_soa.runtime.memory").attr("DeviceMemory")(device.id, allocator);
  std::shared_ptr<std::byte> mem;
  if (!allocator.is_none()) {
    const auto address = nb::cast<std::uintptr_t>(allocator.attr("allocate")(cap, nb::none()));
    if (address == 0 || address % layout.alignment() != 0)
      throw std::invalid_argument("the allocator returned address " + std::to_string(address) + " for " +
                                  std::to_string(cap) + " bytes, not aligned to the layout's " +
                                  std::to_string(layout.alignment()) + " bytes");
    mem.reset(reinterpret_cast<std::byte*>(address), [allocator, cap](std::byte* p) {
      nb::gil_scoped_acquire gil;
      try {
        allocator.attr("free")(reinterpret_cast<std::uintptr_t>(p), cap, nb::none());
      } catch (nb::python_error& e) {
        e.discard_as_unraisable("sofie_soa.SoA: allocator.free");
      }
    });
  } else if (layout.alignment() <= kHostAlignment) {
    HostQueue queue;
    mem.reset(static_cast<std::byte*>(host_allocator().allocate(cap, queue)),
              [cap](std::byte* p) { HostQueue q; host_allocator().free(p, cap, q); });
  } else {
    auto* p = static_cast<std::byte*>(std::aligned_alloc(layout.alignment(), cap));
    if (!p) throw std::bad_alloc();
    mem.reset(p, [](std::byte* q) { std::free(q); });
  }
  if (device.type == kDLCUDA) {
    allocator.attr("zero")(reinterpret_cast<std::uintptr_t>(mem.get()), cap);
  } else {
    std::memset(mem.get(), 0, cap);
  }
  auto soa = std::make_unique<SoA>(std::make_shared<Layout>(layout), mem.get(), cap, n, true);
  soa->owned = std::move(mem);
  soa->device = device;
  return soa;
}

bool is_c_contiguous(const nb::ndarray<nb::ro>& a) {
  std::int64_t expected = 1;
  for (std::size_t d = a.ndim(); d-- > 0;) {
    if (a.shape(d) != 1 && a.stride(d) != expected) return false;
    expected *= static_cast<std::int64_t>(a.shape(d));
  }
  return true;
}

std::string describe(const nb::ndarray<nb::ro>& a) {
  std::string shape, strides;
  for (std::size_t d = 0; d < a.ndim(); ++d) {
    shape += (d ? ", " : "") + std::to_string(a.shape(d));
    strides += (d ? ", " : "") + std::to_string(a.stride(d));
  }
  return "shape (" + shape + "), strides (" + strides + ") elements";
}

std::unique_ptr<SoA> wrap(nb::handle obj, const Layout& layout, std::int64_t n, bool writable) {
  // Import without conversion (a conversion would copy). A writable import fails on read-only memory, so
  // try writable first and fall back to read-only to tell the two apart.
  nb::ndarray<> rw;
  nb::ndarray<nb::ro> ro;
  bool read_only = false;
  if (nb::try_cast(obj, rw, false)) {
    ro = nb::ndarray<nb::ro>(rw);
  } else if (nb::try_cast(obj, ro, false)) {
    read_only = true;
  } else {
    throw nb::type_error(("cannot wrap an object of type " + nb::cast<std::string>(nb::type_name(obj.type())) +
                          ": it exposes neither DLPack nor the buffer protocol").c_str());
  }
  if (read_only && writable)
    throw std::invalid_argument("the memory to wrap is read-only; pass writable=False to wrap it for reading");
  if (ro.device_type() != kDLCPU && ro.device_type() != kDLCUDA)
    throw std::invalid_argument("the memory to wrap is on DLPack device type " + std::to_string(ro.device_type()) +
                                "; SoA buffers are in CPU (1) or CUDA (2) memory");
  if (!is_c_contiguous(ro))
    throw std::invalid_argument("the memory to wrap is not contiguous (" + describe(ro) +
                                "): an SoA buffer is one contiguous block");
  auto soa = std::make_unique<SoA>(std::make_shared<Layout>(layout),
                                   static_cast<std::byte*>(const_cast<void*>(ro.data())), ro.nbytes(), n, writable);
  soa->device = Device{ro.device_type(), ro.device_id()};
  soa->borrowed = std::move(ro);
  return soa;
}

/// A view over `shape`/`strides` (elements) at `data`, owned by `owner`; read-only unless `writable`. A NumPy
/// array for host memory; for device memory an array object with __dlpack__ / __dlpack_device__ (for
/// torch.from_dlpack or cupy.from_dlpack), since NumPy cannot hold it.
nb::object array_view(nb::handle owner, std::byte* data, DType dtype, std::vector<std::size_t> shape,
                      std::vector<std::int64_t> strides, bool writable, Device device) {
  if (device.type != kDLCPU) {
    if (writable)
      return nb::cast(nb::ndarray<nb::array_api>(data, shape.size(), shape.data(), owner, strides.data(),
                                                 dlpack_dtype(dtype), device.type, device.id));
    return nb::cast(nb::ndarray<nb::array_api, nb::ro>(data, shape.size(), shape.data(), owner, strides.data(),
                                                       dlpack_dtype(dtype), device.type, device.id));
  }
  if (writable)
    return nb::cast(nb::ndarray<nb::numpy>(data, shape.size(), shape.data(), owner, strides.data(),
                                           dlpack_dtype(dtype), kDLCPU));
  return nb::cast(nb::ndarray<nb::numpy, nb::ro>(data, shape.size(), shape.data(), owner, strides.data(),
                                                 dlpack_dtype(dtype), kDLCPU));
}

nb::object member_view(nb::handle self, const std::string& name) {
  SoA& s = nb::cast<SoA&>(self);
  s.finish_pending();  // a member view carries no stream to order
  const Member& m = s.layout->member(name);
  std::byte* data = s.view.data(name);
  const std::size_t n = static_cast<std::size_t>(s.view.size());
  const std::int64_t pitch = s.layout->pitch_elements(name, s.view.size());
  switch (m.shape.kind) {
    case MemberKind::scalar: return array_view(self, data, m.shape.dtype, {}, {}, s.writable, s.device);
    case MemberKind::column: return array_view(self, data, m.shape.dtype, {n}, {1}, s.writable, s.device);
    default:
      return array_view(self, data, m.shape.dtype,
                        {n, static_cast<std::size_t>(m.shape.rows), static_cast<std::size_t>(m.shape.cols)},
                        {1, pitch, pitch * m.shape.rows}, s.writable, s.device);
  }
}

/// DLPack export of a tensor. CPU has no streams: `stream` must be None or -1 (no synchronisation wanted), as
/// the DLPack Python specification asks of producers on stream-less devices. On CUDA, the consumer's `stream`
/// (an int; None is the legacy default stream, 1) waits for the work an asynchronous infer left pending on the
/// SoA, by an event and without blocking the host; -1 asks for no ordering.
nb::object tensor_dlpack(const Tensor& t, nb::handle stream, nb::handle max_version, nb::handle dl_device,
                         nb::handle copy) {
  const bool no_order = nb::isinstance<nb::int_>(stream) && nb::cast<long>(stream) == -1;
  if (t.device.type == kDLCPU && !stream.is_none() && !no_order)
    throw nb::buffer_error(("__dlpack__: stream " + nb::cast<std::string>(nb::repr(stream)) +
                            " given for a CPU tensor; only None or -1 are valid on CPU").c_str());
  if (t.device.type != kDLCPU && !stream.is_none() && !nb::isinstance<nb::int_>(stream))
    throw nb::buffer_error("__dlpack__: stream must be an integer (a cudaStream_t) or None");
  std::string why;
  const auto strides = t.view.dlpack_strides(&why);
  if (!strides) throw nb::buffer_error(("this tensor cannot be exported as one DLPack array: " + why).c_str());
  SoA const& soa = nb::cast<SoA const&>(t.soa);
  if (soa.pending && !no_order) {
    const std::uintptr_t consumer = stream.is_none() ? 1 : nb::cast<std::uintptr_t>(stream);  // 1: legacy default
    soa.pending->order_stream(reinterpret_cast<void*>(consumer));
  }
  const Feature& f = t.view.features.front();
  const std::size_t shape[2] = {static_cast<std::size_t>(t.view.n), t.view.features.size()};
  nb::object arr = t.writable ? nb::cast(nb::ndarray<nb::array_api>(f.data, 2, shape, t.soa, strides->data(),
                                                       dlpack_dtype(f.dtype), t.device.type, t.device.id))
                              : nb::cast(nb::ndarray<nb::array_api, nb::ro>(f.data, 2, shape, t.soa, strides->data(),
                                                             dlpack_dtype(f.dtype), t.device.type, t.device.id));
  return arr.attr("__dlpack__")("max_version"_a = max_version, "dl_device"_a = dl_device, "copy"_a = copy);
}

}  // namespace

void PendingWork::order_stream(void* stream) const {
  char error[512] = {};
  if (order(handle, stream, error, sizeof(error)) != 0)
    throw std::runtime_error(std::string("ordering a CUDA stream after sofie_soa's queue failed: ") + error);
}

void SoA::finish_pending() {
  if (!pending) return;
  {
    nb::gil_scoped_release release;
    pending->wait(pending->handle);
  }
  pending.reset();
}

std::string Device::name() const {
  if (type == kDLCPU) return "cpu";
  return (type == kDLCUDA ? "cuda:" : "device type " + std::to_string(type) + ":") + std::to_string(id);
}

Device parse_device(std::string const& name) {
  if (name == "cpu") return {kDLCPU, 0};
  if (name == "cuda") return {kDLCUDA, 0};
  // At most 4 digits: device numbers are small, and stoi must not overflow (an IndexError from Python's side).
  if (name.rfind("cuda:", 0) == 0 && name.size() > 5 && name.size() <= 9 &&
      name.find_first_not_of("0123456789", 5) == std::string::npos)
    return {kDLCUDA, std::stoi(name.substr(5))};
  throw std::invalid_argument("unknown device '" + name + "': use 'cpu', 'cuda' or 'cuda:N' with 0 <= N < 10000");
}

void bind_soa(nb::module_& m) {
  m.def("host_allocator_stats", [] {
    const memory::AllocatorStats s = host_allocator().stats();
    nb::dict d;
    d["requested_bytes"] = s.requested_bytes;
    d["live_bytes"] = s.live_bytes;
    d["cached_bytes"] = s.cached_bytes;
    d["hits"] = s.hits;
    d["misses"] = s.misses;
    d["system_allocations"] = s.system_allocations;
    d["system_frees"] = s.system_frees;
    return d;
  }, "Statistics of the host caching allocator behind SoA.allocate (bytes and counts).");
  nb::class_<SoA>(m, "SoA", nb::is_weak_referenceable(),
                  "An SoA collection: a Layout over one buffer holding n elements.\n\n"
                  "Make one with SoA.allocate(layout, n) (zero-filled memory owned by the object) or\n"
                  "SoA.wrap(obj, layout, n) (any DLPack or buffer-protocol object, no copy). soa['x'] is a\n"
                  "zero-copy NumPy view of a member, soa.tensor([...]) a logical [n, F] tensor.")
      .def_static("allocate", &allocate, "layout"_a, "n"_a, "allocator"_a = nb::none(), "device"_a = "cpu",
                  "Allocates layout.byte_size(n) zero-filled bytes aligned to layout.alignment on `device` ('cpu',\n"
                  "'cuda' or 'cuda:N'), from `allocator`: None for the device's caching allocator (host:\n"
                  "sofie_soa.host_allocator_stats(); CUDA: the device's, as sofie_soa.Queue('cuda', N) uses), else an\n"
                  "object with allocate(nbytes, queue) -> address and free(address, nbytes, queue).\n"
                  "ValueError unless 0 <= n < 2**31, for an unknown device, or if the allocator's address is\n"
                  "misaligned; RuntimeError when there is no such CUDA device.")
      .def_static("wrap", &wrap, "obj"_a.noconvert(), "layout"_a, "n"_a, "writable"_a = true,
                  "Lays `layout` over the memory of `obj` (DLPack or buffer protocol) without copying; the\n"
                  "memory stays alive as long as this SoA or any view of it.\n\n"
                  "Raises TypeError if obj exposes no memory; ValueError if the memory is read-only while\n"
                  "writable=True, not contiguous, neither CPU nor CUDA memory, smaller than layout.byte_size(n)\n"
                  "bytes, or its start is misaligned (to the alignment in enforced mode, else to the largest\n"
                  "element size).")
      .def_prop_ro("layout", [](const SoA& s) { return *s.layout; })
      .def_prop_ro("n", [](const SoA& s) { return s.view.size(); }, "Element count.")
      .def_prop_ro("nbytes", [](const SoA& s) { return s.capacity; }, "Bytes of the underlying buffer.")
      .def_prop_ro("address", [](const SoA& s) { return reinterpret_cast<std::uintptr_t>(s.view.base()); },
                   "Address of the buffer start.")
      .def_prop_ro("writable", [](const SoA& s) { return s.writable; })
      .def_prop_ro("device", [](const SoA& s) { return s.device.name(); }, "'cpu' or 'cuda:N': where the buffer is.")
      .def_prop_ro("owns_memory", [](const SoA& s) { return static_cast<bool>(s.owned); })
      .def("__len__", [](const SoA& s) { return s.view.size(); })
      .def("__getitem__", &member_view, "name"_a,
           "Zero-copy view of member `name` (NumPy for host memory; for CUDA memory an array to pass to\n"
           "torch.from_dlpack / cupy.from_dlpack): shape (n,) for a column, (n, rows, cols) with element\n"
           "strides (1, P, rows * P) for an Eigen column (P = layout.stride(name, n)), shape () for a scalar.\n"
           "Read-only when the SoA is. KeyError for an unknown name. Waits first for work an asynchronous\n"
           "infer left pending on this SoA (a view carries no stream; soa.tensor([...]) orders without waiting).")
      .def("scalar", [](nb::handle self, const std::string& name) {
             const SoA& s = nb::cast<const SoA&>(self);
             if (s.layout->member(name).shape.kind != MemberKind::scalar)
               throw std::invalid_argument("member '" + name + "' is not a scalar");
             if (s.device.type != kDLCPU)
               throw std::invalid_argument("scalar '" + name + "' is in " + s.device.name() +
                                           " memory: read it through DLPack (soa['" + name + "'])");
             return member_view(self, name).attr("item")();
           }, "name"_a, "Value of scalar member `name` as a Python number.")
      .def("tensor", [](nb::handle self, const std::vector<std::string>& features) {
             const SoA& s = nb::cast<const SoA&>(self);
             return Tensor{nb::borrow(self), s.view.tensor(features), s.writable, s.device};
           }, "features"_a,
           "A logical [n, F] tensor over `features`: member names (an Eigen column expands to its\n"
           "coefficients), single Eigen coefficients ('v[1]' or 'm[r,c]') and scalars (broadcast). Each\n"
           "feature keeps its own address, dtype and element stride; nothing is copied.");

  nb::class_<Tensor>(m, "Tensor",
                     "A logical [n, F] tensor over SoA members; each feature has its own address, dtype and\n"
                     "element stride (0 for a broadcast scalar). Exports through DLPack as one strided array when\n"
                     "all features share a dtype and are evenly spaced (e.g. adjacent columns: strides (1, P)).")
      .def_prop_ro("n", [](const Tensor& t) { return t.view.n; })
      .def_prop_ro("shape", [](const Tensor& t) { return std::make_tuple(t.view.n, t.view.features.size()); })
      .def_prop_ro("writable", [](const Tensor& t) { return t.writable; })
      .def_prop_ro("soa", [](const Tensor& t) { return t.soa; })
      .def_prop_ro("features", [](const Tensor& t) {
             nb::list out;
             for (const auto& f : t.view.features)
               out.append(nb::make_tuple(f.label, std::string(name_of(f.dtype)),
                                         reinterpret_cast<std::uintptr_t>(f.data), f.stride));
             return out;
           }, "List of (label, dtype, address, element stride) per feature.")
      .def_prop_ro("dlpack_error", [](const Tensor& t) -> nb::object {
             std::string why;
             if (t.view.dlpack_strides(&why)) return nb::none();
             return nb::str(why.c_str());
           }, "None when the tensor exports through DLPack, else the reason it cannot.")
      .def("__dlpack__", &tensor_dlpack, nb::kw_only(), "stream"_a = nb::none(), "max_version"_a = nb::none(),
           "dl_device"_a = nb::none(), "copy"_a = nb::none(),
           "DLPack capsule of the [n, F] tensor (versioned when max_version >= (1, 0); READ_ONLY when the SoA\n"
           "is read-only; strides always filled). BufferError when it is not one strided array, or for a\n"
           "stream other than None / -1 on CPU (no streams there). On CUDA, `stream` (None: the legacy default\n"
           "stream) is made to wait, without blocking the host, for work an asynchronous infer left pending on\n"
           "the SoA (an event: DLPack's rule for producers); -1 skips that.")
      .def("__dlpack_device__", [](const Tensor& t) { return std::make_tuple(t.device.type, t.device.id); })
      .def_prop_ro("device", [](const Tensor& t) { return t.device.name(); }, "'cpu' or 'cuda:N'.")
      .def("__repr__", [](const Tensor& t) {
        std::string s = "Tensor(n=" + std::to_string(t.view.n) + ", features=[";
        for (const auto& f : t.view.features) s += (s.back() == '[' ? "" : ", ") + f.label;
        return s + "])";
      });
}

}  // namespace sofie_soa::bindings
