// Flat optimizers against torch::optim, gradient clipping, target updates.
#include "bellman/nets/optim.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/nets/fused_mlp.h"
#include "bellman/nets/mlp.h"
#include "bellman/nets/params.h"
#include "bellman/nets/threads.h"
#include "nets/test_util.h"

namespace bellman::nets {
namespace {

using testing::BitEqual;
using testing::MaxAbsDiff;
using testing::RandomTensor;

constexpr double kTol = 1e-6;
constexpr int kSteps = 100;

const MlpOptions kOptions{
    .input_size = 4, .hidden_sizes = {64, 64}, .output_size = 3, .activation = Activation::kTanh};

// Concatenation of a module's parameters (in the flat layout).
torch::Tensor Flatten(const torch::nn::Module& m) {
  std::vector<torch::Tensor> parts;
  for (const auto& p : m.parameters()) parts.push_back(p.detach().flatten());
  return torch::cat(parts);
}

// Backward of a random loss, sum(net(x) * w) / batch, with x and w drawn for this step.
template <class Net>
void RandomLossBackward(Net& net, int step) {
  Rng rng(static_cast<uint64_t>(1000 + step));
  const torch::Tensor x = RandomTensor({32, kOptions.input_size}, rng);
  const torch::Tensor w = RandomTensor({32, kOptions.output_size}, rng, 1.0 / 32);
  (net->forward(x) * w).sum().backward();
}

// Runs `steps` optimizer steps on a plain Mlp with torch::optim and on (a) a plain Mlp with the
// flat optimizer and (b) a FusedMlp with the flat optimizer; returns the largest parameter
// difference seen along the trajectories.
struct Trajectory {
  double same_module = 0;
  double fused = 0;
};

Trajectory Compare(
    const std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)>&
        make_torch,
    const std::function<std::unique_ptr<torch::optim::Optimizer>(std::vector<torch::Tensor>)>&
        make_flat) {
  Rng r1(7), r2(7), r3(7);
  Mlp reference(kOptions, r1);
  Mlp plain(kOptions, r2);
  FusedMlp fused(kOptions, r3);
  auto opt_ref = make_torch(reference->parameters());
  auto opt_plain = make_flat(plain->parameters());
  auto opt_fused = make_flat(fused->parameters());
  Trajectory out;
  for (int step = 0; step < kSteps; ++step) {
    opt_ref->zero_grad();
    opt_plain->zero_grad();
    ZeroGrad(*opt_fused);
    RandomLossBackward(reference, step);
    RandomLossBackward(plain, step);
    RandomLossBackward(fused, step);
    opt_ref->step();
    opt_plain->step();
    opt_fused->step();
    const torch::Tensor expected = Flatten(*reference);
    out.same_module = std::max(out.same_module, MaxAbsDiff(expected, Flatten(*plain)));
    out.fused = std::max(out.fused, MaxAbsDiff(expected, fused->flat()));
  }
  // The parameters did move.
  Rng r4(7);
  Mlp initial(kOptions, r4);
  EXPECT_GT(MaxAbsDiff(Flatten(*initial), Flatten(*reference)), 1e-3);
  // The margins, visible in --gtest_output=xml.
  ::testing::Test::RecordProperty("max_diff_same_module", fmt::format("{:.3g}", out.same_module));
  ::testing::Test::RecordProperty("max_diff_fused", fmt::format("{:.3g}", out.fused));
  return out;
}

class OptimTest : public ::testing::Test {
 protected:
  void SetUp() override { SetNumThreads(1, 1); }
};

TEST_F(OptimTest, AdamMatchesTorch) {
  for (double weight_decay : {0.0, 0.01}) {
    const auto options = torch::optim::AdamOptions(1e-3).weight_decay(weight_decay);
    const Trajectory t =
        Compare([&](auto p) { return std::make_unique<torch::optim::Adam>(p, options); },
                [&](auto p) { return std::make_unique<FlatAdam>(p, options); });
    EXPECT_LE(t.same_module, kTol) << "weight_decay " << weight_decay;
    EXPECT_LE(t.fused, kTol) << "weight_decay " << weight_decay;
  }
  // A large learning rate and non-default betas.
  const auto options = torch::optim::AdamOptions(1e-2).betas(std::make_tuple(0.5, 0.9)).eps(1e-5);
  const Trajectory t =
      Compare([&](auto p) { return std::make_unique<torch::optim::Adam>(p, options); },
              [&](auto p) { return std::make_unique<FlatAdam>(p, options); });
  EXPECT_LE(t.same_module, kTol);
  EXPECT_LE(t.fused, kTol);
}

TEST_F(OptimTest, RmsPropMatchesTorch) {
  for (bool centered : {false, true}) {
    for (double momentum : {0.0, 0.9}) {
      for (double weight_decay : {0.0, 0.01}) {
        const auto options = torch::optim::RMSpropOptions(1e-3)
                                 .alpha(0.95)
                                 .eps(1e-5)
                                 .centered(centered)
                                 .momentum(momentum)
                                 .weight_decay(weight_decay);
        const Trajectory t =
            Compare([&](auto p) { return std::make_unique<torch::optim::RMSprop>(p, options); },
                    [&](auto p) { return std::make_unique<FlatRmsProp>(p, options); });
        EXPECT_LE(t.same_module, kTol) << centered << " " << momentum << " " << weight_decay;
        EXPECT_LE(t.fused, kTol) << centered << " " << momentum << " " << weight_decay;
      }
    }
  }
}

TEST_F(OptimTest, SgdMatchesTorch) {
  const std::vector<torch::optim::SGDOptions> variants = {
      torch::optim::SGDOptions(0.01), torch::optim::SGDOptions(0.01).momentum(0.9),
      torch::optim::SGDOptions(0.01).momentum(0.9).dampening(0.1).weight_decay(0.01),
      torch::optim::SGDOptions(0.01).momentum(0.9).nesterov(true)};
  for (size_t i = 0; i < variants.size(); ++i) {
    const Trajectory t =
        Compare([&](auto p) { return std::make_unique<torch::optim::SGD>(p, variants[i]); },
                [&](auto p) { return std::make_unique<FlatSgd>(p, variants[i]); });
    EXPECT_LE(t.same_module, kTol) << "variant " << i;
    EXPECT_LE(t.fused, kTol) << "variant " << i;
  }
}

// Train 10 steps, checkpoint net + optimizer, train 10 more; a restored copy continues with
// bit-identical parameters.
template <class Opt, class Options>
void CheckSaveLoadContinues(const Options& options) {
  Rng r1(3);
  FusedMlp net(kOptions, r1);
  Opt opt(net->parameters(), options);
  for (int step = 0; step < 10; ++step) {
    ZeroGrad(opt);
    RandomLossBackward(net, step);
    opt.step();
  }
  std::stringstream net_stream;
  std::stringstream opt_stream;
  torch::save(net, net_stream);
  torch::save(opt, opt_stream);

  Rng r2(99);
  FusedMlp restored(kOptions, r2);
  Opt restored_opt(restored->parameters(), options);
  torch::load(restored, net_stream);
  torch::load(restored_opt, opt_stream);
  ASSERT_EQ(restored_opt.param_state().size(), opt.param_state().size());
  EXPECT_EQ(restored_opt.param_state()[0].step, 10);

  for (int step = 10; step < 20; ++step) {
    ZeroGrad(opt);
    ZeroGrad(restored_opt);
    RandomLossBackward(net, step);
    RandomLossBackward(restored, step);
    opt.step();
    restored_opt.step();
    ASSERT_TRUE(BitEqual(net->flat(), restored->flat())) << "step " << step;
  }
}

TEST_F(OptimTest, SaveLoadContinuesBitIdentically) {
  CheckSaveLoadContinues<FlatAdam>(torch::optim::AdamOptions(1e-3));
  CheckSaveLoadContinues<FlatRmsProp>(
      torch::optim::RMSpropOptions(1e-3).centered(true).momentum(0.5));
  CheckSaveLoadContinues<FlatSgd>(torch::optim::SGDOptions(0.01).momentum(0.9));
}

TEST_F(OptimTest, LoadRejectsMismatchedState) {
  Rng r1(3);
  FusedMlp net(kOptions, r1);
  FlatAdam adam(net->parameters());
  ZeroGrad(adam);
  RandomLossBackward(net, 0);
  adam.step();
  std::stringstream stream;
  torch::save(adam, stream);
  // Another kind of optimizer.
  FlatRmsProp rmsprop(net->parameters());
  try {
    torch::load(rmsprop, stream);
    ADD_FAILURE() << "expected bellman::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'adam'"), std::string::npos) << e.what();
  }
  // Another parameter shape.
  Rng r2(3);
  FusedMlp other(MlpOptions{.input_size = 4, .hidden_sizes = {8}, .output_size = 3}, r2);
  FlatAdam other_adam(other->parameters());
  std::stringstream again;
  torch::save(adam, again);
  EXPECT_THROW(torch::load(other_adam, again), Error);
}

