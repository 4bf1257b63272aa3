// The per-call path of Model.infer, in C++ (sofie_soa._core.Runner): takes inputs and outputs (sofie_soa Tensors,
// RaggedTensors, buffer-protocol arrays such as NumPy's, or any DLPack array), binds them to FeatureRefs — one per position off
// the tensor's row axis (codegen/lowering.py Binding) — checks them against the model's signature (shapes,
// element count, devices, writability, dtype conversions that would lose information, outputs that overlap or
// broadcast), and calls the session's C entry point (runtime/c_entry.hpp) then the queue's wait with the GIL
// released. On CUDA, when every input and output is a view of a device SoA, it does not wait: the SoAs
// record the pending work (bindings.hpp, PendingWork) and their next users are ordered after it. Nothing is
// enqueued unless every check passes; a ValueError names the tensor and its feature count, n, dtype, device or
// writability. Per call it allocates nothing once warm (thread-local scratch) and builds no strings unless it
// raises.
#include <Python.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.hpp"
#include "sofie_soa/kernels/feature_ref.hpp"

namespace sofie_soa::bindings {
using namespace nb::literals;
namespace {

using kernels::FeatureRef;

using InferFn = int (*)(void*, void*, std::int64_t, FeatureRef const* const*, FeatureRef const* const*, char*,
                        std::size_t);

char const* device_name(int type) {
  return type == nb::device::cpu::value ? "CPU" : type == nb::device::cuda::value ? "CUDA" : "another device's";
}

/// The dtype of a buffer-protocol format (struct module syntax, native byte order) of `itemsize` bytes.
bool dtype_from_format(char const* format, Py_ssize_t itemsize, DType& dtype) {
  if (format == nullptr) format = "B";
  if (*format == '@' || *format == '=' || *format == '<') ++format;
  if (format[0] == '\0' || format[1] != '\0') return false;
  const char c = format[0];
  auto by_size = [&](DType d1, DType d2, DType d4, DType d8) {
    switch (itemsize) {
      case 1: dtype = d1; return true;
      case 2: dtype = d2; return true;
      case 4: dtype = d4; return true;
      case 8: dtype = d8; return true;
      default: return false;
    }
  };
  if (c == '?') return dtype = DType::boolean, itemsize == 1;
  if (c == 'e' || c == 'f' || c == 'd')
    return itemsize != 1 && by_size(DType::float16, DType::float16, DType::float32, DType::float64);
  if (c == 'b' || c == 'h' || c == 'i' || c == 'l' || c == 'q')
    return by_size(DType::int8, DType::int16, DType::int32, DType::int64);
  if (c == 'B' || c == 'H' || c == 'I' || c == 'L' || c == 'Q')
    return by_size(DType::uint8, DType::uint16, DType::uint32, DType::uint64);
  return false;
}

/// What keeps one bound tensor's memory alive until the call is over: a buffer-protocol view (released on
/// destruction) or an imported DLPack array — whose capsule may be the only owner of its memory (legal DLPack),
/// so the import must outlive the kernels that read or write it.
struct HeldBuffer {
  Py_buffer view{};
  bool held = false;
  nb::ndarray<nb::ro> array;
  HeldBuffer() = default;
  HeldBuffer(HeldBuffer const&) = delete;
  HeldBuffer& operator=(HeldBuffer const&) = delete;
  ~HeldBuffer() {
    if (held) PyBuffer_Release(&view);
  }
};

/// The HeldBuffers of one call: `count` of them constructed in place, where a plain array of the 2 · 64 a call
/// may need would initialise (and destroy) them all on every call — a third of a batch-1 call's cost.
template <std::size_t Capacity> class HeldBuffers {
 public:
  explicit HeldBuffers(std::size_t count) : count_(count) {
    for (std::size_t i = 0; i < count_; ++i) new (&storage_[i]) HeldBuffer();
  }
  HeldBuffers(HeldBuffers const&) = delete;
  HeldBuffers& operator=(HeldBuffers const&) = delete;
  ~HeldBuffers() {
    for (std::size_t i = 0; i < count_; ++i) (*this)[i].~HeldBuffer();
  }
  HeldBuffer& operator[](std::size_t i) { return *std::launder(reinterpret_cast<HeldBuffer*>(&storage_[i])); }

 private:
  struct alignas(HeldBuffer) Raw {
    unsigned char bytes[sizeof(HeldBuffer)];
  };
  Raw storage_[Capacity];
  std::size_t count_;
};

/// A graph input or output as the session binds it: name, element type, logical shape (-c for c·N) and the
/// row axis (the axis of N, else 0); `features` counts the positions off the row axis.
struct Signature {
  std::string name;
  DType dtype;
  std::vector<std::int64_t> dims;
  int row_axis;
  std::int64_t features;

