// Value networks (value_net.h): the MinAtar conv torso against a hand-built equivalent, dueling
// per atom, NoisyNet layers, IQN's network, and MakeQNetwork's dispatch.
#include "bellman/nets/value_net.h"

#include <gtest/gtest.h>

#include "bellman/core/error.h"
#include "bellman/nets/q_network.h"

namespace bellman::nets {
namespace {

QNetworkConfig MinAtarConfig() {
  QNetworkConfig c;
  c.torso = "minatar";
  c.conv_channels = 4;
  c.hidden_sizes = {8};
  return c;
}

float MaxDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<float>();
}

TEST(ValueNet, MinAtarTorsoEqualsHandBuiltConvNet) {
  Rng rng(1);
  auto net = MakeQNetwork(MinAtarConfig(), {10, 10, 3}, 5, torch::kCPU, rng);
  EXPECT_TRUE(net->fused());  // conv + FusedMlp (the CPU fast path)
  // Rebuild by hand: Conv2d on NCHW, ReLU, flatten, Linear + ReLU, Linear.
  auto params = net->named_parameters();
  torch::Tensor w_conv = params["torso.conv.weight"], b_conv = params["torso.conv.bias"];
  EXPECT_EQ(w_conv.sizes(), (std::vector<int64_t>{4, 3, 3, 3}));
  auto lin = net->linears();
  ASSERT_EQ(lin.size(), 2u);
  EXPECT_EQ(lin[0].weight.sizes(), (std::vector<int64_t>{8, 4 * 8 * 8}));
  torch::Tensor obs = (torch::rand({6, 10, 10, 3}) > 0.7).to(torch::kFloat32);  // NHWC
  torch::Tensor h = torch::relu(torch::conv2d(obs.permute({0, 3, 1, 2}), w_conv, b_conv));
  h = torch::relu(torch::linear(h.reshape({6, -1}), lin[0].weight, lin[0].bias));
  torch::Tensor want = torch::linear(h, lin[1].weight, lin[1].bias);
  EXPECT_LT(MaxDiff(net->forward(obs), want), 1e-6f);
  // Flat rows work too.
  EXPECT_LT(MaxDiff(net->forward(obs.reshape({6, 300})), want), 1e-6f);
  // Init bounds: 1/sqrt(fan_in) with fan_in = 3 * 3 * 3 for the conv.
  EXPECT_LE(w_conv.abs().max().item<float>(), 1.0f / std::sqrt(27.0f));
  EXPECT_THROW(MakeQNetwork(MinAtarConfig(), {10, 3}, 5, torch::kCPU, rng), Error);
}

TEST(ValueNet, MinAtarFastPathEqualsPlain) {
  // The conv + FusedMlp fast path and the plain layers: same draws, same function, same
  // gradients (dueling on, one atom: the fused dueling head).
  QNetworkConfig c = MinAtarConfig();
  c.dueling = true;
  Rng r1(6), r2(6);
  auto fused = MakeQNetwork(c, {10, 10, 3}, 4, torch::kCPU, r1);
  c.fast_path = false;
  auto plain = MakeQNetwork(c, {10, 10, 3}, 4, torch::kCPU, r2);
  EXPECT_TRUE(fused->fused());
  EXPECT_FALSE(plain->fused());
  torch::Tensor obs = (torch::rand({7, 10, 10, 3}) > 0.6).to(torch::kFloat32);
  torch::Tensor qf = fused->forward(obs), qp = plain->forward(obs);
  EXPECT_LT(MaxDiff(qf, qp), 1e-5f);
  qf.pow(2).sum().backward();
  qp.pow(2).sum().backward();
  auto gf = fused->named_parameters()["torso.conv.weight"].grad();
  auto gp = plain->named_parameters()["torso.conv.weight"].grad();
  EXPECT_LT(MaxDiff(gf, gp), 1e-4f * std::max(1.0f, gp.abs().max().item<float>()));
}

TEST(ValueNet, DuelingPerAtom) {
  QNetworkConfig c = MinAtarConfig();
  c.dueling = true;
  Rng rng(2);
  auto net = MakeQNetwork(c, {10, 10, 3}, 4, torch::kCPU, rng, /*num_atoms=*/5);
  torch::Tensor obs = (torch::rand({3, 10, 10, 3}) > 0.5).to(torch::kFloat32);
  torch::Tensor q = net->forward(obs).view({3, 4, 5});
  // The mean over actions is the value stream, per atom: shifting every advantage output by a
  // constant per atom leaves Q unchanged (eq. 9's identifiability).
  auto lin = net->linears();  // torso, value, head (advantage)
  ASSERT_EQ(lin.size(), 3u);
  {
    torch::NoGradGuard g;
    lin[2].bias.view({4, 5}).add_(torch::arange(5, torch::kFloat32).unsqueeze(0));
  }
  EXPECT_LT(MaxDiff(net->forward(obs).view({3, 4, 5}), q), 1e-5f);
  {
    torch::NoGradGuard g;
    lin[2].weight.zero_();
    lin[2].bias.zero_();
  }
  // Zero advantages: every action's distribution equals the value stream's.
  torch::Tensor q0 = net->forward(obs).view({3, 4, 5});
  EXPECT_LT(MaxDiff(q0, q0.select(1, 0).unsqueeze(1).expand({3, 4, 5})), 1e-7f);
}

TEST(ValueNet, NoisyLayers) {
  QNetworkConfig c;
  c.hidden_sizes = {16};
  c.noisy = true;
  Rng rng(3);
  auto net = MakeQNetwork(c, std::vector<int64_t>{4}, 2, torch::kCPU, rng);
  EXPECT_TRUE(net->noisy());
  torch::Tensor obs = torch::randn({5, 4});
  Rng noise(7);
  net->ResetNoise(noise);
  torch::Tensor a = net->forward(obs);
  auto clone = net->Clone();
  EXPECT_TRUE(torch::equal(clone->forward(obs), a));  // the clone carries the noise
  Rng same(7);
  net->ResetNoise(same);
  EXPECT_TRUE(torch::equal(net->forward(obs), a));  // same draws, same noise
  net->ResetNoise(noise);                           // fresh draws
  EXPECT_GT(MaxDiff(net->forward(obs), a), 1e-4f);
  // Without noise: mu_w x + mu_b in both layers.
  net->SetNoiseEnabled(false);
  auto p = net->named_parameters();
  torch::Tensor h =
      torch::relu(torch::linear(obs, p["torso.noisy0.weight_mu"], p["torso.noisy0.bias_mu"]));
  torch::Tensor want = torch::linear(h, p["head.weight_mu"], p["head.bias_mu"]);
  EXPECT_LT(MaxDiff(net->forward(obs), want), 1e-6f);
  // sigma starts at sigma0 / sqrt(p) and receives gradients.
  EXPECT_FLOAT_EQ(p["torso.noisy0.weight_sigma"][0][0].item<float>(), 0.5f / 2.0f);
  net->SetNoiseEnabled(true);
  net->forward(obs).sum().backward();
  EXPECT_GT(p["torso.noisy0.weight_sigma"].grad().abs().sum().item<float>(), 0.0f);
  EXPECT_GT(p["head.weight_mu"].grad().abs().sum().item<float>(), 0.0f);
}

TEST(ValueNet, AtomsOnTheFastPathEqualPlain) {
  QNetworkConfig c;
  c.hidden_sizes = {32, 32};
  Rng r1(4), r2(4);
  auto fused = MakeQNetwork(c, std::vector<int64_t>{4}, 3, torch::kCPU, r1, /*num_atoms=*/7);
  EXPECT_TRUE(fused->fused());
  c.fast_path = false;
  auto plain = MakeQNetwork(c, std::vector<int64_t>{4}, 3, torch::kCPU, r2, 7);
  EXPECT_FALSE(plain->fused());
  torch::Tensor obs = torch::randn({9, 4});
  EXPECT_EQ(fused->forward(obs).sizes(), (std::vector<int64_t>{9, 21}));
  EXPECT_LT(MaxDiff(fused->forward(obs), plain->forward(obs)), 1e-6f);
}

TEST(ValueNet, IqnNetwork) {
  QNetworkConfig c;
  c.hidden_sizes = {8};
  Rng rng(5);
  IqnNetwork net = MakeIqnNetwork(c, {4}, 3, 6, rng);
  torch::Tensor obs = torch::randn({2, 4});
  torch::Tensor taus = torch::rand({2, 5});
  torch::Tensor z = net->forward(obs, taus);
  EXPECT_EQ(z.sizes(), (std::vector<int64_t>{2, 5, 3}));
  // Eq. 4 by hand: psi(x) * ReLU(W cos(pi i tau) + b), then the head.
  auto p = net->named_parameters();
  torch::Tensor psi =
      torch::relu(torch::linear(obs, p["torso.linear0.weight"], p["torso.linear0.bias"]));
  torch::Tensor cosines =
      torch::cos(M_PI * torch::arange(6, torch::kFloat32).view({1, 1, 6}) * taus.unsqueeze(2));
  torch::Tensor phi =
      torch::relu(torch::linear(cosines, p["embedding.weight"], p["embedding.bias"]));
  torch::Tensor want = torch::linear(psi.unsqueeze(1) * phi, p["head.weight"], p["head.bias"]);
  EXPECT_LT(MaxDiff(z, want), 1e-5f);
  // The same fraction in two rows of one state gives the same quantile.
  torch::Tensor same = net->forward(obs, torch::full({2, 2}, 0.3f));
  EXPECT_LT(MaxDiff(same.select(1, 0), same.select(1, 1)), 1e-7f);
  auto clone = net->Clone();
  EXPECT_TRUE(torch::equal(clone->forward(obs, taus), z));
  z.sum().backward();
  EXPECT_GT(p["embedding.weight"].grad().abs().sum().item<float>(), 0.0f);
  // CosineBasis: cos(pi i tau).
  torch::Tensor cb = CosineBasis(torch::tensor({{0.f, 0.5f}}), 3);
  EXPECT_LT(MaxDiff(cb, torch::tensor({{{1.f, 1.f, 1.f}, {1.f, 0.f, -1.f}}})), 1e-6f);
  c.dueling = true;
  EXPECT_THROW(MakeIqnNetwork(c, {4}, 3, 6, rng), Error);
}

}  // namespace
}  // namespace bellman::nets
