// Declarations shared by the nanobind translation units of the private module sofie_soa._core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include "sofie_soa/core.hpp"
#include "sofie_soa/runtime/ragged.hpp"

namespace sofie_soa::bindings {
namespace nb = nanobind;

/// Where memory lives, as DLPack says it: device type (1 CPU, 2 CUDA) and device number.
struct Device {
  int type = nb::device::cpu::value;
  int id = 0;
  bool operator==(Device const& o) const { return type == o.type && id == o.id; }
  /// "cpu" or "cuda:N".
  std::string name() const;
};

/// "cpu", "cuda" (device 0) or "cuda:N"; std::invalid_argument otherwise.
Device parse_device(std::string const& name);

using WaitFn = void (*)(void* queue);                                              // sofie_queue_wait
using OrderFn = int (*)(void* queue, void* stream, char* error, std::size_t error_size);  // sofie_queue_order_stream

/// Work that an asynchronous Model.infer left on a CUDA queue and that may still read or write an SoA. Whoever
/// uses the SoA next is ordered after it: a consumer's stream through Tensor.__dlpack__(stream=...) and another
/// queue's inference by an event (DLPack's rule for producers), the host by waiting (member views, destruction).
struct PendingWork {
  nb::object queue;         ///< the Python Queue, kept alive while its work may be pending
  void* handle = nullptr;   ///< its C handle (runtime/c_entry.hpp)
  OrderFn order = nullptr;
  WaitFn wait = nullptr;
  /// Makes CUDA stream `stream` wait for the work without blocking; std::runtime_error with CUDA's message.
  void order_stream(void* stream) const;
};

/// An SoA collection: a layout over one buffer of at least layout.byte_size(n) bytes, either owned
/// (SoA.allocate) or borrowed from another object (SoA.wrap) whose memory stays alive with this object. The
/// buffer is host memory or a CUDA device's (`device`); only its addresses are used here, never its bytes.
struct SoA {
  std::shared_ptr<const Layout> layout;
  std::shared_ptr<std::byte> owned;
  nb::ndarray<nb::ro> borrowed;
  std::size_t capacity = 0;
  bool writable = true;
  Device device;
  SoAView view;

  std::optional<PendingWork> pending;

  SoA(std::shared_ptr<const Layout> l, std::byte* base, std::size_t cap, std::int64_t n, bool w)
      : layout(std::move(l)), capacity(cap), writable(w), view(base, cap, *layout, n) {}
  SoA(SoA const&) = delete;
  SoA& operator=(SoA const&) = delete;
  /// Memory may be freed only after the work that uses it.
  ~SoA() { finish_pending(); }
  /// Blocks (without the GIL) until the pending work is done, then forgets it.
  void finish_pending();
};

/// A logical [n, F] tensor over members of one SoA; keeps the SoA alive.
struct Tensor {
  nb::object soa;
  TensorView view;
  bool writable;
  Device device;
};

/// A ragged view of a constituent SoA ([n, C, P], [n, P, C], or its [n, 1, P] mask: runtime/ragged.hpp); keeps
/// that SoA and the objects holding its index columns alive.
struct RaggedTensor {
  nb::object soa;
  runtime::RaggedView view;
  nb::object index_owners;  ///< a tuple of the Python objects whose memory the index columns are
  bool writable;
  Device device;
};

/// A dtype given from Python as a name ("float32") or anything numpy.dtype() accepts (np.float32, "f4").
DType dtype_from_python(nanobind::handle obj);

void bind_layout(nanobind::module_& m);
void bind_soa(nanobind::module_& m);
void bind_ragged(nanobind::module_& m);  // after bind_soa: adds SoA.ragged
void bind_run(nanobind::module_& m);

}  // namespace sofie_soa::bindings