  /// "(n, 13, 13)" — the shape the caller must give, n standing for the element count.
  std::string describe() const {
    std::string out = "(";
    for (std::size_t d = 0; d < dims.size(); ++d) {
      if (d) out += ", ";
      out += dims[d] >= 0 ? std::to_string(dims[d]) : (dims[d] == -1 ? "n" : std::to_string(-dims[d]) + "n");
    }
    return out + (dims.size() == 1 ? ",)" : ")");
  }
};

/// One tensor to bind: its place in the signature and the session's device and stream.
struct Slot {
  Signature const& sig;
  bool output;
  bool saturate;  ///< the caller asked for conversions that lose information (cast="saturate")
  Device device;
  nb::handle stream;  ///< the queue's native stream as a Python int (CUDA), or None
  [[noreturn]] void fail(std::string const& why) const {
    throw nb::value_error(((output ? "output '" : "'") + sig.name + "'" + why).c_str());
  }
  /// ValueError unless `what` (the SoA view, the array) lives on the session's device.
  void check_device(char const* what, Device where) const {
    if (where.type != device.type)
      fail(std::string(": ") + what + " is in " + device_name(where.type) + " memory, the session runs on " +
           device_name(device.type) + " memory");
    if (where.id != device.id)
      fail(std::string(": ") + what + " is on " + where.name() + ", the session's queue is on " + device.name());
  }
  void check_features(std::int64_t count) const {
    if (count != sig.features)
      fail(" has " + std::to_string(count) + " features, the model expects " + std::to_string(sig.features));
  }
  /// ValueError for a conversion between a column of `dtype` (`label` names it) and the model's tensor that would
  /// lose information, unless the caller asked for it.
  void check_dtype(DType dtype, std::string const& label) const {
    const DType from = output ? sig.dtype : dtype, to = output ? dtype : sig.dtype;
    if (saturate || lossless(from, to)) return;
    fail(": " + label + " holds " + std::string(name_of(dtype)) + ", the model's " + (output ? "output" : "input") +
         " is " + std::string(name_of(sig.dtype)) + "; converting " + std::string(name_of(from)) + " to " +
         std::string(name_of(to)) + " would lose information (pass cast=\"saturate\" to round half to even, clamp "
         "and map NaN to 0)");
  }
  /// The element count from `rows`, the extent of the row axis; -1 when that axis is fixed (and checked).
  std::int64_t element_count(std::int64_t rows) const {
    const std::int64_t expected = sig.dims.empty() ? 1 : sig.dims[sig.row_axis];
    if (expected >= 0) {
      if (rows != expected)
        fail(" has " + std::to_string(rows) + " rows, the model's " + (output ? "output" : "input") + " has shape " +
             sig.describe() + " with a fixed batch of " + std::to_string(expected));
      return -1;
    }
    if (rows % -expected) fail(" has " + std::to_string(rows) + " rows, not a multiple of " + std::to_string(-expected));
    return rows / -expected;
  }
};

/// Appends the FeatureRefs of an array (strides in elements) and returns the extent of its row axis. The array
/// has the model's rank (every fixed extent must match), or, when the row axis is the first, any shape
/// [rows, ...] whose trailing extents multiply to the model's features (flattened in row-major order).
std::int64_t add_array(Slot const& slot, std::vector<FeatureRef>& refs, std::byte* base, DType dtype, int ndim,
                       std::int64_t const* shape, std::int64_t const* stride_elems) {
  Signature const& sig = slot.sig;
  const int rank = static_cast<int>(sig.dims.size());
  slot.check_dtype(dtype, "the array");
  int axis = sig.row_axis;
  bool exact = ndim == rank;
  for (int d = 0; exact && d < rank; ++d) exact = d == axis || shape[d] == sig.dims[d];
  if (!exact) {
    if (axis != 0 || ndim == 0) {
      if (rank == 0 && ndim == 1 && shape[0] == 1) {
        axis = 0;  // [1] for a scalar
      } else {
        std::string got = "(";
        for (int d = 0; d < ndim; ++d) got += (d ? ", " : "") + std::to_string(shape[d]);
        slot.fail(" has shape " + got + (ndim == 1 ? ",)" : ")") + ", the model expects " + sig.describe());
      }
    }
    std::int64_t trailing = 1;
    for (int d = 1; d < ndim; ++d) trailing *= shape[d];
    slot.check_features(trailing);
  }
  const std::int64_t rows = ndim == 0 ? 1 : shape[axis];
  const bool empty = std::any_of(shape, shape + ndim, [](std::int64_t e) { return e == 0; });
  if (slot.output && !empty)  // an output without elements shares no memory, whatever its strides
    for (int d = 0; d < ndim; ++d)
      if (stride_elems[d] == 0 && shape[d] > 1)
        slot.fail(": the array broadcasts (stride 0 along dimension " + std::to_string(d) +
                  "): every element of an output needs its own memory");
  const auto item = static_cast<std::int64_t>(size_of(dtype));
  const std::size_t begin = refs.size();
  refs.resize(begin + static_cast<std::size_t>(slot.sig.features));
  FeatureRef* out = refs.data() + begin;
  const std::int64_t row_stride = ndim == 0 ? 0 : stride_elems[axis];
  for (std::int64_t flat = 0; flat < slot.sig.features; ++flat) {
    std::int64_t offset = 0, rest = flat;
    if (ndim == 2 && axis == 0) {
      offset = flat * stride_elems[1];  // [n, F], the common case
    } else {
      for (int d = ndim; d-- > 0;) {
        if (d == axis) continue;
        offset += (rest % shape[d]) * stride_elems[d];
        rest /= shape[d];
      }
    }
    out[flat] = {base + offset * item, row_stride, dtype};
  }
  return rows;
}

/// Appends the FeatureRefs of a ragged view (runtime/ragged.hpp) and returns its n. Its (C, P) or (P, C) must be
/// the model's trailing extents (extents of 1 aside, so a mask fits [n, 1, P] and [n, P]); ranges in host memory
/// are validated first (disjoint for outputs). No SoA is recorded for it: a call with one waits for its work, and
/// first for work an asynchronous infer left pending on the constituent SoA.
std::int64_t bind_ragged(RaggedTensor const& r, Slot const& slot, std::vector<FeatureRef>& refs) {
  runtime::RaggedView const& view = r.view;
  slot.check_device("the ragged view", r.device);
  nb::cast<SoA&>(r.soa).finish_pending();
  if (slot.output && !(r.writable && !view.is_mask()))
    slot.fail(view.is_mask() ? ": a mask is no output" : ": the ragged view is read-only");
  const std::int64_t c = view.channels(), p = view.max_length();
  const bool cp = view.order() == runtime::RaggedOrder::CP;
  std::vector<std::int64_t> mine{cp ? c : p, cp ? p : c}, theirs;
  std::vector<std::int64_t> const& dims = slot.sig.dims;
  for (std::size_t d = 1; d < dims.size(); ++d)
    if (dims[d] != 1) theirs.push_back(dims[d]);
  mine.erase(std::remove(mine.begin(), mine.end(), 1), mine.end());
  if (slot.sig.row_axis != 0 || dims.empty() || mine != theirs)
    slot.fail(": a ragged view of shape (n, " + std::to_string(cp ? c : p) + ", " + std::to_string(cp ? p : c) +
              ") does not fit the model's shape " + slot.sig.describe());
  for (Feature const& f : view.members().features) slot.check_dtype(f.dtype, "column '" + f.label + "'");
  if (r.device.type == nb::device::cpu::value) {
    try {
      view.validate(slot.output);
    } catch (std::invalid_argument const& e) {
      slot.fail(std::string(": ") + e.what());
    }
  }
  const std::vector<FeatureRef> mine_refs = view.refs();
  refs.insert(refs.end(), mine_refs.begin(), mine_refs.end());
  return view.n();
}

/// Binds one tensor, appending its FeatureRefs to `refs`; returns the extent of its row axis. `held` keeps a
/// buffer-protocol view or DLPack import alive until the call is over; `soa` is set to the SoA of a sofie_soa
/// Tensor, else nullptr.
std::int64_t bind(nb::handle obj, Slot const& slot, std::vector<FeatureRef>& refs, HeldBuffer& held, SoA*& soa) {
  soa = nullptr;
  if (nb::isinstance<Tensor>(obj)) {
    Tensor const& t = nb::cast<Tensor const&>(obj);
    soa = &nb::cast<SoA&>(t.soa);
    slot.check_device("the SoA view", t.device);
    if (slot.output && !t.writable) slot.fail(": the SoA view is read-only");
    if (slot.sig.row_axis != 0 && !slot.sig.dims.empty())
      slot.fail(": an SoA view binds tensors whose element count is the first dimension; this one has shape " +
                slot.sig.describe());
    slot.check_features(static_cast<std::int64_t>(t.view.features.size()));
    for (Feature const& f : t.view.features) {
      slot.check_dtype(f.dtype, "column '" + f.label + "'");
      if (slot.output && f.stride == 0 && t.view.n > 1)
        slot.fail(": '" + f.label + "' is a scalar (one slot for the whole collection): every element of an output "
                  "needs its own memory");
      refs.push_back({f.data, f.stride, f.dtype});
    }
    return t.view.n;
  }
  if (nb::isinstance<RaggedTensor>(obj)) return bind_ragged(nb::cast<RaggedTensor const&>(obj), slot, refs);
  // NumPy and other CPU arrays: the buffer protocol, cheaper than a DLPack capsule.
  if (PyObject_CheckBuffer(obj.ptr())) {
    const int flags = PyBUF_STRIDES | PyBUF_FORMAT | (slot.output ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj.ptr(), &held.view, flags) != 0) {
      PyErr_Clear();
      if (slot.output && PyObject_GetBuffer(obj.ptr(), &held.view, PyBUF_STRIDES | PyBUF_FORMAT) == 0) {
        PyBuffer_Release(&held.view);
        slot.fail(": the array is read-only");
      }
      PyErr_Clear();
    } else {
      held.held = true;
      Py_buffer const& v = held.view;
      slot.check_device("the array", Device{});
      DType dtype;
      if (!dtype_from_format(v.format, v.itemsize, dtype)) slot.fail(": its dtype has no conversion");
      std::int64_t shape[8], strides[8];
      if (v.ndim > 8) slot.fail(": more than 8 dimensions");
      for (int d = 0; d < v.ndim; ++d) {
        if (v.strides[d] % v.itemsize != 0) slot.fail(": a stride is not a whole number of elements");
        shape[d] = v.shape[d];
        strides[d] = v.strides[d] / v.itemsize;
      }
      return add_array(slot, refs, static_cast<std::byte*>(v.buf), dtype, v.ndim, shape, strides);
    }
  }
  if (!nb::hasattr(obj, "__dlpack__"))
    slot.fail(": expected a sofie_soa Tensor or a DLPack array, got " + std::string(nb::type_name(obj.type()).c_str()));
  // On a CUDA session, a CUDA producer gets the queue's stream (DLPack's rule): it makes that stream wait for
  // the work it still has pending on this memory, so inference is ordered after the producer's stream.
  nb::object source = nb::borrow(obj);
  if (slot.device.type == nb::device::cuda::value && nb::hasattr(obj, "__dlpack_device__") &&
      nb::cast<int>(obj.attr("__dlpack_device__")()[0]) == nb::device::cuda::value)
    source = obj.attr("__dlpack__")("stream"_a = slot.stream);
  nb::ndarray<nb::ro>& a = held.array;
  if (slot.output) {  // a writable import fails on read-only memory
    nb::ndarray<> writable;
    if (nb::try_cast(source, writable)) {
      a = nb::ndarray<nb::ro>(writable);
    } else {
      slot.fail(nb::try_cast(source, a) ? ": the array is read-only" : ": its DLPack export could not be imported");
    }
  } else if (!nb::try_cast(source, a)) {
    slot.fail(": its DLPack export could not be imported");
  }
  slot.check_device("the array", Device{a.device_type(), a.device_id()});
  DType dtype;
  try {
    dtype = dtype_from_dlpack(a.dtype().code, a.dtype().bits);
  } catch (std::invalid_argument const&) {
    slot.fail(": its dtype has no conversion");
  }
  if (a.ndim() > 8) slot.fail(": more than 8 dimensions");
  std::int64_t shape[8], strides[8];
  for (std::size_t d = 0; d < a.ndim(); ++d) {
    shape[d] = static_cast<std::int64_t>(a.shape(d));
    strides[d] = a.stride(d);
  }
  return add_array(slot, refs, static_cast<std::byte*>(const_cast<void*>(a.data())), dtype,
                   static_cast<int>(a.ndim()), shape, strides);
}

/// (name, dtype, dims, row axis, features) tuples from Python as Signatures.
std::vector<Signature> signatures(nb::list items) {
  std::vector<Signature> out;
  for (nb::handle item : items) {
    nb::tuple t = nb::borrow<nb::tuple>(item);
    out.push_back({nb::cast<std::string>(t[0]), dtype_from_name(nb::cast<std::string>(t[1])),
                   nb::cast<std::vector<std::int64_t>>(t[2]), nb::cast<int>(t[3]), nb::cast<std::int64_t>(t[4])});
  }
  return out;
}

/// Runs one compiled session on one queue: Model.infer's hot path.
class Runner {
 public:
  static constexpr std::size_t kMax = 64;  ///< inputs and outputs (compiler/frontend.py MAX_GRAPH_TENSORS)