TEST_F(OptimTest, ClipGradNormMatchesTorch) {
  for (double max_norm : {0.01, 0.5, 1e6}) {
    Rng r1(5), r2(5);
    Mlp a(kOptions, r1);
    Mlp b(kOptions, r2);
    RandomLossBackward(a, 1);
    RandomLossBackward(b, 1);
    const double total_torch = torch::nn::utils::clip_grad_norm_(a->parameters(), max_norm);
    const double total_flat = ClipGradNorm(b->parameters(), max_norm);
    EXPECT_NEAR(total_torch, total_flat, 1e-6 * total_torch);
    std::vector<torch::Tensor> ga;
    std::vector<torch::Tensor> gb;
    for (const auto& p : a->parameters()) ga.push_back(p.grad().flatten());
    for (const auto& p : b->parameters()) gb.push_back(p.grad().flatten());
    EXPECT_LE(MaxAbsDiff(torch::cat(ga), torch::cat(gb)), 1e-7) << max_norm;
    if (max_norm < total_flat) {
      EXPECT_NEAR(torch::cat(gb).norm().item<double>(), max_norm, 1e-4 * max_norm);
    }
  }
  // On a fused net: one flat grad.
  Rng r3(5), r4(5);
  Mlp plain(kOptions, r3);
  FusedMlp fused(kOptions, r4);
  RandomLossBackward(plain, 2);
  RandomLossBackward(fused, 2);
  EXPECT_NEAR(ClipGradNorm(plain->parameters(), 0.1), ClipGradNorm(fused->parameters(), 0.1), 1e-6);
  EXPECT_THROW(ClipGradNorm(fused->parameters(), 0.0), Error);
}

