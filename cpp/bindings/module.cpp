// The private extension module sofie_soa._core; the Python package re-exports it.
#include "bindings.hpp"

namespace nb = nanobind;

NB_MODULE(_core, m) {
  m.doc() = "sofie_soa C++ core: CMS-compatible SoA layouts, buffers, views and DLPack interop";
  // A member name missing from a layout is a lookup failure: Python's KeyError.
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const sofie_soa::UnknownMember& e) {
      PyErr_SetString(PyExc_KeyError, e.what());
    }
  });
  // Torch tensors or NumPy arrays still alive at interpreter exit keep SoA buffers alive past nanobind's
  // leak check; lifetimes are tested with weak references instead (tests/core/test_soa_lifetime.py).
  nb::set_leak_warnings(false);
  sofie_soa::bindings::bind_layout(m);
  sofie_soa::bindings::bind_soa(m);
  sofie_soa::bindings::bind_ragged(m);
  sofie_soa::bindings::bind_run(m);
}
