// The per-call path of Model.infer, in C++: binds inputs and outputs (sofie_soa Tensors or any DLPack /
// buffer-protocol array) to FeatureRef arrays, checks them against the model's signature, and calls the
// session's C entry point (runtime/c_entry.hpp) with the GIL released. Nothing is enqueued unless every check
// passes; a ValueError names the tensor, its feature count, n, dtype or writability.
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
using WaitFn = void (*)(void*);

/// What a compiled model takes, in ONNX order: names, features per element, and the fixed batch (-1: dynamic).
struct Signature {
  Signature(std::vector<std::string> in_names, std::vector<std::string> out_names, std::vector<std::int64_t> in_features,
            std::vector<std::int64_t> out_features, std::vector<std::int64_t> in_batch, int device)
      : input_names(std::move(in_names)), output_names(std::move(out_names)), input_features(std::move(in_features)),
        output_features(std::move(out_features)), input_batch(std::move(in_batch)), device_type(device) {}
  std::vector<std::string> input_names, output_names;
  std::vector<std::int64_t> input_features, output_features, input_batch;
  int device_type;  ///< DLPack device type the session reads and writes: 1 CPU, 2 CUDA
};

struct Bound {
  std::int64_t n = 0;
  std::vector<FeatureRef> refs;
};

char const* device_name(int type) { return type == nb::device::cpu::value ? "CPU" : type == nb::device::cuda::value ? "CUDA" : "another device's"; }

Bound bind(nb::handle obj, std::string const& name, std::int64_t expected, bool output, int device_type) {
  Bound b;
  std::string const what = (output ? "output '" : "'") + name + "'";
  if (nb::isinstance<Tensor>(obj)) {
    if (device_type != nb::device::cpu::value)
      throw nb::value_error((what + ": the SoA view is in CPU memory, the session runs on " +
                             device_name(device_type) + " memory").c_str());
    Tensor const& t = nb::cast<Tensor const&>(obj);
    if (output && !t.writable) throw nb::value_error((what + ": the SoA view is read-only").c_str());
    b.n = t.view.n;
    for (Feature const& f : t.view.features) b.refs.push_back({f.data, f.stride, f.dtype});
  } else {
    nb::ndarray<nb::ro> a;
    if (!nb::try_cast(obj, a))
      throw nb::value_error((what + ": expected a sofie_soa Tensor or a DLPack array, got " +
                             std::string(nb::type_name(obj.type()).c_str())).c_str());
    if (output) {
      nb::ndarray<> writable_array;
      if (!nb::try_cast(obj, writable_array)) throw nb::value_error((what + ": the array is read-only").c_str());
    }
    if (a.device_type() != device_type)
      throw nb::value_error((what + ": the array is in " + device_name(a.device_type()) + " memory, the session runs on " +
                             device_name(device_type) + " memory").c_str());
    if (a.ndim() == 0) throw nb::value_error((what + ": a 0-d array has no element dimension").c_str());
    DType dtype;
    try {
      dtype = dtype_from_dlpack(a.dtype().code, a.dtype().bits);
    } catch (std::invalid_argument const&) {
      throw nb::value_error((what + ": its dtype has no conversion to float").c_str());
    }
    b.n = static_cast<std::int64_t>(a.shape(0));
    std::int64_t trailing = 1;
    for (std::size_t d = 1; d < a.ndim(); ++d) trailing *= static_cast<std::int64_t>(a.shape(d));
    auto* base = static_cast<std::byte*>(const_cast<void*>(a.data()));
    const std::int64_t item = static_cast<std::int64_t>(size_of(dtype));
    for (std::int64_t flat = 0; flat < trailing; ++flat) {  // row-major over the trailing dimensions
      std::int64_t rest = flat, offset = 0;
      for (std::size_t d = a.ndim(); d-- > 1;) {
        offset += (rest % static_cast<std::int64_t>(a.shape(d))) * a.stride(d);
        rest /= static_cast<std::int64_t>(a.shape(d));
      }
      b.refs.push_back({base + offset * item, a.stride(0), dtype});
    }
  }
  if (static_cast<std::int64_t>(b.refs.size()) != expected)
    throw nb::value_error((what + " has " + std::to_string(b.refs.size()) + " features, the model expects " +
                           std::to_string(expected)).c_str());
  for (FeatureRef const& r : b.refs)
    if (output && r.dtype == DType::float16)
      throw nb::value_error((what + ": float16 output columns are not supported; use float32 or float64").c_str());
  return b;
}

