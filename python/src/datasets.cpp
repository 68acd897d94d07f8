// bellman.datasets.load: a Minari folder or D4RL file as NumPy arrays over the C++ reader's
// columns (zero-copy: each array's base keeps the Dataset alive), checked as the CLI checks it.
#include <pybind11/numpy.h>

#include <memory>

#include "bellman/io/dataset.h"
#include "common.h"

namespace bellman::python {

namespace {

// A read-only view of `data` (rows x row_shape of dtype) owned by `owner`.
py::array View(const std::shared_ptr<io::Dataset>& owner, const void* data, py::dtype dtype,
               int64_t rows, const std::vector<int64_t>& row_shape) {
  std::vector<py::ssize_t> shape = {static_cast<py::ssize_t>(rows)};
  for (int64_t d : row_shape) shape.push_back(static_cast<py::ssize_t>(d));
  py::capsule base(new std::shared_ptr<io::Dataset>(owner),
                   [](void* p) { delete static_cast<std::shared_ptr<io::Dataset>*>(p); });
  py::array a(dtype, shape, {}, data, base);
  a.attr("setflags")(py::arg("write") = false);
  return a;
}

std::vector<int64_t> RowShape(const Space& s) {
  return s.kind() == Space::Kind::kBox ? s.shape() : std::vector<int64_t>{};
}

py::dict Load(const std::string& path) {
  auto d = std::make_shared<io::Dataset>(io::ReadDataset(path));
  py::dict out;
  const Space& os = d->observation_space();
  const Space& as = d->action_space();
  out["observations"] = View(d, d->observations().data(), NumpyDType(os.dtype()),
                             d->total_steps() + d->num_episodes(), RowShape(os));
  out["actions"] =
      View(d, d->actions().data(), NumpyDType(as.dtype()), d->total_steps(), RowShape(as));
  out["rewards"] = View(d, d->rewards().data(), py::dtype::of<double>(), d->total_steps(), {});
  out["terminations"] = View(d, d->terminations().data(), py::dtype("bool"), d->total_steps(), {});
  out["truncations"] = View(d, d->truncations().data(), py::dtype("bool"), d->total_steps(), {});
  std::vector<int64_t> first, steps;
  py::list seeds;
  for (int64_t e = 0; e < d->num_episodes(); ++e) {
    first.push_back(d->first_step(e));
    steps.push_back(d->steps(e));
    seeds.append(d->seed(e) ? py::cast(*d->seed(e)) : py::none());
  }
  out["episode_first_step"] = py::array(py::cast(first));
  out["episode_steps"] = py::array(py::cast(steps));
  out["episode_seeds"] = seeds;
  out["observation_space"] = WrapSpace(os);
  out["action_space"] = WrapSpace(as);
  const io::DatasetMetadata& m = d->metadata();
  out["dataset_id"] = m.dataset_id;
  out["env_id"] = m.env_id;
  out["ref_min_score"] = m.ref_min_score ? py::cast(*m.ref_min_score) : py::none();
  out["ref_max_score"] = m.ref_max_score ? py::cast(*m.ref_max_score) : py::none();
  return out;
}

}  // namespace

void BindDatasets(py::module_& m) {
  m.def("_load_dataset", &Load, py::arg("path"),
        "Columns of a Minari dataset folder or D4RL file (use bellman.datasets.load).");
}

}  // namespace bellman::python
