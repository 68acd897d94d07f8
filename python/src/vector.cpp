// bellman.make_vec: N envs stepped as one batch (Gymnasium's vector API with same-step
// autoreset), numpy arrays in and out, the GIL released while the envs step.
#include <fmt/format.h>

#include <random>

#include "bellman/core/error.h"
#include "bellman/envs/env_pool.h"
#include "bellman/envs/vector_env.h"
#include "common.h"

namespace bellman::python {

namespace {

py::module_ Numpy() { return py::module_::import("numpy"); }

template <typename T>
py::array CopyArray(std::span<const T> v) {
  return py::array_t<T>(static_cast<py::ssize_t>(v.size()), v.data());
}

py::array BoolArray(std::span<const uint8_t> v) {
  py::array_t<bool> out(static_cast<py::ssize_t>(v.size()));
  for (size_t i = 0; i < v.size(); ++i) out.mutable_at(i) = v[i] != 0;
  return out;
}

// gymnasium.vector.utils.batch_space for the spaces bellman's envs use: Box -> Box with the
// bounds stacked N times, Discrete(n) -> MultiDiscrete([n] * N); None where bellman's spaces
// cannot express the batch (Tuple, Discrete with start != 0).
py::object BatchSpace(const Space& s, int n) {
  if (s.kind() == Space::Kind::kBox) {
    std::vector<double> low, high;
    for (int i = 0; i < n; ++i) {
      low.insert(low.end(), s.low().begin(), s.low().end());
      high.insert(high.end(), s.high().begin(), s.high().end());
    }
    std::vector<int64_t> shape{n};
    shape.insert(shape.end(), s.shape().begin(), s.shape().end());
    return WrapSpace(Space::Box(low, high, shape, s.dtype()));
  }
  if (s.kind() == Space::Kind::kDiscrete && s.start() == 0) {
    return WrapSpace(Space::MultiDiscrete(std::vector<int64_t>(static_cast<size_t>(n), s.n())));
  }
  return py::none();
}

class PyVecEnv {
 public:
  PyVecEnv(std::unique_ptr<VecEnv> vec, int num_threads)
      : vec_(std::move(vec)),
        num_threads_(num_threads),
        single_observation_space_(WrapSpace(vec_->observation_space())),
        single_action_space_(WrapSpace(vec_->action_space())),
        observation_space_(BatchSpace(vec_->observation_space(), vec_->num_envs())),
        action_space_(BatchSpace(vec_->action_space(), vec_->num_envs())) {}

  const std::string& id() const { return vec_->spec().id; }
  int num_envs() const { return vec_->num_envs(); }

  py::tuple Reset(py::object seed, py::object options) {
    std::optional<uint64_t> s = SeedFromPython(seed, id() + " make_vec reset");
    if (!options.is_none() && py::len(options) > 0) {
      throw Error(fmt::format("{}: reset options are not supported, got {}", id(),
                              py::repr(options).cast<std::string>()));
    }
    // Without a seed every env still needs one: draw a base seed from OS entropy, as
    // Gymnasium seeds each sub-env from entropy.
    uint64_t base = 0;
    if (s) {
      base = *s;
    } else {
      std::random_device rd;
      base = ((static_cast<uint64_t>(rd()) << 32) | rd()) >> 1;
    }
    {
      py::gil_scoped_release release;
      vec_->Reset(base);
    }
    return py::make_tuple(Obs(), py::dict());
  }

  py::tuple Step(py::handle actions) {
    const Space& as = vec_->action_space();
    const auto n = static_cast<py::ssize_t>(num_envs());
    py::module_ np = Numpy();
    py::object a = np.attr("asarray")(actions);
    if (as.kind() == Space::Kind::kDiscrete) {
      std::string kind = py::str(a.attr("dtype").attr("kind"));
      if (kind != "i" && kind != "u" && kind != "b") {
        throw Error(fmt::format("{} make_vec: actions must be integers for {}, got dtype {}", id(),
                                as.ToString(), py::str(a.attr("dtype")).cast<std::string>()));
      }
      auto ints = np.attr("ascontiguousarray")(a, py::arg("dtype") = np.attr("int64"))
                      .cast<py::array_t<int64_t>>();
      if (ints.ndim() != 1 || ints.shape(0) != n) {
        throw Error(fmt::format("{} make_vec: actions must have shape ({},), got {}", id(), n,
                                py::str(ints.attr("shape")).cast<std::string>()));
      }
      std::span<const int64_t> span(ints.data(), static_cast<size_t>(n));
      py::gil_scoped_release release;
      vec_->Step(span);
    } else if (as.kind() == Space::Kind::kBox) {
      auto floats = np.attr("ascontiguousarray")(a, py::arg("dtype") = np.attr("float32"))
                        .cast<py::array_t<float>>();
      if (floats.size() != n * as.flat_size() || floats.ndim() == 0 || floats.shape(0) != n) {
        throw Error(fmt::format("{} make_vec: actions must have shape ({}, {}) for {}, got {}",
                                id(), n, as.flat_size(), as.ToString(),
                                py::str(floats.attr("shape")).cast<std::string>()));
      }
      std::span<const float> span(floats.data(), static_cast<size_t>(floats.size()));
      py::gil_scoped_release release;
      vec_->Step(span);
    } else {
      throw Error(
          fmt::format("{} make_vec: action space {} is not supported", id(), as.ToString()));
    }
    return py::make_tuple(Obs(), CopyArray(vec_->rewards()), BoolArray(vec_->terminated()),
                          BoolArray(vec_->truncated()), StepInfo());
  }

