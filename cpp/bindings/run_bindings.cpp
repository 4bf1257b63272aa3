// The per-call path of Model.infer, in C++ (sofie_soa._core.Runner): takes inputs and outputs (sofie_soa Tensors,
// buffer-protocol arrays such as NumPy's, or any DLPack array), binds them to FeatureRefs, checks them against
// the model's signature, and calls the session's C entry point (runtime/c_entry.hpp) then the queue's wait with
// the GIL released. On CUDA, when every input and output is a view of a device SoA, it does not wait: the SoAs
// record the pending work (bindings.hpp, PendingWork) and their next users are ordered after it. Nothing is
// enqueued unless every check passes; a ValueError names the tensor and its feature count, n, dtype, device or
// writability. Per call it allocates nothing once warm (thread-local scratch) and builds no strings unless it
// raises.
#include <Python.h>

#include <algorithm>
#include <cstdint>
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

/// One tensor to bind: its place in the signature and the session's device and stream.
struct Slot {
  std::string const& name;
  std::int64_t features;
  bool output;
  Device device;
  nb::handle stream;  ///< the queue's native stream as a Python int (CUDA), or None
  [[noreturn]] void fail(std::string const& why) const {
    throw nb::value_error(((output ? "output '" : "'") + name + "'" + why).c_str());
  }
  /// ValueError unless `what` (the SoA view, the array) lives on the session's device.
  void check_device(char const* what, Device where) const {
    if (where.type != device.type)
      fail(std::string(": ") + what + " is in " + device_name(where.type) + " memory, the session runs on " +
           device_name(device.type) + " memory");
    if (where.id != device.id)
      fail(std::string(": ") + what + " is on " + where.name() + ", the session's queue is on " + device.name());
  }
  /// ValueError unless the tensor has the model's feature count.
  void check_features(std::int64_t count) const {
    if (count != features)
      fail(" has " + std::to_string(count) + " features, the model expects " + std::to_string(features));
  }
  /// ValueError for a dtype outputs cannot be written in.
  void check_dtype(DType dtype) const {
    if (output && dtype == DType::float16) fail(": float16 output columns are not supported; use float32 or float64");
  }
};

/// Appends the FeatureRefs of an [n, ...] array (strides in elements) flattened row-major over the trailing
/// dimensions; returns n.
std::int64_t add_array(Slot const& slot, std::vector<FeatureRef>& refs, std::byte* base, DType dtype, int ndim,
                       std::int64_t const* shape, std::int64_t const* stride_elems) {
  if (ndim == 0) slot.fail(": a 0-d array has no element dimension");
  std::int64_t trailing = 1;
  for (int d = 1; d < ndim; ++d) trailing *= shape[d];
  slot.check_features(trailing);
  slot.check_dtype(dtype);
  const auto item = static_cast<std::int64_t>(size_of(dtype));
  const std::size_t begin = refs.size();
  refs.resize(begin + static_cast<std::size_t>(trailing));
  FeatureRef* out = refs.data() + begin;
  for (std::int64_t flat = 0; flat < trailing; ++flat) {
    std::int64_t offset = ndim > 1 ? flat * stride_elems[1] : 0;  // [n, F], the common case
    if (ndim > 2) {
      std::int64_t rest = flat;
      offset = 0;
      for (int d = ndim; d-- > 1;) {
        offset += (rest % shape[d]) * stride_elems[d];
        rest /= shape[d];
      }
    }
    out[flat] = {base + offset * item, stride_elems[0], dtype};
  }
  return shape[0];
}