  /// inputs, outputs: (name, dtype, dims with -c for c·N, row axis, features) per graph input and output.
  /// device: where the session reads and writes ("cpu", "cuda:N"); stream: the queue's native stream (CUDA;
  /// None on CPUs). infer, wait, session, queue, order: C addresses (c_entry.hpp); without `order` (0) every
  /// call waits. queue_object: the Python Queue, held weakly, and strongly by the SoAs an asynchronous call leaves
  /// work pending on. new_output(n, index, first_input): a zeroed array for output `index` when the caller passes
  /// none.
  Runner(nb::list inputs, nb::list outputs, std::string const& device, nb::object stream, std::uintptr_t infer,
         std::uintptr_t wait, std::uintptr_t session, std::uintptr_t queue, nb::object new_output,
         std::uintptr_t order, nb::object queue_object)
      : inputs_(signatures(inputs)), outputs_(signatures(outputs)), device_(parse_device(device)),
        stream_(std::move(stream)), infer_(reinterpret_cast<InferFn>(infer)), wait_(reinterpret_cast<WaitFn>(wait)),
        session_(reinterpret_cast<void*>(session)), queue_(reinterpret_cast<void*>(queue)),
        new_output_(std::move(new_output)), order_(reinterpret_cast<OrderFn>(order)),
        queue_object_(queue_object.is_none() ? nb::object() : nb::weakref(queue_object)) {
    if (inputs_.size() > kMax || outputs_.size() > kMax) throw nb::value_error("more than 64 inputs or outputs");
    for (auto const& s : inputs_) input_keys_.push_back(nb::str(s.name.c_str()));
    for (auto const& s : outputs_) output_keys_.push_back(nb::str(s.name.c_str()));
  }