  py::object observation_space() const { return observation_space_; }
  py::object action_space() const { return action_space_; }
  py::object single_observation_space() const { return single_observation_space_; }
  py::object single_action_space() const { return single_action_space_; }
  int num_threads() const { return num_threads_; }
  const VecEnv& vec() const { return *vec_; }

 private:
  py::object Obs() const {
    return BatchToPython(vec_->observation_space(), vec_->obs_data(), num_envs());
  }

  // Gymnasium's same-step autoreset info: for each env that ended, final_obs[i] (an object
  // array, None elsewhere) and final_info[i], each with its "_key" mask; plus
  // RecordEpisodeStatistics' "episode" {"r", "l"} of the finished episodes.
  py::dict StepInfo() const {
    py::dict info;
    std::span<const uint8_t> done = vec_->has_final_obs();
    bool any = false;
    for (uint8_t d : done) any = any || d != 0;
    if (!any) return info;
    const Space& os = vec_->observation_space();
    const auto* final_obs = static_cast<const std::byte*>(vec_->final_obs_data());
    py::array final_array =
        Numpy().attr("full")(num_envs(), py::none(), py::arg("dtype") = "object");
    for (int i = 0; i < num_envs(); ++i) {
      if (done[i]) {
        final_array.attr("__setitem__")(
            i, ObsToPython(os, final_obs + static_cast<size_t>(i) * vec_->obs_bytes()));
      }
    }
    py::array mask = BoolArray(done);
    info["final_obs"] = final_array;
    info["_final_obs"] = mask;
    info["final_info"] = py::dict();
    info["_final_info"] = mask.attr("copy")();
    py::array_t<double> r(num_envs());
    py::array_t<int64_t> l(num_envs());
    for (int i = 0; i < num_envs(); ++i) {
      r.mutable_at(i) = done[i] ? vec_->episode_return()[i] : 0.0;
      l.mutable_at(i) = done[i] ? vec_->episode_length()[i] : 0;
    }
    py::dict episode;
    episode["r"] = r;
    episode["l"] = l;
    info["episode"] = episode;
    info["_episode"] = mask.attr("copy")();
    return info;
  }

  std::unique_ptr<VecEnv> vec_;
  int num_threads_;
  py::object single_observation_space_, single_action_space_;
  py::object observation_space_, action_space_;
};

std::unique_ptr<VecEnv> MakeVecEnv(const std::string& id, int num_envs, int num_threads,
                                   const EnvArgs& args) {
  if (num_threads < 1) {
    throw Error(fmt::format("make_vec({}): num_threads must be >= 1, got {}", id, num_threads));
  }
  // One thread: the sequential VectorEnv. More: EnvPool in sync mode, whose results are
  // bit-identical to the sequential ones (each env owns its generator).
  if (num_threads == 1) return std::make_unique<VectorEnv>(id, num_envs, args);
  return std::make_unique<EnvPool>(id, num_envs, args, num_threads);
}

}  // namespace

void BindVectorEnv(py::module_& m) {
  py::class_<PyVecEnv>(m, "VectorEnv",
                       "N envs stepped as a batch with same-step autoreset (see make_vec).")
      .def("reset", &PyVecEnv::Reset, py::kw_only(), py::arg("seed") = py::none(),
           py::arg("options") = py::none(),
           "reset(*, seed=None, options=None) -> (obs, info); env i is reset with seed + i.")
      .def("step", &PyVecEnv::Step, py::arg("actions"),
           "step(actions) -> (obs, rewards, terminated, truncated, info). Envs that end are "
           "reset in the same step; their last observation is info['final_obs'][i].")
      .def("close", [](PyVecEnv&) {})
      .def_property_readonly("num_envs", &PyVecEnv::num_envs)
      .def_property_readonly("num_threads", &PyVecEnv::num_threads)
      .def_property_readonly("observation_space", &PyVecEnv::observation_space)
      .def_property_readonly("action_space", &PyVecEnv::action_space)
      .def_property_readonly("single_observation_space", &PyVecEnv::single_observation_space)
      .def_property_readonly("single_action_space", &PyVecEnv::single_action_space)
      .def_property_readonly("autoreset_mode", [](const PyVecEnv&) { return "same_step"; })
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyVecEnv&, py::args) { return false; })
      .def("__repr__", [](const PyVecEnv& v) {
        return fmt::format("<bellman.VectorEnv({}, num_envs={})>", v.id(), v.num_envs());
      });

  m.def(
      "make_vec",
      [](const std::string& id, int num_envs, int num_threads, py::kwargs kwargs) {
        py::dict env_kwargs;
        for (auto [k, v] : kwargs) {
          std::string key = py::str(k);
          if (key == "render_mode") {
            CheckRenderMode(v, id);
          } else if (key == "vectorization_mode") {
            // Gymnasium's "sync"/"async": bellman picks by num_threads; accepted for
            // compatibility of gym.make_vec calls.
          } else {
            env_kwargs[k] = v;
          }
        }
        EnvArgs args = EnvArgsFromKwargs(env_kwargs, id);
        return PyVecEnv(MakeVecEnv(id, num_envs, num_threads, args), num_threads);
      },
      py::arg("id"), py::arg("num_envs") = 1, py::arg("num_threads") = 1,
      "make_vec(id, num_envs=1, num_threads=1, **kwargs): a vector env of num_envs copies of "
      "make(id, **kwargs) with same-step autoreset.");
}

}  // namespace bellman::python
