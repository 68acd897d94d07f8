// Shared pieces of the `bellman._bellman` extension: Python-side spaces, conversions between
// raw env buffers and Python/NumPy values, and the Bind* entry points of each source file.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bellman/core/rng.h"
#include "bellman/core/space.h"
#include "bellman/envs/env.h"

namespace bellman::python {

namespace py = pybind11;

// A space as Python sees it: the C++ Space plus the space's own generator, as each Gymnasium
// space has its own np_random (seeded by space.seed(), else from OS entropy on first sample).
// One C++ type per Python class so that isinstance(space, bellman.Discrete) works.
struct PySpace {
  explicit PySpace(Space s) : space(std::move(s)) {}
  virtual ~PySpace() = default;
  Rng& rng();
  // space.seed(seed): Rng(seed), or a fresh entropy seed when None; returns the seed used.
  uint64_t Seed(std::optional<uint64_t> seed);

  Space space;
  std::optional<Rng> generator;
};
struct PyDiscrete : PySpace {
  using PySpace::PySpace;
};
struct PyBox : PySpace {
  using PySpace::PySpace;
};
struct PyMultiDiscrete : PySpace {
  using PySpace::PySpace;
};
struct PyMultiBinary : PySpace {
  using PySpace::PySpace;
};
// Gymnasium's Tuple holds subspace objects, each with its own generator (Tuple.seed(int) seeds
// them from the Tuple's generator), so the Python Tuple keeps its subspaces as Python objects.
struct PyTuple : PySpace {
  using PySpace::PySpace;
  std::vector<py::object> subspaces;
};

// A new Python space object of the class matching `space.kind()`.
py::object WrapSpace(const Space& space);

// numpy dtype of a bellman DType.
py::dtype NumpyDType(DType d);

// One observation as Gymnasium returns it: a new ndarray for Box/MultiDiscrete/MultiBinary, a
// Python int for Discrete, a tuple of Python ints for Tuple.
py::object ObsToPython(const Space& space, const void* data);

// A batch of n observations as Gymnasium's vector envs return it: a new ndarray [n, *shape] of
// the space's dtype ([n] int64 for Discrete); for a Tuple a tuple of k int64 arrays [n].
py::object BatchToPython(const Space& space, const void* data, int64_t n);

// Writes one action (a Python int / NumPy integer for Discrete, an array-like of floats for Box)
// into `out`, laid out as `space` says. Throws bellman::Error naming `who` for a bad type or
// size. Range checks are the env's (Env::Step).
void ActionFromPython(const Space& space, py::handle action, void* out, const std::string& who);

// The int64 value of an integer-like Python object (int, NumPy integer, 0-d integer array), or
// nullopt when it is not one (gymnasium Discrete.contains's type test).
std::optional<int64_t> IntegerFromPython(py::handle x);

// A Python reset seed: None or an int in [0, 2^64). Throws bellman::Error otherwise.
std::optional<uint64_t> SeedFromPython(py::handle seed, const std::string& who);

// gym.make keyword arguments -> EnvArgs (None, bool, int, float, str, list of str).
EnvArgs EnvArgsFromKwargs(const py::dict& kwargs, const std::string& id);

// The text render mode Python asked for: None or "ansi"; anything else throws.
std::optional<std::string> CheckRenderMode(py::handle mode, const std::string& id);

// Gymnasium's per-step info of the toy-text envs: {"prob": p} (FrozenLake, CliffWalking) and
// {"prob": p, "action_mask": int8[6]} (Taxi); {} for every other env.
enum class InfoKind { kNone, kProb, kTaxi };
InfoKind InfoKindOf(const Env& env);
// Called just before env.Step(action): the probability of the P[s][action] entry that the step
// will sample (Gymnasium's info["prob"]).
double NextTransitionProb(Env& env, int64_t action);
py::dict ResetInfo(InfoKind kind, int64_t state);
py::dict StepInfo(InfoKind kind, double prob, int64_t state);

// Raw byte buffer with alignment for any dtype a space uses.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t bytes) : words_((bytes + 7) / 8 + 1) {}
  void* data() { return words_.data(); }
  const void* data() const { return words_.data(); }

 private:
  std::vector<uint64_t> words_;
};

void BindSpaces(py::module_& m);
void BindEnv(py::module_& m);
void BindVectorEnv(py::module_& m);
void BindToyText(py::module_& m);
void BindTrain(py::module_& m);  // python/src/train.cpp: bellman.train, bellman.load
void BindDatasets(py::module_& m);
void BindMultiAgent(py::module_& m);  // python/src/multi_agent.cpp: bellman.make_multi_agent  //
                                      // python/src/datasets.cpp: bellman.datasets.load

}  // namespace bellman::python