  /// inputs: one array / Tensor (single-input models) or a dict keyed by ONNX input name; out: the same for
  /// outputs, or None for new ones; saturate: allow conversions that lose information. Returns the outputs: the
  /// one, or a dict keyed by name.
  nb::object operator()(nb::handle inputs, nb::handle out, bool saturate) const {
    nb::handle in_objs[kMax], out_objs[kMax];
    select(inputs, input_keys_, inputs_, "inputs", in_objs);
    thread_local std::vector<FeatureRef> refs;
    refs.clear();
    SoA* soas[2 * kMax];
    std::size_t begin[2 * kMax + 1];
    std::int64_t rows[2 * kMax];
    std::int64_t n = -1;
    std::size_t n_from = 0;
    const std::size_t inputs_count = inputs_.size(), total = inputs_count + outputs_.size();
    HeldBuffers<2 * kMax> held(total);
    auto bind_slot = [&](std::size_t t, nb::handle obj) {
      const bool output = t >= inputs_count;
      Signature const& sig = output ? outputs_[t - inputs_count] : inputs_[t];
      Slot const slot{sig, output, saturate, device_, stream_};
      begin[t] = refs.size();
      rows[t] = bind(obj, slot, refs, held[t], soas[t]);
      const std::int64_t count = slot.element_count(rows[t]);
      if (count < 0) return;
      if (n < 0) {
        n = count;
        n_from = t;
      } else if (count != n) {
        slot.fail(" has n = " + std::to_string(count) + (output ? ", the inputs have" : ", input '" +
                  inputs_[n_from].name + "' has") + " n = " + std::to_string(n));
      }
    };
    for (std::size_t i = 0; i < inputs_count; ++i) bind_slot(i, in_objs[i]);
    const std::int64_t inputs_n = n;

    nb::object made;  // outputs created here (n known from the inputs), owned until returned
    if (out.is_none()) {
      if (outputs_.size() == 1) {
        made = new_output_(inputs_n < 0 ? 0 : inputs_n, 0, inputs_count ? in_objs[0] : nb::none());
        out_objs[0] = made;
      } else {
        nb::dict d;
        for (std::size_t j = 0; j < outputs_.size(); ++j)
          d[output_keys_[j]] = new_output_(inputs_n < 0 ? 0 : inputs_n, j, inputs_count ? in_objs[0] : nb::none());
        made = d;
        select(made, output_keys_, outputs_, "out", out_objs);
      }
    } else {
      select(out, output_keys_, outputs_, "out", out_objs);
    }
    for (std::size_t j = 0; j < outputs_.size(); ++j) bind_slot(inputs_count + j, out_objs[j]);
    begin[total] = refs.size();
    check_no_overlap(refs, begin + inputs_count, rows + inputs_count, outputs_.size());
    FeatureRef const* pointers[2 * kMax];
    for (std::size_t t = 0; t < total; ++t) pointers[t] = refs.data() + begin[t];
    // Asynchronous only where every later user can be ordered after the work: device SoA views.
    nb::object queue_object = order_ && device_.type == nb::device::cuda::value && queue_object_.is_valid()
                                  ? queue_object_() : nb::none();
    bool async = !queue_object.is_none();
    for (std::size_t t = 0; t < total; ++t) {
      async = async && soas[t] != nullptr;
      if (soas[t] && soas[t]->pending && soas[t]->pending->handle != queue_ &&
          std::find(soas, soas + t, soas[t]) == soas + t)
        soas[t]->pending->order_stream(stream_pointer());  // after another queue's work on this SoA, once
    }
    char error[1024];  // written (NUL-terminated) by the entry point when it fails
    error[0] = '\0';
    int rc;
    {
      nb::gil_scoped_release release;
      rc = infer_(session_, queue_, n < 0 ? 0 : n, pointers, pointers + inputs_count, error, sizeof(error));
      if (rc == 0 && !async) wait_(queue_);
    }
    if (rc != 0) throw std::runtime_error(std::string("inference failed: ") + error);
    if (async) {
      const PendingWork work{queue_object, queue_, order_, wait_};
      for (std::size_t t = 0; t < total; ++t) soas[t]->pending = work;
    } else {
      for (std::size_t t = 0; t < total; ++t)
        if (soas[t] && soas[t]->pending && soas[t]->pending->handle == queue_) soas[t]->pending.reset();
    }
    if (made.is_valid()) return made;
    return nb::borrow(out);
  }

