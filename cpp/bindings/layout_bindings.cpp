// Python bindings of members and runtime layouts (sofie_soa.column / scalar / eigen_column / Layout).
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "bindings.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace sofie_soa::bindings {

DType dtype_from_python(nb::handle obj) {
  if (nb::isinstance<nb::str>(obj)) return dtype_from_name(nb::cast<std::string>(obj));
  nb::object np = nb::module_::import_("numpy");
  return dtype_from_name(nb::cast<std::string>(np.attr("dtype")(obj).attr("name")));
}

static std::string member_repr(const Member& m) {
  const std::string dtype(name_of(m.shape.dtype));
  switch (m.shape.kind) {
    case MemberKind::column: return "column('" + m.name + "', '" + dtype + "')";
    case MemberKind::scalar: return "scalar('" + m.name + "', '" + dtype + "')";
    default:
      return "eigen_column('" + m.name + "', '" + dtype + "', (" + std::to_string(m.shape.rows) + ", " +
             std::to_string(m.shape.cols) + "))";
  }
}

void bind_layout(nb::module_& m) {
  nb::dict codes;  // dtype name -> sofie_soa::DType value, as kernels receive it (FeatureRef::dtype)
  for (DType t : kAllDTypes) codes[std::string(name_of(t)).c_str()] = static_cast<int>(t);
  m.attr("DTYPE_CODES") = codes;

  nb::enum_<MemberKind>(m, "MemberKind", "Kind of a layout member.")
      .value("column", MemberKind::column)
      .value("scalar", MemberKind::scalar)
      .value("eigen_column", MemberKind::eigen_column);

  nb::class_<Member>(m, "Member", "One member of a layout: a name, a kind, an element dtype and an Eigen shape.")
      .def_ro("name", &Member::name)
      .def_prop_ro("kind", [](const Member& s) { return s.shape.kind; })
      .def_prop_ro("dtype", [](const Member& s) { return std::string(name_of(s.shape.dtype)); },
                   "Element dtype name, e.g. 'float32'.")
      .def_prop_ro("shape", [](const Member& s) { return std::make_pair(s.shape.rows, s.shape.cols); },
                   "(rows, cols) of an Eigen column; (1, 1) for columns and scalars.")
      .def("__eq__", [](const Member& a, const Member& b) { return a.name == b.name && a.shape == b.shape; })
      .def("__repr__", &member_repr);

  m.def("column", [](std::string name, nb::handle dtype) {
          return Member{std::move(name), {MemberKind::column, dtype_from_python(dtype), 1, 1}};
        }, "name"_a, "dtype"_a,
        "A column: one value of `dtype` per element; occupies alignSize(n * itemsize, alignment) bytes.");
  m.def("scalar", [](std::string name, nb::handle dtype) {
          return Member{std::move(name), {MemberKind::scalar, dtype_from_python(dtype), 1, 1}};
        }, "name"_a, "dtype"_a,
        "A scalar: one value of `dtype` per collection; occupies alignSize(itemsize, alignment) bytes.");
  m.def("eigen_column", [](std::string name, nb::handle dtype, std::pair<std::int32_t, std::int32_t> shape) {
          return Member{std::move(name), {MemberKind::eigen_column, dtype_from_python(dtype), shape.first, shape.second}};
        }, "name"_a, "dtype"_a, "shape"_a,
        "An Eigen column: a fixed (rows, cols) matrix of `dtype` per element, stored as rows * cols padded\n"
        "columns in Eigen's column-major coefficient order k = r + rows * c (CMS SoALayout.h).");

  nb::class_<Layout>(m, "Layout",
                     "An ordered list of members laid out as CMS GENERATE_SOA_LAYOUT does: declaration order,\n"
                     "each member padded to `alignment` bytes (a power of two, default 128).\n\n"
                     "Raises ValueError for an empty member list, a name that is not a C++ identifier or is\n"
                     "repeated, a non-positive Eigen shape, or an alignment that is not a power of two or is\n"
                     "smaller than an element.")
      .def(nb::init<std::vector<Member>, std::size_t, bool>(), "members"_a, "alignment"_a = kDefaultAlignment,
           "enforce_alignment"_a = false)
      .def_prop_ro("members", &Layout::members)
      .def_prop_ro("names", [](const Layout& l) {
        std::vector<std::string> out;
        for (const auto& mem : l.members()) out.push_back(mem.name);
        return out;
      })
      .def_prop_ro("alignment", &Layout::alignment, "Alignment in bytes.")
      .def_prop_ro("enforce_alignment", &Layout::enforce_alignment,
                   "True when wrapped buffers must start on an `alignment` boundary (CMS enforced mode).")
      .def("byte_size", &Layout::byte_size, "n"_a,
           "Bytes of a buffer holding n elements (CMS computeDataSize). ValueError unless 0 <= n < 2**31.")
      .def("offsets", [](const Layout& l, std::int64_t n) {
             nb::dict out;
             const auto offs = l.offsets(n);
             for (std::size_t i = 0; i < offs.size(); ++i) out[l.members()[i].name.c_str()] = offs[i];
             return out;
           }, "n"_a, "Member name -> byte offset from the buffer start, for n elements.")
      .def("offset", &Layout::offset, "name"_a, "n"_a, "Byte offset of member `name` for n elements.")
      .def("pitch", &Layout::pitch_bytes, "name"_a, "n"_a,
           "Padded bytes of one column of `name`: alignSize(n * itemsize, alignment) (one slot for a scalar).")
      .def("stride", &Layout::pitch_elements, "name"_a, "n"_a,
           "The pitch in elements of the member's dtype: the distance between Eigen coefficients k and k+1.")
      .def("__len__", [](const Layout& l) { return l.members().size(); })
      .def("__eq__", [](const Layout& a, const Layout& b) {
        if (a.alignment() != b.alignment() || a.members().size() != b.members().size()) return false;
        for (std::size_t i = 0; i < a.members().size(); ++i)
          if (a.members()[i].name != b.members()[i].name || a.members()[i].shape != b.members()[i].shape) return false;
        return true;
      })
      .def("__repr__", [](const Layout& l) {
        std::string s = "Layout([";
        for (const auto& mem : l.members()) s += (s.back() == '[' ? "" : ", ") + member_repr(mem);
        return s + "], alignment=" + std::to_string(l.alignment()) + ")";
      });
}

}  // namespace sofie_soa::bindings
