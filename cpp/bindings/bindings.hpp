// Declarations shared by the nanobind translation units of the private module sofie_soa._core.
#pragma once

#include <nanobind/nanobind.h>

#include "sofie_soa/core.hpp"

namespace sofie_soa::bindings {

/// A dtype given from Python as a name ("float32") or anything numpy.dtype() accepts (np.float32, "f4").
DType dtype_from_python(nanobind::handle obj);

void bind_layout(nanobind::module_& m);
void bind_soa(nanobind::module_& m);

}  // namespace sofie_soa::bindings
