// Toy-text pieces of the Python module: generate_random_map and the info dicts Gymnasium's
// FrozenLake, CliffWalking and Taxi return ({"prob": p}, Taxi's "action_mask").
#include "bellman/envs/toy_text.h"

#include <array>
#include <string>

#include "common.h"

namespace bellman::python {

namespace {

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// gymnasium.envs.toy_text.taxi.MAP and the four pickup/drop-off locations (row, col).
constexpr std::array<const char*, 7> kTaxiMap = {
    "+---------+", "|R: | : :G|", "| : | : : |", "| : : : : |",
    "| | : | : |", "|Y| : |B: |", "+---------+",
};
constexpr std::array<std::array<int64_t, 2>, 4> kTaxiLocs = {{{0, 0}, {0, 4}, {4, 0}, {4, 3}}};

// TaxiEnv.action_mask(state): which of the 6 actions change the state (int8 0/1).
py::array_t<int8_t> TaxiActionMask(int64_t state) {
  // decode: ((taxi_row * 5 + taxi_col) * 5 + pass_loc) * 4 + dest_idx
  int64_t dest_idx = state % 4;
  int64_t pass_loc = (state / 4) % 5;
  int64_t col = (state / 20) % 5;
  int64_t row = state / 100;
  py::array_t<int8_t> mask(6);
  for (int i = 0; i < 6; ++i) mask.mutable_at(i) = 0;
  if (row < 4) mask.mutable_at(0) = 1;
  if (row > 0) mask.mutable_at(1) = 1;
  if (col < 4 && kTaxiMap[row + 1][2 * col + 2] == ':') mask.mutable_at(2) = 1;
  if (col > 0 && kTaxiMap[row + 1][2 * col] == ':') mask.mutable_at(3) = 1;
  auto at = [&](int64_t loc) { return kTaxiLocs[loc][0] == row && kTaxiLocs[loc][1] == col; };
  if (pass_loc < 4 && at(pass_loc)) mask.mutable_at(4) = 1;
  bool at_any = at(0) || at(1) || at(2) || at(3);
  if (pass_loc == 4 && (at(dest_idx) || at_any)) mask.mutable_at(5) = 1;
  return mask;
}

}  // namespace

InfoKind InfoKindOf(const Env& env) {
  const std::string& id = env.spec().id;
  if (!env.has_transition_model()) return InfoKind::kNone;
  if (StartsWith(id, "Taxi-")) return InfoKind::kTaxi;
  if (StartsWith(id, "FrozenLake") || StartsWith(id, "CliffWalking")) return InfoKind::kProb;
  return InfoKind::kNone;
}

double NextTransitionProb(Env& env, int64_t action) {
  // The toy-text step draws categorical_sample(P[s][a] probs, np_random) first:
  // argmax(cumsum(probs) > np_random.random()). Replaying that one draw on a copy of the env's
  // generator names the transition the step is about to take, without touching the env.
  int64_t s = static_cast<int64_t>(env.GetState().at(0));
  const std::vector<Transition>& ts =
      env.P().at(static_cast<size_t>(s)).at(static_cast<size_t>(action));
  Rng copy = env.np_random();
  double r = copy.Random();
  double cumsum = 0.0;
  for (const Transition& t : ts) {
    cumsum += t.prob;
    if (cumsum > r) return t.prob;
  }
  return ts.front().prob;  // np.argmax of an all-False array is 0
}

py::dict ResetInfo(InfoKind kind, int64_t state) {
  py::dict info;
  if (kind == InfoKind::kProb) {
    info["prob"] = py::int_(1);  // FrozenLake and CliffWalking return {"prob": 1}
  } else if (kind == InfoKind::kTaxi) {
    info["prob"] = py::float_(1.0);
    info["action_mask"] = TaxiActionMask(state);
  }
  return info;
}

py::dict StepInfo(InfoKind kind, double prob, int64_t state) {
  py::dict info;
  if (kind == InfoKind::kNone) return info;
  info["prob"] = py::float_(prob);
  if (kind == InfoKind::kTaxi) info["action_mask"] = TaxiActionMask(state);
  return info;
}

void BindToyText(py::module_& m) {
  m.def(
      "generate_random_map",
      [](int64_t size, double p, py::object seed) {
        return GenerateRandomMap(size, p, SeedFromPython(seed, "generate_random_map"));
      },
      py::arg("size") = 8, py::arg("p") = 0.8, py::arg("seed") = py::none(),
      "A random valid FrozenLake map (list of str), the same as Gymnasium's\n"
      "gymnasium.envs.toy_text.frozen_lake.generate_random_map for the same seed.");
}

}  // namespace bellman::python
