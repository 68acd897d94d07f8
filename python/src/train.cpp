// bellman.train and bellman.load: the trainer of src/train/ (the same code as `bellman train`)
// and loaded greedy policies, from Python (docs/dqn.md, "Python").
#include "bellman/train/train.h"

#include <fmt/format.h>

#include "bellman/core/error.h"
#include "common.h"

namespace bellman::python {

namespace {

// A Python value as the YAML text of an override value: 0.001, true, [64, 64], adam.
std::string YamlValue(py::handle v, const std::string& key) {
  if (v.is_none()) return "null";
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>() ? "true" : "false";
  if (py::isinstance<py::int_>(v)) return std::to_string(v.cast<int64_t>());
  // fmt's shortest round-trip form (0.001, 1e-05): the YAML reader gets the exact double back.
  if (py::isinstance<py::float_>(v)) return fmt::format("{}", v.cast<double>());
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::isinstance<py::dict>(v)) {  // env_kwargs={"is_slippery": False}
    std::vector<std::string> items;
    for (const auto& [k, x] : v.cast<py::dict>()) {
      const std::string name = py::str(k).cast<std::string>();
      items.push_back(fmt::format("{}: {}", name, YamlValue(x, key + "." + name)));
    }
    return fmt::format("{{{}}}", fmt::join(items, ", "));
  }
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    std::vector<std::string> items;
    for (py::handle x : v) items.push_back(YamlValue(x, key));
    return fmt::format("[{}]", fmt::join(items, ", "));
  }
  // NumPy scalars and other numbers.
  if (py::hasattr(v, "__index__")) return std::to_string(v.attr("__index__")().cast<int64_t>());
  if (py::hasattr(v, "__float__")) return fmt::format("{}", v.attr("__float__")().cast<double>());
  throw Error(fmt::format("bellman.train: {}={} is not a bool, number, string or list", key,
                          py::repr(v).cast<std::string>()));
}

std::string Repr(const train::EvalResult& e) {
  return fmt::format("EvalResult(mean={}, std={}, episodes={}, seed={})", e.mean, e.std,
                     e.returns.size(), e.seed);
}

// obs as a C-contiguous array of the observation space's dtype; returns the number of
// observations (0 for a single one) after checking the shape.
template <class T>
py::array_t<T, py::array::c_style | py::array::forcecast> Observations(py::handle obs,
                                                                       const Space& space,
                                                                       int64_t* n, bool* single) {
  auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(obs);
  if (!a) {
    throw Error(fmt::format("Policy.act: cannot read {} as observations of {}",
                            py::repr(obs).cast<std::string>(), space.ToString()));
  }
  const std::vector<int64_t>& shape = space.shape();
  const auto rank = static_cast<py::ssize_t>(shape.size());
  auto matches = [&](py::ssize_t offset) {
    for (py::ssize_t k = 0; k < rank; ++k) {
      if (a.shape(offset + k) != shape[static_cast<size_t>(k)]) return false;
    }
    return true;
  };
  if (a.ndim() == rank && matches(0)) {
    *n = 1;
    *single = true;
  } else if (a.ndim() == rank + 1 && matches(1)) {
    *n = a.shape(0);
    *single = false;
  } else {
    std::vector<py::ssize_t> got(a.shape(), a.shape() + a.ndim());
    throw Error(fmt::format(
        "Policy.act: observations must have shape ({}) for one or (n, {}) for a batch, got "
        "shape ({})",
        fmt::join(shape, ", "), fmt::join(shape, ", "), fmt::join(got, ", ")));
  }
  return a;
}

py::object ActOrSample(train::Policy& policy, py::handle obs, bool explore) {
  const Space& space = policy.observation_space();
  const Space& action_space = policy.action_space();
  const bool box_actions = action_space.kind() == Space::Kind::kBox;
  int64_t n = 0;
  bool single = false;
  py::array actions;
  auto run = [&](const void* data) {
    if (box_actions) {
      // Rows of float32[dim]: (n, *shape) for a batch, (*shape) for one observation.
      std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(n)};
      for (int64_t d : action_space.shape()) shape.push_back(static_cast<py::ssize_t>(d));
      py::array_t<float> a(shape);
      explore ? policy.Sample(data, n, a.mutable_data()) : policy.Act(data, n, a.mutable_data());
      actions = a;
    } else {
      py::array_t<int64_t> a(n);
      explore ? policy.Sample(data, n, a.mutable_data()) : policy.Act(data, n, a.mutable_data());
      actions = a;
    }
  };
  if (space.kind() == Space::Kind::kDiscrete) {
    run(Observations<int64_t>(obs, space, &n, &single).data());
  } else if (space.kind() == Space::Kind::kBox && space.dtype() == DType::kFloat32) {
    run(Observations<float>(obs, space, &n, &single).data());
  } else if (space.kind() == Space::Kind::kBox && space.dtype() == DType::kFloat64) {
    run(Observations<double>(obs, space, &n, &single).data());
  } else if (space.kind() == Space::Kind::kBox && space.dtype() == DType::kUint8) {
    run(Observations<uint8_t>(obs, space, &n, &single).data());
  } else {
    throw Error(fmt::format("Policy.act: observation space {} is not supported", space.ToString()));
  }
  if (single) {
    if (box_actions) return actions[py::int_(0)];
    return py::int_(py::array_t<int64_t>(actions).at(0));
  }
  return actions;
}