TEST_F(OptimTest, HardAndSoftUpdates) {
  Rng r1(1), r2(2), r3(1), r4(2);
  FusedMlp online(kOptions, r1);
  FusedMlp target(kOptions, r2);
  Mlp online_plain(kOptions, r3);
  Mlp target_plain(kOptions, r4);
  const torch::Tensor before = target->flat().detach().clone();

  const double tau = 0.005;
  SoftUpdate(*target, *online, tau);
  SoftUpdate(*target_plain, *online_plain, tau);
  // SB3's polyak_update, float32: target * (1 - tau) + tau * online.
  const torch::Tensor expected =
      before * static_cast<float>(1 - tau) + online->flat().detach() * static_cast<float>(tau);
  EXPECT_LE(MaxAbsDiff(target->flat(), expected), 1e-7);
  EXPECT_LE(MaxAbsDiff(target->flat(), Flatten(*target_plain)), 1e-7);
  EXPECT_FALSE(target->flat().grad_fn());

  SoftUpdate(*target, *online, 1.0);
  EXPECT_TRUE(BitEqual(target->flat(), online->flat()));

  Rng r5(9);
  FusedMlp other(kOptions, r5);
  HardUpdate(*other, *online);
  EXPECT_TRUE(BitEqual(other->flat(), online->flat()));
  EXPECT_NE(other->flat().data_ptr(), online->flat().data_ptr());

  EXPECT_THROW(SoftUpdate(*target, *online, 1.5), Error);
  Rng r6(1);
  FusedMlp small(MlpOptions{.input_size = 4, .hidden_sizes = {8}, .output_size = 3}, r6);
  EXPECT_THROW(HardUpdate(*small, *online), Error);
  EXPECT_THROW(HardUpdate(*online_plain, *online), Error);
}

