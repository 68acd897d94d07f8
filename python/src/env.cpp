// bellman.make and the Python Env: Gymnasium's reset/step API over a C++ bellman::Env.
#include <fmt/format.h>

#include <cmath>

#include "bellman/core/error.h"
#include "bellman/envs/registry.h"
#include "common.h"

namespace bellman::python {

namespace {

// gym.make(...).spec, reduced to what bellman knows.
struct PyEnvSpec {
  std::string id;
  std::optional<int64_t> max_episode_steps;  // None: no TimeLimit (Gymnasium's None)
  std::optional<double> reward_threshold;
  py::dict kwargs;
};

class PyEnv {
 public:
  PyEnv(std::unique_ptr<Env> env, std::optional<std::string> render_mode, py::dict kwargs)
      : env_(std::move(env)),
        render_mode_(std::move(render_mode)),
        kwargs_(std::move(kwargs)),
        obs_(env_->observation_space().byte_size()),
        action_(env_->action_space().byte_size()),
        info_kind_(InfoKindOf(*env_)),
        observation_space_(WrapSpace(env_->observation_space())),
        action_space_(WrapSpace(env_->action_space())) {}

  const std::string& id() const { return env_->spec().id; }

  py::tuple Reset(py::object seed, py::object options) {
    std::optional<uint64_t> s = SeedFromPython(seed, id() + ".reset");
    // Gymnasium's classic-control envs read options["low"/"high"] (initial-state bounds);
    // bellman's envs have no reset options, so refuse rather than silently ignore them.
    if (!options.is_none() && py::len(options) > 0) {
      throw Error(fmt::format("{}: reset options are not supported, got {}", id(),
                              py::repr(options).cast<std::string>()));
    }
    env_->Reset(s, obs_.data());
    return py::make_tuple(Obs(), ResetInfo(info_kind_, DiscreteObs()));
  }

  py::tuple Step(py::handle action) {
    ActionFromPython(env_->action_space(), action, action_.data(), id());
    double prob = 1.0;
    bool stepping = !env_->needs_reset() && env_->action_space().Contains(action_.data());
    if (info_kind_ != InfoKind::kNone && stepping) {
      prob = NextTransitionProb(*env_, *static_cast<const int64_t*>(action_.data()));
    }
    StepResult r = env_->Step(action_.data(), obs_.data());
    return py::make_tuple(Obs(), py::float_(r.reward), py::bool_(r.terminated),
                          py::bool_(r.truncated), StepInfo(info_kind_, prob, DiscreteObs()));
  }

  py::array_t<double> GetState() const {
    std::vector<double> s = env_->GetState();
    return py::array_t<double>(static_cast<py::ssize_t>(s.size()), s.data());
  }

  void SetState(py::handle state) {
    auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(state);
    if (!a) {
      throw Error(fmt::format("{}: set_state needs an array of numbers, got {}", id(),
                              py::repr(state).cast<std::string>()));
    }
    for (py::ssize_t i = 0; i < a.size(); ++i) {
      if (std::isnan(a.data()[i])) {
        throw Error(fmt::format("{}: set_state got NaN at index {}; a state is numbers", id(), i));
      }
    }
    env_->SetState(std::span<const double>(a.data(), static_cast<size_t>(a.size())));
  }

  // env.unwrapped.P as Gymnasium builds it: {s: {a: [(prob, next_state, reward, terminated)]}}.
  py::object P() {
    if (!env_->has_transition_model()) {
      throw py::attribute_error(
          fmt::format("{} has no tabular transition model (P); only FrozenLake, CliffWalking "
                      "and Taxi have one",
                      id()));
    }
    if (p_.is_none()) {
      const TransitionModel& model = env_->P();
      py::dict out;
      for (size_t s = 0; s < model.size(); ++s) {
        py::dict by_action;
        for (size_t a = 0; a < model[s].size(); ++a) {
          py::list entries;
          for (const Transition& t : model[s][a]) {
            entries.append(py::make_tuple(t.prob, t.next_state, t.reward, t.terminated));
          }
          by_action[py::int_(a)] = entries;
        }
        out[py::int_(s)] = by_action;
      }
      p_ = out;
    }
    return p_;
  }

  PyEnvSpec Spec() const {
    const EnvSpec& s = env_->spec();
    PyEnvSpec out{s.id, std::nullopt, s.reward_threshold, kwargs_};
    if (s.max_episode_steps > 0) out.max_episode_steps = s.max_episode_steps;
    return out;
  }

  std::string Render() const { return env_->Render(); }

  PyEnv Clone() const { return PyEnv(env_->Clone(), render_mode_, kwargs_); }

