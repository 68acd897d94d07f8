// bellman.make_multi_agent: the multi-agent envs (envs/multi_agent.h) with PettingZoo's parallel
// API: agents named "player_0", "player_1", ...; reset/step take and return dicts keyed by them;
// `agents` empties when the episode ends.
#include "bellman/envs/multi_agent.h"

#include <fmt/format.h>

#include "bellman/core/error.h"
#include "common.h"

namespace bellman::python {

namespace {

class PyMultiAgentEnv {
 public:
  PyMultiAgentEnv(std::unique_ptr<MultiAgentEnv> env, py::dict kwargs)
      : env_(std::move(env)), kwargs_(std::move(kwargs)) {
    for (int64_t i = 0; i < env_->num_agents(); ++i) {
      names_.push_back(fmt::format("player_{}", i));
      obs_.emplace_back(env_->observation_space(i).byte_size());
      observation_spaces_.push_back(WrapSpace(env_->observation_space(i)));
      action_spaces_.push_back(WrapSpace(env_->action_space(i)));
    }
  }

  const std::string& id() const { return env_->id(); }
  py::list PossibleAgents() const { return py::cast(names_); }
  py::list Agents() const { return running_ ? py::cast(names_) : py::list(); }

  py::object ObservationSpace(const std::string& agent) const {
    return observation_spaces_[Index(agent)];
  }
  py::object ActionSpace(const std::string& agent) const { return action_spaces_[Index(agent)]; }

  py::tuple Reset(py::object seed, py::object options) {
    std::optional<uint64_t> s = SeedFromPython(seed, id() + ".reset");
    if (!options.is_none() && py::len(options) > 0) {
      throw Error(fmt::format("{}: reset options are not supported, got {}", id(),
                              py::repr(options).cast<std::string>()));
    }
    env_->Reset(s, Pointers());
    running_ = true;
    py::dict infos;
    for (const std::string& n : names_) infos[py::str(n)] = py::dict();
    return py::make_tuple(Observations(), infos);
  }

  py::tuple Step(const py::dict& actions) {
    if (static_cast<int64_t>(py::len(actions)) != env_->num_agents()) {
      throw Error(fmt::format("{}: step needs one action per agent ({}), got {} entries", id(),
                              fmt::join(names_, ", "), py::len(actions)));
    }
    std::vector<int64_t> a(names_.size());
    for (size_t i = 0; i < names_.size(); ++i) {
      py::str key(names_[i]);
      if (!actions.contains(key)) {
        throw Error(fmt::format("{}: step has no action for {}", id(), names_[i]));
      }
      ActionFromPython(env_->action_space(static_cast<int64_t>(i)), actions[key], &a[i],
                       fmt::format("{} ({})", id(), names_[i]));
    }
    const JointStepResult r = env_->Step(a, Pointers());
    py::dict rewards, terminations, truncations, infos;
    for (size_t i = 0; i < names_.size(); ++i) {
      py::str key(names_[i]);
      rewards[key] = py::float_(r.rewards[i]);
      terminations[key] = py::bool_(r.terminated);
      truncations[key] = py::bool_(r.truncated);
      infos[key] = py::dict();
    }
    if (r.terminated || r.truncated) running_ = false;
    return py::make_tuple(Observations(), rewards, terminations, truncations, infos);
  }

  std::string Render() const { return env_->Render(); }
  py::array_t<double> State() const {
    std::vector<double> s = env_->GetState();
    return py::array_t<double>(static_cast<py::ssize_t>(s.size()), s.data());
  }
  int64_t NumAgents() const { return env_->num_agents(); }
  std::optional<int64_t> MaxEpisodeSteps() const {
    if (env_->max_episode_steps() <= 0) return std::nullopt;
    return env_->max_episode_steps();
  }

 private:
  size_t Index(const std::string& agent) const {
    for (size_t i = 0; i < names_.size(); ++i)
      if (names_[i] == agent) return i;
    throw Error(fmt::format("{}: no agent named '{}'; agents are {}", id(), agent,
                            fmt::join(names_, ", ")));
  }
  std::vector<void*> Pointers() {
    std::vector<void*> p;
    for (Buffer& b : obs_) p.push_back(b.data());
    return p;
  }
  py::dict Observations() const {
    py::dict out;
    for (size_t i = 0; i < names_.size(); ++i) {
      out[py::str(names_[i])] =
          ObsToPython(env_->observation_space(static_cast<int64_t>(i)), obs_[i].data());
    }
    return out;
  }

  std::unique_ptr<MultiAgentEnv> env_;
  py::dict kwargs_;
  std::vector<std::string> names_;
  std::vector<Buffer> obs_;
  std::vector<py::object> observation_spaces_, action_spaces_;
  bool running_ = false;
};

}  // namespace

void BindMultiAgent(py::module_& m) {
  py::class_<PyMultiAgentEnv>(
      m, "MultiAgentEnv",
      "A bellman multi-agent env with PettingZoo's parallel API (see bellman.make_multi_agent).")
      .def_property_readonly("id", &PyMultiAgentEnv::id)
      .def_property_readonly("possible_agents", &PyMultiAgentEnv::PossibleAgents)
      .def_property_readonly("agents", &PyMultiAgentEnv::Agents,
                             "The agents still acting: all of them during an episode, [] after")
      .def_property_readonly("num_agents", &PyMultiAgentEnv::NumAgents)
      .def_property_readonly("max_episode_steps", &PyMultiAgentEnv::MaxEpisodeSteps)
      .def("observation_space", &PyMultiAgentEnv::ObservationSpace, py::arg("agent"))
      .def("action_space", &PyMultiAgentEnv::ActionSpace, py::arg("agent"))
      .def("reset", &PyMultiAgentEnv::Reset, py::arg("seed") = py::none(),
           py::arg("options") = py::none(), "-> (observations, infos), dicts keyed by agent")
      .def("step", &PyMultiAgentEnv::Step, py::arg("actions"),
           "actions: {agent: action} -> (observations, rewards, terminations, truncations, "
           "infos)")
      .def("render", &PyMultiAgentEnv::Render, "The state as text")
      .def("state", &PyMultiAgentEnv::State, "The env's full state (GetState) as float64")
      .def("close", [](PyMultiAgentEnv&) {});
  m.def(
      "make_multi_agent",
      [](const std::string& id, py::kwargs kwargs) {
        py::dict d(kwargs);
        return PyMultiAgentEnv(MakeMultiAgentEnv(id, EnvArgsFromKwargs(d, id)), d);
      },
      py::arg("id"),
      "Makes a multi-agent env (CoinGame-v0, IteratedPrisonersDilemma-v0, MatrixGame-v0, "
      "Soccer-v0) with PettingZoo's parallel API.");
  m.def("multi_agent_envs", &MultiAgentEnvIds, "All registered multi-agent env ids, sorted.");
}

}  // namespace bellman::python