TEST_F(OptimTest, StepBetweenForwardAndBackwardIsCaught) {
  // As with torch::optim: weights saved for backward must not change before that backward.
  Rng r1(1), data(2);
  FusedMlp net(kOptions, r1);
  FlatAdam adam(net->parameters());
  RandomLossBackward(net, 0);
  const torch::Tensor y = net->forward(RandomTensor({4, kOptions.input_size}, data)).sum();
  adam.step();
  EXPECT_ANY_THROW(y.backward());
}

TEST_F(OptimTest, ZeroGradSetsToNone) {
  Rng r1(1);
  FusedMlp net(kOptions, r1);
  FlatAdam adam(net->parameters());
  RandomLossBackward(net, 0);
  const torch::Tensor first = net->flat().grad().clone();
  ZeroGrad(adam);
  EXPECT_FALSE(net->flat().grad().defined());
  RandomLossBackward(net, 0);
  EXPECT_TRUE(BitEqual(first, net->flat().grad()));
}

TEST_F(OptimTest, MakeOptimizerChoosesFlatOnCpu) {
  Rng r1(1);
  FusedMlp net(kOptions, r1);
  OptimizerConfig config;
  for (const char* name : {"adam", "rmsprop", "sgd"}) {
    config.name = name;
    config.fast_path = true;
    auto flat = MakeOptimizer(config, net->parameters());
    config.fast_path = false;
    auto plain = MakeOptimizer(config, net->parameters());
    const std::string n = name;
    if (n == "adam") {
      EXPECT_NE(dynamic_cast<FlatAdam*>(flat.get()), nullptr);
      EXPECT_NE(dynamic_cast<torch::optim::Adam*>(plain.get()), nullptr);
    } else if (n == "rmsprop") {
      EXPECT_NE(dynamic_cast<FlatRmsProp*>(flat.get()), nullptr);
      EXPECT_NE(dynamic_cast<torch::optim::RMSprop*>(plain.get()), nullptr);
    } else {
      EXPECT_NE(dynamic_cast<FlatSgd*>(flat.get()), nullptr);
      EXPECT_NE(dynamic_cast<torch::optim::SGD*>(plain.get()), nullptr);
    }
  }
  // Learning-rate schedules go through the param group options, as with torch::optim.
  config.name = "adam";
  config.fast_path = true;
  auto adam = MakeOptimizer(config, net->parameters());
  adam->param_groups()[0].options().set_lr(0.5);
  EXPECT_EQ(adam->param_groups()[0].options().get_lr(), 0.5);

  config.name = "adamw";
  EXPECT_THROW(MakeOptimizer(config, net->parameters()), Error);
  config.name = "adam";
  config.beta1 = 1.0;
  EXPECT_THROW(MakeOptimizer(config, net->parameters()), Error);
  config.beta1 = 0.9;
  config.lr = -1;
  EXPECT_THROW(MakeOptimizer(config, net->parameters()), Error);
}

}  // namespace
}  // namespace bellman::nets