py::object Act(train::Policy& policy, py::handle obs) { return ActOrSample(policy, obs, false); }
py::object Sample(train::Policy& policy, py::handle obs) { return ActOrSample(policy, obs, true); }

// Q(s, a) of a run's critic for a batch: obs (n, *obs_shape) float, actions (n, *action_shape).
py::array_t<double> QValues(train::Policy& policy, py::handle obs, py::handle actions) {
  const Space& space = policy.observation_space();
  const Space& as = policy.action_space();
  if (space.kind() != Space::Kind::kBox || as.kind() != Space::Kind::kBox) {
    throw Error(
        fmt::format("Policy.q_values: needs Box observations and actions, the run has {} "
                    "and {}",
                    space.ToString(), as.ToString()));
  }
  int64_t n = 0, n_actions = 0;
  bool single = false, single_action = false;
  auto a = Observations<float>(actions, as, &n_actions, &single_action);
  auto run = [&](const void* data) {
    if (single != single_action || n != n_actions) {
      throw Error(fmt::format("Policy.q_values: {} observations but {} actions", n, n_actions));
    }
    py::array_t<double> q(n);
    policy.QValues(data, a.data(), n, q.mutable_data());
    return q;
  };
  if (space.dtype() == DType::kFloat64)
    return run(Observations<double>(obs, space, &n, &single).data());
  return run(Observations<float>(obs, space, &n, &single).data());
}

}  // namespace