 private:
  /// ValueError when two output features share memory (one column given twice or to two outputs, or row ranges
  /// of one array that overlap): the kernels would write an element twice. A feature covers the bytes
  /// data + r·stride·size + [0, size) for r < rows; two features whose byte ranges intersect overlap when their
  /// strides differ (conservative), or, with one stride, when their distance modulo the stride is below the element
  /// size; a ragged output's columns count once each, over its m constituents (its ranges are disjoint). begin[j] is output j's first FeatureRef, rows[j] its rows (none: no memory). Sorted by start, so the
  /// common case (SoA columns, disjoint ranges) costs one comparison per feature.
  void check_no_overlap(std::vector<FeatureRef> const& refs, std::size_t const* begin, std::int64_t const* rows,
                        std::size_t outputs) const {
    struct Span {
      std::intptr_t first, last;  // bytes [first, last)
      std::int64_t stride, size;  // bytes between rows (>= 0; 0 for one row), bytes of an element
      std::size_t flat;
    };
    thread_local std::vector<Span> spans;
    spans.clear();
    for (std::size_t j = 0; j < outputs; ++j) {
      if (rows[j] <= 0) continue;
      for (std::size_t k = begin[j]; k < begin[j + 1]; ++k) {
        // a ragged output: its member columns, each once (position 0), over the whole collection
        const bool ragged = refs[k].rows.kind != kernels::RangeKind::none;
        if (ragged && refs[k].rows.position != 0) continue;
        const std::int64_t count = ragged ? refs[k].rows.size : rows[j];
        if (count <= 0) continue;
        const auto size = static_cast<std::int64_t>(size_of(refs[k].dtype));
        const std::int64_t step = count > 1 ? refs[k].stride * size : 0, reach = (count - 1) * step;
        const auto at = reinterpret_cast<std::intptr_t>(refs[k].data);
        spans.push_back({reach < 0 ? at + reach : at, (reach < 0 ? at : at + reach) + size, step < 0 ? -step : step,
                         size, k - begin[0]});
      }
    }
    if (spans.size() < 2) return;
    std::sort(spans.begin(), spans.end(), [](Span const& a, Span const& b) { return a.first < b.first; });
    for (std::size_t a = 0; a < spans.size(); ++a)
      for (std::size_t b = a + 1; b < spans.size() && spans[b].first < spans[a].last; ++b) {
        Span const &x = spans[a], &y = spans[b];
        bool shared = x.stride != y.stride || x.stride == 0;
        if (!shared) {
          const std::int64_t distance = (y.first - x.first) % x.stride;  // y starts `distance` bytes into a row
          shared = distance < x.size || x.stride - distance < y.size;
        }
        if (shared)
          throw nb::value_error(("outputs overlap: " + feature_name(x.flat) + " and " + feature_name(y.flat) +
                                 " share memory").c_str());
      }
  }
  std::string feature_name(std::size_t flat) const {
    for (Signature const& s : outputs_) {
      if (flat < static_cast<std::size_t>(s.features))
        return "feature " + std::to_string(flat) + " of output '" + s.name + "'";
      flat -= static_cast<std::size_t>(s.features);
    }
    return "an output feature";
  }

