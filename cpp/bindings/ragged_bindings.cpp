// Python bindings of ragged views: SoA.ragged(...) over a constituent collection, RaggedTensor and its mask().
// Nothing is copied: the view holds addresses of the members and of the index columns (runtime/ragged.hpp).
#include <string>
#include <vector>

#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "bindings.hpp"

namespace sofie_soa::bindings {
using namespace nb::literals;
namespace {

/// One index column from Python: a sofie_soa Tensor of one feature (labelled by its column) or a 1-D integer
/// array (DLPack or buffer protocol; labelled `keyword`). Its owner goes to `owners`; it must be on `device`.
runtime::IndexColumn index_column(nb::handle obj, char const* keyword, Device device, nb::list& owners) {
  owners.append(obj);
  if (nb::isinstance<Tensor>(obj)) {
    Tensor const& t = nb::cast<Tensor const&>(obj);
    if (t.view.features.size() != 1)
      throw nb::value_error((std::string(keyword) + ": a tensor of one column is needed, this one has " +
                             std::to_string(t.view.features.size())).c_str());
    if (!(t.device == device))
      throw nb::value_error((std::string(keyword) + " is in " + t.device.name() + " memory, the constituents in " +
                             device.name()).c_str());
    Feature const& f = t.view.features[0];
    return {f.label, f.data, f.dtype, f.stride, t.view.n};
  }
  nb::ndarray<nb::ro> a;
  if (!nb::try_cast(obj, a, false))
    throw nb::type_error((std::string(keyword) + ": expected a 1-D integer array or a one-column sofie_soa Tensor, got " +
                          nb::type_name(obj.type()).c_str()).c_str());
  if (a.ndim() != 1)
    throw nb::value_error((std::string(keyword) + ": expected a 1-D array, got " + std::to_string(a.ndim()) +
                           " dimensions").c_str());
  const Device where{a.device_type(), a.device_id()};
  if (!(where == device))
    throw nb::value_error((std::string(keyword) + " is in " + where.name() + " memory, the constituents in " +
                           device.name()).c_str());
  owners.append(nb::cast(a));
  return {keyword, static_cast<std::byte const*>(a.data()), dtype_from_dlpack(a.dtype().code, a.dtype().bits),
          a.stride(0), static_cast<std::int64_t>(a.shape(0))};
}

RaggedTensor ragged(nb::handle self, std::vector<std::string> const& members, std::int64_t max_length,
                    nb::handle offsets, nb::handle begin, nb::handle count, nb::handle parent, nb::handle n,
                    std::string const& order, double pad) {
  SoA const& soa = nb::cast<SoA const&>(self);
  if (order != "CP" && order != "PC")
    throw nb::value_error(("order must be 'CP' ([n, C, P]) or 'PC' ([n, P, C]), got '" + order + "'").c_str());
  const auto o = order == "CP" ? runtime::RaggedOrder::CP : runtime::RaggedOrder::PC;
  const int forms = !offsets.is_none() + (!begin.is_none() || !count.is_none()) + !parent.is_none();
  if (forms != 1)
    throw nb::value_error("give the ranges one way: offsets=, begin= with count=, or parent= with n=");
  TensorView view = soa.view.tensor(members);
  nb::list owners;
  const std::int64_t parents = n.is_none() ? -1 : nb::cast<std::int64_t>(n);
  auto make = [&]() {
    if (!offsets.is_none())
      return runtime::RaggedView::from_offsets(view, index_column(offsets, "offsets", soa.device, owners),
                                               max_length, o, pad, parents);
    if (!parent.is_none()) {
      if (parents < 0) throw nb::value_error("parent= needs n=, the number of parents");
      return runtime::RaggedView::from_parents(view, index_column(parent, "parent", soa.device, owners), parents,
                                               max_length, o, pad);
    }
    if (begin.is_none() || count.is_none()) throw nb::value_error("begin= and count= go together");
    auto ragged = runtime::RaggedView::from_begin_count(view, index_column(begin, "begin", soa.device, owners),
                                                        index_column(count, "count", soa.device, owners),
                                                        max_length, o, pad);
    if (parents >= 0 && ragged.n() != parents)
      throw nb::value_error(("begin and count have " + std::to_string(ragged.n()) + " entries, n = " +
                             std::to_string(parents)).c_str());
    return ragged;
  };
  runtime::RaggedView made = make();
  if (soa.device.type == nb::device::cpu::value) made.validate();
  return RaggedTensor{nb::borrow(self), std::move(made), nb::tuple(owners), soa.writable, soa.device};
}

nb::tuple shape(RaggedTensor const& r) {
  const std::int64_t c = r.view.channels(), p = r.view.max_length();
  return r.view.order() == runtime::RaggedOrder::CP ? nb::make_tuple(r.view.n(), c, p) : nb::make_tuple(r.view.n(), p, c);
}

}  // namespace

void bind_ragged(nb::module_& m) {
  nb::class_<RaggedTensor>(m, "RaggedTensor",
                           "A ragged collection read in place as a padded tensor: members of a constituent SoA over\n"
                           "n parents, shape (n, C, P) (order 'CP') or (n, P, C) ('PC'). Element (i, c, p) is member c\n"
                           "of the parent's p-th constituent, or the pad value past its length; lists longer than P\n"
                           "are truncated to their first P. As a model input the kernels gather and pad in their\n"
                           "loads; as an output they write only at valid positions. Nothing is copied. mask() is the\n"
                           "(n, 1, P) mask, 1 at valid positions and 0 at padding, made from the lengths.")
      .def_prop_ro("n", [](RaggedTensor const& r) { return r.view.n(); }, "Parents (the element count).")
      .def_prop_ro("shape", &shape, "(n, C, P) or (n, P, C); (n, 1, P) for a mask.")
      .def_prop_ro("max_length", [](RaggedTensor const& r) { return r.view.max_length(); }, "P.")
      .def_prop_ro("order", [](RaggedTensor const& r) {
             return r.view.order() == runtime::RaggedOrder::CP ? "CP" : "PC";
           })
      .def_prop_ro("pad", [](RaggedTensor const& r) { return r.view.pad(); })
      .def_prop_ro("is_mask", [](RaggedTensor const& r) { return r.view.is_mask(); })
      .def_prop_ro("soa", [](RaggedTensor const& r) { return r.soa; }, "The constituent SoA.")
      .def_prop_ro("device", [](RaggedTensor const& r) { return r.device.name(); })
      .def_prop_ro("writable", [](RaggedTensor const& r) { return r.writable && !r.view.is_mask(); })
      .def("mask", [](RaggedTensor const& r) {
             return RaggedTensor{r.soa, r.view.mask(), r.index_owners, false, r.device};
           }, "The (n, 1, P) mask of this view: 1 where a constituent is, 0 at padding (bool, converted to the\n"
              "model's dtype on the fly); no buffer. Read-only.")
      .def("__repr__", [](RaggedTensor const& r) {
        std::string members;
        for (Feature const& f : r.view.members().features) members += (members.empty() ? "" : ", ") + f.label;
        const nb::tuple s = shape(r);
        return "RaggedTensor(shape=(" + std::to_string(nb::cast<std::int64_t>(s[0])) + ", " +
               std::to_string(nb::cast<std::int64_t>(s[1])) + ", " + std::to_string(nb::cast<std::int64_t>(s[2])) +
               "), " + (r.view.is_mask() ? std::string("mask") : "members=[" + members + "]") + ", order='" +
               (r.view.order() == runtime::RaggedOrder::CP ? "CP" : "PC") + "', device='" + r.device.name() + "')";
      });

  nb::handle soa_type = nb::type<SoA>();
  soa_type.attr("ragged") = nb::cpp_function(
      &ragged, nb::is_method(), nb::scope(soa_type), nb::name("ragged"), "members"_a, nb::kw_only(), "max_length"_a,
      "offsets"_a.none() = nb::none(), "begin"_a.none() = nb::none(), "count"_a.none() = nb::none(),
      "parent"_a.none() = nb::none(), "n"_a.none() = nb::none(), "order"_a = "CP", "pad"_a = 0.0,
      "A ragged view of this (constituent) SoA over n parents: a logical (n, C, P) tensor (order='CP';\n"
      "'PC': (n, P, C)) whose element (i, c, p) is member c of constituent begin(i) + p when p < length(i),\n"
      "else `pad`; lists longer than P = max_length are truncated to their first P (weaver-core's rule).\n"
      "members: member names or selectors as in tensor() (each keeps its dtype, converted on the fly).\n"
      "The ranges, one way: offsets= an [n + 1] integer column; begin= and count= two [n] integer columns;\n"
      "or parent= a parent index per constituent (sorted by parent) with n= (CMS style). Each is a 1-D\n"
      "integer array (e.g. parents['cand_begin'], a zero-copy column view) or a one-column Tensor; n= also\n"
      "checks the other forms' lengths. Nothing is copied.\n\n"
      "Raises ValueError naming the column and the first bad index for offsets that decrease, ranges past\n"
      "the collection, an unsorted or out-of-range parent index, a wrong length (n + 1 offsets), a\n"
      "non-integer dtype, or index columns on another device. In host memory the ranges are checked again\n"
      "at every infer (they may have changed); on CUDA the kernels clamp them to the collection instead.");
}

}  // namespace sofie_soa::bindings
