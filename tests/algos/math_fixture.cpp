#include "algos/math_fixture.h"

#include <gtest/gtest.h>

#include "bellman/envs/registry.h"
#include "bellman/nets/state_dict.h"

namespace bellman::algos::testing {

void SetLinear(torch::nn::Module& module, const std::vector<float>& w,
               const std::vector<float>& b) {
  torch::NoGradGuard no_grad;
  int layers = 0;
  for (auto& p : module.parameters()) {
    if (p.dim() == 2) {
      ASSERT_EQ(p.numel(), static_cast<int64_t>(w.size()));
      p.copy_(torch::tensor(w).view_as(p));
      ++layers;
    } else {
      ASSERT_EQ(p.numel(), static_cast<int64_t>(b.size()));
      p.copy_(torch::tensor(b));
    }
  }
  ASSERT_EQ(layers, 1) << "expected one linear layer";
}

std::unique_ptr<Algorithm> MakeAlgo(const std::string& algo, const std::string& env_id,
                                    const std::string& config) {
  const auto& reg = FindAlgo(algo);
  return reg.make(reg.resolve(YAML::Load(config)), AlgoContext{.env = MakeEnv(env_id)->spec(),
                                                               .num_envs = 1,
                                                               .total_timesteps = 1000,
                                                               .net_rng = Rng(1),
                                                               .explore_rng = Rng(2)});
}

Batch OneTransitionBatch(const std::string& env_id, std::vector<float> obs,
                         std::vector<float> action, double reward, std::vector<float> next_obs,
                         bool terminated, int64_t rows) {
  ReplayConfig rc;
  rc.capacity = 8;
  rc.gamma = 0.5;
  const EnvSpec spec = MakeEnv(env_id)->spec();
  ReplayBuffer buffer(rc, spec.observation_space, spec.action_space);
  const bool discrete = spec.action_space.kind() == Space::Kind::kDiscrete;
  int64_t index = discrete ? static_cast<int64_t>(action.at(0)) : 0;
  uint8_t term = terminated ? 1 : 0;
  // Observations in the space's dtype (MuJoCo's are float64).
  const bool f64 = spec.observation_space.dtype() == DType::kFloat64;
  EXPECT_TRUE(f64 || spec.observation_space.dtype() == DType::kFloat32) << env_id;
  const std::vector<double> obs64(obs.begin(), obs.end()), next64(next_obs.begin(), next_obs.end());
  buffer.AddStep(TransitionRows{
      .n = 1,
      .obs = f64 ? static_cast<const void*>(obs64.data()) : static_cast<const void*>(obs.data()),
      .action =
          discrete ? static_cast<const void*>(&index) : static_cast<const void*>(action.data()),
      .reward = &reward,
      .next_obs =
          f64 ? static_cast<const void*>(next64.data()) : static_cast<const void*>(next_obs.data()),
      .terminated = &term});
  Batch batch;
  Rng rng(0);
  buffer.Sample(rows, rng, batch);
  return batch;
}

std::map<std::string, double> UpdateMetrics(Algorithm& algo, const Batch& batch) {
  auto* off = dynamic_cast<OffPolicyAlgorithm*>(&algo);
  EXPECT_NE(off, nullptr) << "not an off-policy algorithm";
  std::map<std::string, double> metrics;
  if (off == nullptr) return metrics;
  for (const auto& [name, value] : off->Update(batch)) metrics[name] = value;
  return metrics;
}

Rng DeclaredRng(Algorithm& algo, const std::string& name) {
  nets::StateDict state;
  algo.DeclareState(state);
  const std::string bytes = state.Save();
  torch::serialize::InputArchive archive;
  archive.load_from(bytes.data(), bytes.size());
  torch::Tensor t;
  archive.read(name, t);
  Rng rng(0);
  rng.set_state(nets::RngFromTensor(t, name));
  return rng;
}

}  // namespace bellman::algos::testing