  /// Fills objs (in ONNX order) from `value`: a dict with exactly the names as keys, or the one object.
  static void select(nb::handle value, std::vector<nb::str> const& keys, std::vector<Signature> const& sigs,
                     char const* what, nb::handle* objs) {
    if (PyDict_Check(value.ptr())) {
      bool exact = static_cast<std::size_t>(PyDict_Size(value.ptr())) == keys.size();
      for (std::size_t i = 0; exact && i < keys.size(); ++i) {
        objs[i] = PyDict_GetItem(value.ptr(), keys[i].ptr());
        exact = objs[i].ptr() != nullptr;
      }
      if (!exact) {
        std::string expected;
        for (auto const& s : sigs) expected += (expected.empty() ? "'" : ", '") + s.name + "'";
        nb::object sorted = nb::module_::import_("builtins").attr("sorted");
        throw nb::value_error((std::string(what) + ": expected keys [" + expected + "], got " +
                               nb::repr(sorted(value)).c_str()).c_str());
      }
    } else if (keys.size() == 1) {
      objs[0] = value;
    } else if (keys.empty()) {
      if (!value.is_none()) throw nb::value_error((std::string(what) + ": the model has none").c_str());
    } else {
      throw nb::value_error((std::string(what) + ": the model has " + std::to_string(keys.size()) +
                             " of them; pass a dict keyed by name").c_str());
    }
  }