  const std::optional<std::string>& render_mode() const { return render_mode_; }
  const py::object& observation_space() const { return observation_space_; }
  const py::object& action_space() const { return action_space_; }
  const Env& env() const { return *env_; }

 private:
  py::object Obs() const { return ObsToPython(env_->observation_space(), obs_.data()); }
  int64_t DiscreteObs() const {
    if (env_->observation_space().kind() != Space::Kind::kDiscrete) return 0;
    return *static_cast<const int64_t*>(obs_.data());
  }

  std::unique_ptr<Env> env_;
  std::optional<std::string> render_mode_;
  py::dict kwargs_;
  Buffer obs_, action_;
  InfoKind info_kind_;
  py::object observation_space_, action_space_;
  py::object p_ = py::none();
};

}  // namespace

void BindEnv(py::module_& m) {
  py::class_<PyEnvSpec>(m, "EnvSpec", "The id and TimeLimit of a made env (gym's env.spec).")
      .def_readonly("id", &PyEnvSpec::id)
      .def_readonly("max_episode_steps", &PyEnvSpec::max_episode_steps)
      .def_readonly("reward_threshold", &PyEnvSpec::reward_threshold)
      .def_readonly("kwargs", &PyEnvSpec::kwargs)
      .def("__repr__", [](const PyEnvSpec& s) {
        return fmt::format("EnvSpec(id='{}', max_episode_steps={}, reward_threshold={})", s.id,
                           s.max_episode_steps ? std::to_string(*s.max_episode_steps) : "None",
                           s.reward_threshold
                               ? py::repr(py::float_(*s.reward_threshold)).cast<std::string>()
                               : "None");
      });

  py::class_<PyEnv>(m, "Env", "A bellman environment with Gymnasium's API (see bellman.make).")
      .def("reset", &PyEnv::Reset, py::kw_only(), py::arg("seed") = py::none(),
           py::arg("options") = py::none(),
           "reset(*, seed=None, options=None) -> (obs, info). A seed re-seeds the env's "
           "generator exactly as Gymnasium's does.")
      .def("step", &PyEnv::Step, py::arg("action"),
           "step(action) -> (obs, reward, terminated, truncated, info).")
      .def("get_state", &PyEnv::GetState,
           "The full simulator state as a float64 array (classic control: env.unwrapped.state).")
      .def("set_state", &PyEnv::SetState, py::arg("state"),
           "Restores a state from get_state(); the episode continues from it.")
      .def("render", &PyEnv::Render, "The current state as text (render_mode 'ansi').")
      .def("close", [](PyEnv&) {})
      .def("clone", &PyEnv::Clone, "An independent copy: state, generator and step counter.")
      .def_property_readonly("P", &PyEnv::P)
      .def_property_readonly("spec", &PyEnv::Spec)
      .def_property_readonly("observation_space", &PyEnv::observation_space)
      .def_property_readonly("action_space", &PyEnv::action_space)
      .def_property_readonly("render_mode", &PyEnv::render_mode)
      .def_property_readonly("elapsed_steps",
                             [](const PyEnv& e) { return e.env().elapsed_steps(); })
      .def_property_readonly("unwrapped", [](py::object self) { return self; })
      .def_property_readonly("metadata",
                             [](const PyEnv&) {
                               py::dict d;
                               d["render_modes"] = py::make_tuple("ansi");
                               return d;
                             })
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyEnv&, py::args) { return false; })
      .def("__repr__", [](const PyEnv& e) { return fmt::format("<bellman.Env<{}>>", e.id()); });

  m.def(
      "make",
      [](const std::string& id, py::kwargs kwargs) {
        py::dict env_kwargs;
        py::object render_mode = py::none();
        for (auto [k, v] : kwargs) {
          std::string key = py::str(k);
          if (key == "render_mode") {
            render_mode = py::reinterpret_borrow<py::object>(v);
          } else if (key == "disable_env_checker") {
            // bellman has no env checker; accepted so that gym.make calls carry over.
          } else {
            env_kwargs[k] = v;
          }
        }
        std::optional<std::string> mode = CheckRenderMode(render_mode, id);
        EnvArgs args = EnvArgsFromKwargs(env_kwargs, id);
        return PyEnv(MakeEnv(id, args), mode, env_kwargs);
      },
      py::arg("id"),
      "make(id, **kwargs): Gymnasium's gym.make. kwargs go to the env (is_slippery, map_name, "
      "desc, max_episode_steps, ...); unknown ones raise bellman.Error.");

  m.def("envs", &EnvIds, "All registered environment ids, sorted.");
}

}  // namespace bellman::python
