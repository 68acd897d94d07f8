// StateDict: each kind of entry round-trips exactly; a state that does not fit names the entry.
#include "bellman/nets/state_dict.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bellman/core/error.h"

namespace bellman::nets {
namespace {

// Everything one state can hold, with values chosen by `seed`.
struct Owner {
  torch::nn::Linear net{torch::nn::LinearOptions(3, 2)};
  torch::nn::Linear target{torch::nn::LinearOptions(3, 2)};
  std::unique_ptr<torch::optim::Adam> optimizer;
  torch::Tensor free_param = torch::zeros({2}, torch::requires_grad());
  int64_t steps = 0;
  double epsilon = 0.0;
  Rng rng{1};
  std::vector<float> rollout = std::vector<float>(5, 0.0f);

  explicit Owner(int seed) {
    torch::manual_seed(seed);
    net = torch::nn::Linear(torch::nn::LinearOptions(3, 2));
    target = torch::nn::Linear(torch::nn::LinearOptions(3, 2));
    for (auto& p : target->parameters()) p.requires_grad_(false);
    std::vector<torch::Tensor> params = net->parameters();
    params.push_back(free_param);
    optimizer = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(1e-2));
    // One optimizer step, so that Adam has moments to save.
    auto loss = net->forward(torch::ones({1, 3})).sum() + free_param.sum() * seed;
    loss.backward();
    optimizer->step();
    steps = 10 * seed;
    epsilon = 0.5 / seed;
    rng = Rng(static_cast<uint64_t>(seed));
    rng.Integers(0, 100);
    for (size_t i = 0; i < rollout.size(); ++i) rollout[i] = static_cast<float>(seed * 10 + i);
  }
  // Adam's first moments of every parameter, in parameter order.
  torch::Tensor AdamMoments() {
    std::vector<torch::Tensor> m;
    for (const torch::Tensor& p : optimizer->param_groups()[0].params()) {
      const auto& s = static_cast<const torch::optim::AdamParamState&>(
          *optimizer->state().at(c10::guts::to_string(p.unsafeGetTensorImpl())));
      m.push_back(s.exp_avg().flatten());
    }
    return torch::cat(m);
  }
  StateDict Declare() {
    StateDict s;
    s.AddModule("net", *net);
    s.AddModule("target", *target, /*frozen=*/true);
    s.AddOptimizer("optimizer", *optimizer);
    s.AddTensor("free_param", free_param);
    s.AddInt("steps", steps);
    s.AddReal("epsilon", epsilon);
    s.AddRng("rng", rng);
    s.AddFloats("rollout", rollout);
    return s;
  }
};

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(StateDict, RoundTripIsExact) {
  Owner a(1), b(2);
  const std::string bytes = a.Declare().Save();
  const torch::Tensor free_before = b.free_param;
  b.Declare().Load(bytes);
  EXPECT_TRUE(torch::equal(a.net->weight, b.net->weight));
  EXPECT_TRUE(torch::equal(a.target->bias, b.target->bias));
  EXPECT_TRUE(torch::equal(a.free_param, b.free_param));
  EXPECT_EQ(b.steps, 10);
  EXPECT_EQ(b.epsilon, 0.5);
  EXPECT_EQ(b.rng.state(), a.rng.state());
  EXPECT_EQ(b.rollout, a.rollout);
  // The target stays frozen, the free parameter keeps its identity (the optimizer holds it).
  for (const auto& p : b.target->parameters()) EXPECT_FALSE(p.requires_grad());
  EXPECT_TRUE(b.free_param.is_same(free_before));
  EXPECT_TRUE(b.free_param.requires_grad());
  // The optimizer moments came along, matched to the parameters by position (torch keys them by
  // tensor address, so the bytes of two equal states differ).
  EXPECT_TRUE(torch::equal(a.AdamMoments(), b.AdamMoments()));
}

TEST(StateDict, MismatchesNameTheEntry) {
  Owner a(1);
  const std::string bytes = a.Declare().Save();
  {
    // A rollout of another size.
    Owner b(2);
    b.rollout.resize(7);
    EXPECT_NE(ErrorOf([&] { b.Declare().Load(bytes); }).find("rollout: expected 7 Float values"),
              std::string::npos);
  }
  {
    // An entry the bytes lack.
    Owner b(2);
    int64_t extra = 0;
    StateDict s = b.Declare();
    s.AddInt("extra_counter", extra);
    EXPECT_EQ(ErrorOf([&] { s.Load(bytes); }), "extra_counter: missing");
  }
  {
    // A module of another shape.
    Owner b(2);
    b.net = torch::nn::Linear(torch::nn::LinearOptions(4, 2));
    EXPECT_NE(ErrorOf([&] {
                b.Declare().Load(bytes);
              }).find("net: weight is 2x3 Float, this config has 2x4 Float"),
              std::string::npos);
  }
  Owner b(2);
  EXPECT_NE(ErrorOf([&] { b.Declare().Load("garbage"); }).find("not a state archive"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              b.Declare().Load(bytes.substr(0, bytes.size() / 2));
            }).find("not a state archive"),
            std::string::npos);
}

TEST(StateDict, DeclarationErrorsAndLookup) {
  Owner a(1);
  StateDict s = a.Declare();
  EXPECT_EQ(ErrorOf([&] { s.AddInt("steps", a.steps); }),
            "StateDict: entry 'steps' is declared twice");
  EXPECT_EQ(&s.module("net"), a.net.get());
  EXPECT_EQ(ErrorOf([&] { s.module("critic"); }),
            "no module 'critic' in this state; modules: net, target");
  EXPECT_EQ(s.names(), (std::vector<std::string>{"net", "target", "optimizer", "free_param",
                                                 "steps", "epsilon", "rng", "rollout"}));
}

TEST(StateDict, RngTensorRoundTrip) {
  Rng r(12345);
  r.Integers(0, 7);
  r.Uniform(0.0, 1.0);
  EXPECT_EQ(RngFromTensor(RngToTensor(r.state()), "rng"), r.state());
  EXPECT_EQ(ErrorOf([] { RngFromTensor(torch::zeros({5}, torch::kInt64), "explore_rng"); }),
            "explore_rng: expected 6 int64 words");
}

}  // namespace
}  // namespace bellman::nets