  std::vector<Signature> inputs_, outputs_;
  std::vector<nb::str> input_keys_, output_keys_;
  Device device_;
  nb::object stream_;
  InferFn infer_;
  WaitFn wait_;
  void* session_;
  void* queue_;
  nb::object new_output_;
  OrderFn order_;
  nb::object queue_object_;  // a weak reference

  void* stream_pointer() const {
    return stream_.is_none() ? nullptr : reinterpret_cast<void*>(nb::cast<std::uintptr_t>(stream_));
  }
};

}  // namespace

void bind_run(nb::module_& m) {
  nb::class_<Runner>(m, "Runner",
                     "Model.infer's per-call path for one session on one queue: binds and checks inputs and outputs "
                     "(ValueError naming the tensor) and calls the session's C entry point, then the queue's wait, "
                     "with the GIL released. On CUDA with only device SoA views it does not wait; those SoAs order "
                     "their next users after the work.")
      .def(nb::init<nb::list, nb::list, std::string const&, nb::object, std::uintptr_t, std::uintptr_t,
                    std::uintptr_t, std::uintptr_t, nb::object, std::uintptr_t, nb::object>(),
           "inputs"_a, "outputs"_a, "device"_a, "stream"_a.none(), "infer"_a, "wait"_a, "session"_a, "queue"_a,
           "new_output"_a.none(), "order"_a = 0, "queue_object"_a.none() = nb::none())
      .def("__call__", &Runner::operator(), "inputs"_a.none(), "out"_a.none() = nb::none(), "saturate"_a = false,
           "Runs inference on inputs (an array or Tensor, or a dict keyed by input name), writing `out` (the same, "
           "or None for new arrays from new_output); saturate allows conversions that lose information. Returns "
           "the outputs.");
}

}  // namespace sofie_soa::bindings