/// Runs one inference and waits for it. `inputs` / `outputs` are sequences in ONNX order.
void run(Signature const& sig, std::uintptr_t infer, std::uintptr_t wait, std::uintptr_t session,
         std::uintptr_t queue, nb::sequence inputs, nb::sequence outputs) {
  std::vector<Bound> in, out;
  for (std::size_t i = 0; i < sig.input_names.size(); ++i) {
    in.push_back(bind(inputs[i], sig.input_names[i], sig.input_features[i], false, sig.device_type));
    if (in[i].n != in[0].n)
      throw nb::value_error(("input '" + sig.input_names[i] + "' has n = " + std::to_string(in[i].n) + ", input '" +
                             sig.input_names[0] + "' has n = " + std::to_string(in[0].n)).c_str());
    if (sig.input_batch[i] >= 0 && in[i].n != sig.input_batch[i])
      throw nb::value_error(("input '" + sig.input_names[i] + "' has n = " + std::to_string(in[i].n) +
                             "; the model has a fixed batch of " + std::to_string(sig.input_batch[i])).c_str());
  }
  const std::int64_t n = in.empty() ? 0 : in[0].n;
  for (std::size_t j = 0; j < sig.output_names.size(); ++j) {
    out.push_back(bind(outputs[j], sig.output_names[j], sig.output_features[j], true, sig.device_type));
    if (out[j].n != n)
      throw nb::value_error(("output '" + sig.output_names[j] + "' has n = " + std::to_string(out[j].n) +
                             ", the inputs have n = " + std::to_string(n)).c_str());
  }
  std::vector<FeatureRef const*> in_ptrs, out_ptrs;
  for (Bound const& b : in) in_ptrs.push_back(b.refs.data());
  for (Bound const& b : out) out_ptrs.push_back(b.refs.data());
  char error[1024] = {};
  int rc;
  {
    nb::gil_scoped_release release;
    rc = reinterpret_cast<InferFn>(infer)(reinterpret_cast<void*>(session), reinterpret_cast<void*>(queue), n,
                                          in_ptrs.data(), out_ptrs.data(), error, sizeof(error));
    if (rc == 0) reinterpret_cast<WaitFn>(wait)(reinterpret_cast<void*>(queue));
  }
  if (rc != 0) throw std::runtime_error(std::string("inference failed: ") + error);
}

}  // namespace

void bind_run(nb::module_& m) {
  nb::class_<Signature>(m, "Signature", "Names, features per element and fixed batches (-1: dynamic) of a model's "
                                        "inputs and outputs, in ONNX order.")
      .def(nb::init<std::vector<std::string>, std::vector<std::string>, std::vector<std::int64_t>,
                    std::vector<std::int64_t>, std::vector<std::int64_t>, int>(),
           "input_names"_a, "output_names"_a, "input_features"_a, "output_features"_a, "input_batch"_a,
           "device_type"_a = 1);
  m.def("run", &run, "signature"_a, "infer"_a, "wait"_a, "session"_a, "queue"_a, "inputs"_a, "outputs"_a,
        "Binds inputs and outputs, checks them against the signature (ValueError naming the tensor), and calls\n"
        "the session entry point `infer` then the queue's `wait` (C function addresses) with the GIL released.");
}

}  // namespace sofie_soa::bindings