/// Binds one tensor, appending its FeatureRefs to `refs`; returns its n. `held` keeps a buffer-protocol view
/// alive until the call is over; `soa` is set to the SoA of a sofie_soa Tensor, else nullptr.
std::int64_t bind(nb::handle obj, Slot const& slot, std::vector<FeatureRef>& refs, HeldBuffer& held, SoA*& soa) {
  soa = nullptr;
  if (nb::isinstance<Tensor>(obj)) {
    Tensor const& t = nb::cast<Tensor const&>(obj);
    soa = &nb::cast<SoA&>(t.soa);
    slot.check_device("the SoA view", t.device);
    if (slot.output && !t.writable) slot.fail(": the SoA view is read-only");
    slot.check_features(static_cast<std::int64_t>(t.view.features.size()));
    for (Feature const& f : t.view.features) {
      slot.check_dtype(f.dtype);
      refs.push_back({f.data, f.stride, f.dtype});
    }
    return t.view.n;
  }
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
      if (!dtype_from_format(v.format, v.itemsize, dtype)) slot.fail(": its dtype has no conversion to float");
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
    slot.fail(": its dtype has no conversion to float");
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

/// Runs one compiled session on one queue: Model.infer's hot path.
class Runner {
 public:
  /// input_batch: the fixed batch of each input, -1 where dynamic. device: where the session reads and writes
  /// ("cpu", "cuda:N"); stream: the queue's native stream (CUDA; None on CPUs). infer, wait, session, queue,
  /// order: C addresses (c_entry.hpp); without `order` (0) every call waits. queue_object: the Python Queue,
  /// held weakly, and strongly by the SoAs an asynchronous call leaves work pending on.
  /// new_output(n, index, first_input): a zeroed [n, ...] array for output `index` when the caller passes none.
  Runner(std::vector<std::string> input_names, std::vector<std::string> output_names,
         std::vector<std::int64_t> input_features, std::vector<std::int64_t> output_features,
         std::vector<std::int64_t> input_batch, std::string const& device, nb::object stream, std::uintptr_t infer,
         std::uintptr_t wait, std::uintptr_t session, std::uintptr_t queue, nb::object new_output,
         std::uintptr_t order, nb::object queue_object)
      : input_names_(std::move(input_names)), output_names_(std::move(output_names)),
        input_features_(std::move(input_features)), output_features_(std::move(output_features)),
        input_batch_(std::move(input_batch)), device_(parse_device(device)), stream_(std::move(stream)),
        infer_(reinterpret_cast<InferFn>(infer)),
        wait_(reinterpret_cast<WaitFn>(wait)), session_(reinterpret_cast<void*>(session)),
        queue_(reinterpret_cast<void*>(queue)), new_output_(std::move(new_output)),
        order_(reinterpret_cast<OrderFn>(order)),
        queue_object_(queue_object.is_none() ? nb::object() : nb::weakref(queue_object)) {
    for (auto const& name : input_names_) input_keys_.push_back(nb::str(name.c_str()));
    for (auto const& name : output_names_) output_keys_.push_back(nb::str(name.c_str()));
  }

  /// inputs: one array / Tensor (single-input models) or a dict keyed by ONNX input name; out: the same for
  /// outputs, or None for new ones. Returns the outputs: the one, or a dict keyed by name.
  nb::object operator()(nb::handle inputs, nb::handle out) const {
    constexpr std::size_t kMax = 16;
    if (input_names_.size() > kMax || output_names_.size() > kMax)
      throw nb::value_error("more than 16 inputs or outputs");
    nb::handle in_objs[kMax], out_objs[kMax];
    select(inputs, input_keys_, input_names_, "inputs", in_objs);
    thread_local std::vector<FeatureRef> refs;
    refs.clear();
    HeldBuffer held[2 * kMax];
    SoA* soas[2 * kMax];
    std::size_t begin[2 * kMax + 1];
    std::int64_t n = 0;
    const std::size_t inputs_count = input_names_.size(), total = inputs_count + output_names_.size();
    auto bind_slot = [&](std::size_t t, nb::handle obj) {
      const bool output = t >= inputs_count;
      const std::size_t i = output ? t - inputs_count : t;
      Slot const slot{output ? output_names_[i] : input_names_[i], output ? output_features_[i] : input_features_[i],
                      output, device_, stream_};
      begin[t] = refs.size();
      const std::int64_t rows = bind(obj, slot, refs, held[t], soas[t]);
      if (t == 0) n = rows;
      if (!output && input_batch_[i] >= 0 && rows != input_batch_[i])
        slot.fail(" has n = " + std::to_string(rows) + "; the model has a fixed batch of " +
                  std::to_string(input_batch_[i]));
      if (rows != n)
        slot.fail(" has n = " + std::to_string(rows) +
                  (output ? ", the inputs have" : ", input '" + input_names_[0] + "' has") + " n = " + std::to_string(n));
    };
    for (std::size_t i = 0; i < inputs_count; ++i) bind_slot(i, in_objs[i]);

    nb::object made;  // outputs created here (n known from the inputs), owned until returned
    if (out.is_none()) {
      if (output_names_.size() == 1) {
        made = new_output_(n, 0, in_objs[0]);
        out_objs[0] = made;
      } else {
        nb::dict d;
        for (std::size_t j = 0; j < output_names_.size(); ++j) d[output_keys_[j]] = new_output_(n, j, in_objs[0]);
        made = d;
        select(made, output_keys_, output_names_, "out", out_objs);
      }
    } else {
      select(out, output_keys_, output_names_, "out", out_objs);
    }
    for (std::size_t j = 0; j < output_names_.size(); ++j) bind_slot(inputs_count + j, out_objs[j]);
    begin[total] = refs.size();
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
    char error[1024] = {};
    int rc;
    {
      nb::gil_scoped_release release;
      rc = infer_(session_, queue_, n, pointers, pointers + inputs_count, error, sizeof(error));
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
  /// Fills objs (in ONNX order) from `value`: a dict with exactly the names as keys, or the one object.
  static void select(nb::handle value, std::vector<nb::str> const& keys, std::vector<std::string> const& names,
                     char const* what, nb::handle* objs) {
    if (PyDict_Check(value.ptr())) {
      bool exact = static_cast<std::size_t>(PyDict_Size(value.ptr())) == keys.size();
      for (std::size_t i = 0; exact && i < keys.size(); ++i) {
        objs[i] = PyDict_GetItem(value.ptr(), keys[i].ptr());
        exact = objs[i].ptr() != nullptr;
      }
      if (!exact) {
        std::string expected;
        for (auto const& name : names) expected += (expected.empty() ? "'" : ", '") + name + "'";
        nb::object sorted = nb::module_::import_("builtins").attr("sorted");
        throw nb::value_error((std::string(what) + ": expected keys [" + expected + "], got " +
                               nb::repr(sorted(value)).c_str()).c_str());
      }
    } else if (keys.size() == 1) {
      objs[0] = value;
    } else {
      throw nb::value_error((std::string(what) + ": the model has " + std::to_string(keys.size()) +
                             " of them; pass a dict keyed by name").c_str());
    }
  }

  std::vector<std::string> input_names_, output_names_;
  std::vector<nb::str> input_keys_, output_keys_;
  std::vector<std::int64_t> input_features_, output_features_, input_batch_;
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
      .def(nb::init<std::vector<std::string>, std::vector<std::string>, std::vector<std::int64_t>,
                    std::vector<std::int64_t>, std::vector<std::int64_t>, std::string const&, nb::object,
                    std::uintptr_t, std::uintptr_t, std::uintptr_t, std::uintptr_t, nb::object, std::uintptr_t,
                    nb::object>(),
           "input_names"_a, "output_names"_a, "input_features"_a, "output_features"_a, "input_batch"_a,
           "device"_a, "stream"_a.none(), "infer"_a, "wait"_a, "session"_a, "queue"_a, "new_output"_a.none(),
           "order"_a = 0, "queue_object"_a.none() = nb::none())
      .def("__call__", &Runner::operator(), "inputs"_a, "out"_a.none() = nb::none(),
           "Runs inference on inputs (an array or Tensor, or a dict keyed by input name), writing `out` (the same, "
           "or None for new arrays from new_output); returns the outputs.");
}

}  // namespace sofie_soa::bindings