void BindTrain(py::module_& m) {
  py::class_<train::EvalResult>(
      m, "EvalResult", "Greedy evaluation: episode i played on an env reset with seed + i.")
      .def_readonly("mean", &train::EvalResult::mean)
      .def_readonly("std", &train::EvalResult::std, "population std (ddof 0)")
      .def_readonly("returns", &train::EvalResult::returns)
      .def_readonly("seed", &train::EvalResult::seed)
      .def("__repr__", &Repr);

  py::class_<train::TrainResult>(m, "TrainResult",
                                 "What bellman.train returns; unpacks as (run_dir, final_eval).")
      .def_readonly("run_dir", &train::TrainResult::run_dir)
      .def_readonly("final_eval", &train::TrainResult::final_eval)
      .def_readonly("last_eval", &train::TrainResult::last_eval,
                    "mean of the last periodic evaluation (NaN if none ran)")
      .def_readonly("env_steps", &train::TrainResult::env_steps)
      .def_readonly("gradient_steps", &train::TrainResult::gradient_steps)
      .def_readonly("wall_seconds", &train::TrainResult::wall_seconds)
      .def_property_readonly("profile",
                             [](const train::TrainResult& r) {
                               py::dict d;
                               for (const auto& [name, s] : r.profile) d[name.c_str()] = s;
                               return d;
                             })
      .def("__iter__",
           [](const train::TrainResult& r) {
             return py::iter(py::make_tuple(r.run_dir, py::cast(r.final_eval)));
           })
      .def("__repr__", [](const train::TrainResult& r) {
        return fmt::format("TrainResult(run_dir='{}', final_eval={}, env_steps={})", r.run_dir,
                           Repr(r.final_eval), r.env_steps);
      });

  m.def(
      "train",
      [](const std::string& algo, const std::string& env, py::object seed, py::object config,
         py::object run_dir, const std::string& runs_root, bool progress, bool verbose,
         py::object set, py::kwargs overrides) {
        train::TrainOptions o;
        o.algo = algo;
        o.env = env;
        if (!seed.is_none()) o.seed = static_cast<int64_t>(*SeedFromPython(seed, "bellman.train"));
        if (!config.is_none()) o.config_path = py::str(config).cast<std::string>();
        if (!run_dir.is_none()) o.run_dir = py::str(run_dir).cast<std::string>();
        o.runs_root = runs_root;
        o.progress = progress;
        o.verbose = verbose;
        // Keyword overrides: `gamma=0.98` (the algorithm's section, as `--set gamma=0.98`),
        // `n_timesteps=20000` (a trainer key), `dqn__net__hidden_sizes=[32, 32]` ("__" = ".").
        for (const auto& [k, v] : overrides) {
          std::string key = k.cast<std::string>();
          for (size_t p; (p = key.find("__")) != std::string::npos;) key.replace(p, 2, ".");
          o.overrides.push_back(key + "=" + YamlValue(v, key));
        }
        // set={"dqn.lr": 1e-3}: dotted keys as the CLI's --set, applied after the keywords.
        // Or set=["dqn.lr=1e-3", ...]: the CLI's --set strings as they are.
        if (!set.is_none()) {
          if (py::isinstance<py::dict>(set)) {
            for (const auto& [k, v] : set.cast<py::dict>()) {
              const std::string key = py::str(k).cast<std::string>();
              o.overrides.push_back(key + "=" + YamlValue(v, key));
            }
          } else if (py::isinstance<py::list>(set) || py::isinstance<py::tuple>(set)) {
            for (py::handle item : set) {
              if (!py::isinstance<py::str>(item)) {
                throw Error(
                    fmt::format("bellman.train: set items must be 'key=value' strings, got {}",
                                py::repr(item).cast<std::string>()));
              }
              o.overrides.push_back(item.cast<std::string>());
            }
          } else {
            throw Error(fmt::format(
                "bellman.train: set must be a dict {{'dqn.lr': 1e-3}} or a list of 'key=value' "
                "strings, got {}",
                py::repr(set).cast<std::string>()));
          }
        }
        train::TrainResult r;
        {
          // Training never calls back into Python: other Python threads run meanwhile.
          py::gil_scoped_release release;
          r = train::Train(o);
        }
        return r;
      },
      py::arg("algo") = "dqn", py::arg("env") = "CartPole-v1", py::arg("seed") = py::none(),
      py::arg("config") = py::none(), py::arg("run_dir") = py::none(),
      py::arg("runs_root") = "runs", py::arg("progress") = false, py::arg("verbose") = false,
      py::arg("set") = py::none(),
      R"(Trains `algo` on `env` like `bellman train` and returns a TrainResult (run_dir,
final_eval, env_steps, gradient_steps, wall_seconds, last_eval, profile), which also unpacks
as `run_dir, final_eval = bellman.train(...)`.

config: a YAML file (default: the preset configs/<algo>/<env>.yaml). Config keys as keywords:
trainer keys (n_timesteps=20000, eval_freq=1000, profile=True) or the algorithm's (lr=1e-3,
gamma=0.98); "__" separates nested keys (dqn__net__hidden_sizes=[32, 32]). Or set={"dqn.lr":
1e-3} with dotted keys, or set=["dqn.lr=1e-3"] as the CLI's --set. The GIL is released while training.)");

  py::class_<train::Policy>(m, "Policy", "A trained greedy policy (bellman.load).")
      .def("act", &Act, py::arg("obs"),
           "Greedy action(s): one observation -> int, a batch (n, *obs_shape) -> int64 array")
      .def("sample", &Sample, py::arg("obs"),
           "Exploring action(s) drawn from the run's behaviour policy (a Gaussian sample, action "
           "noise): Best-of-N's candidates")
      .def("q_values", &QValues, py::arg("obs"), py::arg("actions"),
           "Q(s, a) of the run's critic (iql, cql, td3_bc, td3, sac) for a batch of observations "
           "and actions: float64 array (n,)")
      .def_property_readonly("algo", &train::Policy::algo)
      .def_property_readonly("env_id", &train::Policy::env_id)
      .def_property_readonly("eval_seed", &train::Policy::eval_seed,
                             "periodic evaluations reset env i with eval_seed + i")
      .def_property_readonly("final_eval_seed", &train::Policy::final_eval_seed,
                             "the final evaluation reset env i with final_eval_seed + i")
      .def_property_readonly(
          "observation_space",
          [](const train::Policy& p) { return WrapSpace(p.observation_space()); })
      .def_property_readonly("action_space",
                             [](const train::Policy& p) { return WrapSpace(p.action_space()); });

  m.def(
      "load",
      [](py::object path) {
        return std::make_unique<train::Policy>(py::str(path).cast<std::string>());
      },
      py::arg("path"),
      "Loads the greedy policy of a run directory (its latest checkpoint), a checkpoints/ "
      "directory or one checkpoints/step_<N> directory.");
}

}  // namespace bellman::python
