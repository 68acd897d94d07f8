// Value networks (value_net.h): the MinAtar conv torso against a hand-built equivalent, dueling
// per atom, NoisyNet layers, IQN's network, and MakeQNetwork's dispatch.
#include "bellman/nets/value_net.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>
#include <tuple>
#include <utility>

#include "bellman/core/config.h"
#include "bellman/core/error.h"
#include "bellman/nets/q_network.h"
#include "nets/test_util.h"

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

// ---- Added checks: channels-last layout, gradients, draw orders, atoms, the old factory
// ----------

using testing::BitEqual;
using testing::RandomTensor;

torch::Tensor Param(const torch::nn::Module& m, const std::string& name) {
  return m.named_parameters()[name];
}

torch::Tensor Buffer(const torch::nn::Module& m, const std::string& name) {
  return m.named_buffers()[name];
}

// Random 0/1 observations [b, h, w, c] from rng (MinAtar-like).
torch::Tensor BinaryObs(std::vector<int64_t> shape, Rng& rng) {
  return (RandomTensor(std::move(shape), rng) > 0.5f).to(torch::kFloat32);
}

TEST(ValueNet, ChannelsLastCellReachesOnlyItsConvWindow) {
  // A single set cell (y, x, c) of a [B, H, W, C] observation feeds exactly the conv outputs
  // (f, oy, ox) with oy in [y - 2, y], ox in [x - 2, x], through weight[f, c, y - oy, x - ox].
  QNetworkConfig c;
  c.torso = "minatar";
  c.conv_channels = 2;
  c.hidden_sizes = {};
  const int64_t h = 5, w = 6, ch = 3, oh = h - 2, ow = w - 2;
  Rng rng(21);
  Torso torso(c, std::vector<int64_t>{h, w, ch}, rng);
  ASSERT_EQ(torso->feature_size(), 2 * oh * ow);
  torch::Tensor weight = Param(*torso, "conv.weight"), bias = Param(*torso, "conv.bias");
  {
    // Non-negative weights and zero bias: the ReLU passes the single contribution unchanged.
    torch::NoGradGuard g;
    weight.abs_().add_(0.01);
    bias.zero_();
  }
  for (auto [y, x, k] : std::vector<std::array<int64_t, 3>>{{0, 0, 0}, {2, 4, 1}, {4, 5, 2}}) {
    torch::Tensor obs = torch::zeros({1, h, w, ch});
    obs[0][y][x][k] = 1.0f;
    torch::Tensor want = torch::zeros({2, oh, ow});
    for (int64_t f = 0; f < 2; ++f) {
      for (int64_t oy = 0; oy < oh; ++oy) {
        for (int64_t ox = 0; ox < ow; ++ox) {
          const int64_t ky = y - oy, kx = x - ox;
          if (ky >= 0 && ky < 3 && kx >= 0 && kx < 3) want[f][oy][ox] = weight[f][k][ky][kx];
        }
      }
    }
    want = want.reshape({1, -1});
    torch::NoGradGuard g;
    EXPECT_TRUE(BitEqual(torso->forward(obs), want)) << y << "," << x << "," << k;
    EXPECT_TRUE(BitEqual(torso->forward(obs.reshape({1, h * w * ch})), want));
    // The libtorch conv path (taken for inputs that need a gradient) agrees.
    torch::Tensor obs_grad = obs.clone().requires_grad_(true);
    torch::AutoGradMode on(true);
    EXPECT_LT(MaxDiff(torso->forward(obs_grad).detach(), want), 1e-7f);
  }
  EXPECT_THROW(torso->forward(torch::zeros({1, h, w, ch + 1})), Error);
}

TEST(ValueNet, MinAtarEqualsHandBuiltModulesWithGradients) {
  // torch::nn::Conv2d + Linear modules with the network's weights copied in: same outputs and
  // the same gradients for every parameter, on the plain and on the fused path.
  for (bool fast_path : {false, true}) {
    QNetworkConfig c = MinAtarConfig();
    c.fast_path = fast_path;
    Rng rng(22);
    auto net = MakeQNetwork(c, std::vector<int64_t>{10, 10, 3}, 5, torch::kCPU, rng, 2);
    EXPECT_EQ(net->fused(), fast_path);
    EXPECT_EQ(net->num_actions(), 5);
    EXPECT_EQ(net->num_atoms(), 2);
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(3, 4, 3));
    torch::nn::Linear l1(4 * 8 * 8, 8), l2(8, 10);
    auto lin = net->linears();
    ASSERT_EQ(lin.size(), 2u);
    {
      torch::NoGradGuard g;
      conv->weight.copy_(Param(*net, "torso.conv.weight"));
      conv->bias.copy_(Param(*net, "torso.conv.bias"));
      l1->weight.copy_(lin[0].weight);
      l1->bias.copy_(lin[0].bias);
      l2->weight.copy_(lin[1].weight);
      l2->bias.copy_(lin[1].bias);
    }
    Rng data(23);
    torch::Tensor obs = BinaryObs({6, 10, 10, 3}, data);
    torch::Tensor target = RandomTensor({6, 10}, data);
    torch::Tensor q = net->forward(obs);
    torch::Tensor hq =
        l2(torch::relu(l1(torch::relu(conv(obs.permute({0, 3, 1, 2}))).reshape({6, -1}))));
    EXPECT_LT(MaxDiff(q, hq), 1e-5f);
    (q - target).pow(2).sum().backward();
    (hq - target).pow(2).sum().backward();
    auto close = [](const torch::Tensor& a, const torch::Tensor& b) {
      return MaxDiff(a, b) <= 1e-5f * std::max(1.0f, b.abs().max().item<float>());
    };
    EXPECT_TRUE(close(Param(*net, "torso.conv.weight").grad(), conv->weight.grad()));
    EXPECT_TRUE(close(Param(*net, "torso.conv.bias").grad(), conv->bias.grad()));
    // The linear layers' grads: the plain modules' own, or the fused node's flat grad at the
    // offsets of its views.
    for (auto [i, mod] : std::vector<std::pair<size_t, torch::nn::Linear>>{{0, l1}, {1, l2}}) {
      torch::Tensor gw = lin[i].weight.grad(), gb = lin[i].bias.grad();
      if (fast_path) {
        torch::Tensor flat = Param(*net, "fused.flat");
        gw = testing::SameView(flat.grad(), lin[i].weight, flat);
        gb = testing::SameView(flat.grad(), lin[i].bias, flat);
      }
      ASSERT_TRUE(gw.defined()) << i;
      EXPECT_TRUE(close(gw, mod->weight.grad())) << i << " fast_path " << fast_path;
      EXPECT_TRUE(close(gb, mod->bias.grad())) << i << " fast_path " << fast_path;
    }
  }
}

TEST(ValueNet, MlpTorsoEqualsPlainQNetwork) {
  // ValueNetwork with an mlp torso, no noisy layers and one atom: PlainQNetwork's draws (same
  // values, same count) and function.
  for (auto [hidden, activation, dueling] :
       std::vector<std::tuple<std::vector<int64_t>, std::string, bool>>{
           {{16, 8}, "relu", false}, {{8}, "tanh", true}, {{}, "relu", false}}) {
    QNetworkConfig c;
    c.hidden_sizes = hidden;
    c.activation = activation;
    c.dueling = dueling;
    Rng r1(24), r2(24);
    ValueNetwork value(c, {4}, 3, 1, r1);
    PlainQNetwork plain(c, 4, 3, r2);
    EXPECT_EQ(r1.Uniform(0.0, 1.0), r2.Uniform(0.0, 1.0));
    auto lv = value.linears(), lp = plain.linears();
    ASSERT_EQ(lv.size(), lp.size());
    for (size_t i = 0; i < lv.size(); ++i) {
      EXPECT_TRUE(BitEqual(lv[i].weight, lp[i].weight)) << i;
      EXPECT_TRUE(BitEqual(lv[i].bias, lp[i].bias)) << i;
    }
    Rng data(25);
    torch::Tensor obs = RandomTensor({7, 4}, data);
    EXPECT_LT(MaxDiff(value.forward(obs), plain.forward(obs)), 1e-6f);
  }
}

TEST(ValueNet, DuelingMeanOverActionsIsTheValuePerAtom) {
  // Wang et al. 2016, eq. 9 per atom: mean_a Q[b, a, k] = V[b, k], plain and noisy.
  for (bool noisy : {false, true}) {
    QNetworkConfig c = MinAtarConfig();
    c.dueling = true;
    c.noisy = noisy;
    Rng rng(26);
    auto net = MakeQNetwork(c, std::vector<int64_t>{10, 10, 3}, 4, torch::kCPU, rng, 5);
    EXPECT_FALSE(net->fused());
    Rng noise(27);
    net->ResetNoise(noise);
    Rng data(28);
    torch::Tensor obs = BinaryObs({3, 10, 10, 3}, data);
    torch::Tensor q = net->forward(obs);
    ASSERT_EQ(q.sizes(), (std::vector<int64_t>{3, 20}));
    auto modules = net->named_modules("", /*include_self=*/false);
    torch::Tensor f = modules["torso"]->as<TorsoImpl>()->forward(obs);
    torch::Tensor v = noisy ? modules["value"]->as<NoisyLinearImpl>()->forward(f)
                            : modules["value"]->as<torch::nn::LinearImpl>()->forward(f);
    ASSERT_EQ(v.sizes(), (std::vector<int64_t>{3, 5}));
    EXPECT_LT(MaxDiff(q.view({3, 4, 5}).mean(1), v), 1e-5f) << "noisy " << noisy;
  }
}

TEST(ValueNet, NoisyLinearInitNoiseAndFunction) {
  // Fortunato et al. 2018, section 3.2: mu ~ U(-1/sqrt(p), 1/sqrt(p)) (weight row-major, then
  // bias), sigma = sigma0 / sqrt(p); eps_in (p draws) then eps_out (q draws), f(x) = sgn(x)
  // sqrt(|x|); y = (mu_w + sigma_w * f(eps_out) f(eps_in)^T) x + mu_b + sigma_b * f(eps_out).
  const int64_t p = 5, q = 3;
  Rng rng(29);
  NoisyLinear layer(p, q, 0.4, rng);
  Rng replay(29);
  const double bound = 1.0 / std::sqrt(5.0);
  torch::Tensor mu_w = torch::empty({q, p}), mu_b = torch::empty({q});
  for (int64_t i = 0; i < q * p; ++i) {
    mu_w.view({-1})[i] = static_cast<float>(replay.Uniform(-bound, bound));
  }
  for (int64_t i = 0; i < q; ++i) mu_b[i] = static_cast<float>(replay.Uniform(-bound, bound));
  EXPECT_TRUE(BitEqual(layer->weight_mu, mu_w));
  EXPECT_TRUE(BitEqual(layer->bias_mu, mu_b));
  EXPECT_LE(layer->weight_mu.abs().max().item<double>(), bound);
  const float sigma = static_cast<float>(0.4 / std::sqrt(5.0));
  EXPECT_TRUE(BitEqual(layer->weight_sigma, torch::full({q, p}, sigma)));
  EXPECT_TRUE(BitEqual(layer->bias_sigma, torch::full({q}, sigma)));
  EXPECT_TRUE(layer->weight_sigma.requires_grad());

  Rng noise(30), noise_replay(30);
  layer->ResetNoise(noise);
  auto f = [](double x) { return static_cast<float>((x > 0) - (x < 0)) * std::sqrt(std::abs(x)); };
  torch::Tensor e_in = torch::empty({p}), e_out = torch::empty({q});
  for (int64_t i = 0; i < p; ++i) e_in[i] = static_cast<float>(f(noise_replay.StandardNormal()));
  for (int64_t i = 0; i < q; ++i) e_out[i] = static_cast<float>(f(noise_replay.StandardNormal()));
  EXPECT_TRUE(BitEqual(layer->eps_in, e_in));
  EXPECT_TRUE(BitEqual(layer->eps_out, e_out));

  Rng data(31);
  torch::Tensor x = RandomTensor({4, p}, data);
  torch::Tensor want =
      torch::matmul(x, (mu_w + sigma * torch::outer(e_out, e_in)).t()) + mu_b + sigma * e_out;
  torch::Tensor y = layer->forward(x);
  EXPECT_LT(MaxDiff(y, want), 1e-6f);
  y.sum().backward();
  for (const torch::Tensor& t :
       {layer->weight_mu, layer->weight_sigma, layer->bias_mu, layer->bias_sigma}) {
    ASSERT_TRUE(t.grad().defined());
    EXPECT_GT(t.grad().abs().sum().item<float>(), 0.0f);
  }
  // d y / d sigma_w = eps_w * x: summed over the batch and outputs.
  EXPECT_LT(MaxDiff(layer->weight_sigma.grad(), torch::outer(e_out, e_in) * x.sum(0)), 1e-5f);
  layer->set_noise_enabled(false);
  EXPECT_LT(MaxDiff(layer->forward(x), torch::matmul(x, mu_w.t()) + mu_b), 1e-6f);
}

TEST(ValueNet, NoisyNetworkDrawOrderCloneAndSwitch) {
  // ResetNoise draws per layer in the order torso layers, value stream, head; eps_in then
  // eps_out. Clone copies eps and the on/off switch and is independent afterwards.
  QNetworkConfig c;
  c.hidden_sizes = {6, 5};
  c.noisy = true;
  c.dueling = true;
  Rng rng(32);
  auto net = MakeQNetwork(c, std::vector<int64_t>{4}, 3, torch::kCPU, rng, 2);
  EXPECT_TRUE(net->noisy());
  EXPECT_FALSE(net->fused());
  EXPECT_TRUE(net->linears().empty());  // no plain Linear layers in a noisy network
  Rng noise(33), replay(33);
  net->ResetNoise(noise);
  for (auto [prefix, in, out] : std::vector<std::tuple<std::string, int64_t, int64_t>>{
           {"torso.noisy0", 4, 6}, {"torso.noisy1", 6, 5}, {"value", 5, 2}, {"head", 5, 6}}) {
    torch::Tensor e_in = Buffer(*net, prefix + ".eps_in"),
                  e_out = Buffer(*net, prefix + ".eps_out");
    ASSERT_EQ(e_in.numel(), in) << prefix;
    ASSERT_EQ(e_out.numel(), out) << prefix;
    for (int64_t i = 0; i < in + out; ++i) {
      const double x = replay.StandardNormal();
      const float want =
          static_cast<float>((x > 0) - (x < 0)) * static_cast<float>(std::sqrt(std::abs(x)));
      EXPECT_EQ((i < in ? e_in[i] : e_out[i - in]).item<float>(), want) << prefix << " " << i;
    }
  }
  EXPECT_EQ(noise.StandardNormal(), replay.StandardNormal());  // nothing else was drawn

  Rng data(34);
  torch::Tensor obs = RandomTensor({5, 4}, data);
  torch::Tensor noisy_q = net->forward(obs);
  net->SetNoiseEnabled(false);
  torch::Tensor mean_q = net->forward(obs);
  EXPECT_GT(MaxDiff(noisy_q, mean_q), 1e-4f);
  auto clone = net->Clone();
  EXPECT_TRUE(clone->noisy());
  EXPECT_EQ(clone->num_atoms(), 2);
  EXPECT_TRUE(BitEqual(clone->forward(obs), mean_q));  // the switch is copied
  clone->SetNoiseEnabled(true);
  EXPECT_TRUE(BitEqual(clone->forward(obs), noisy_q));  // and so is eps
  Rng other(35);
  clone->ResetNoise(other);
  EXPECT_GT(MaxDiff(clone->forward(obs), noisy_q), 1e-4f);
  net->SetNoiseEnabled(true);
  EXPECT_TRUE(BitEqual(net->forward(obs), noisy_q));  // the original keeps its noise
}

TEST(ValueNet, NumAtomsAndFactoryDispatch) {
  QNetworkConfig c;
  c.hidden_sizes = {8};
  Rng rng(36);
  EXPECT_EQ(MakeQNetwork(c, 4, 3, torch::kCPU, rng)->num_atoms(), 1);
  for (bool fast_path : {true, false}) {
    c.fast_path = fast_path;
    auto net = MakeQNetwork(c, std::vector<int64_t>{2, 2}, 3, torch::kCPU, rng, 7);
    EXPECT_EQ(net->fused(), fast_path);
    EXPECT_EQ(net->num_actions(), 3);
    EXPECT_EQ(net->num_atoms(), 7);
    EXPECT_EQ(net->obs_size(), 4);
    auto clone = net->Clone();
    EXPECT_EQ(clone->num_actions(), 3);
    EXPECT_EQ(clone->num_atoms(), 7);
    torch::Tensor obs = torch::ones({2, 2, 2});  // [B, 2, 2] rows of obs_shape {2, 2}
    EXPECT_EQ(net->forward(obs).sizes(), (std::vector<int64_t>{2, 21}));
    EXPECT_TRUE(BitEqual(clone->forward(obs), net->forward(obs)));
  }
  c.fast_path = true;
  c.dueling = true;  // dueling with atoms: the per-atom head (plain), whatever fast_path says
  auto dueling = MakeQNetwork(c, std::vector<int64_t>{4}, 3, torch::kCPU, rng, 2);
  EXPECT_FALSE(dueling->fused());
  EXPECT_EQ(dueling->num_atoms(), 2);
  c.dueling_hidden_sizes = {4};  // stream layers exist only for one atom
  EXPECT_THROW(MakeQNetwork(c, std::vector<int64_t>{4}, 3, torch::kCPU, rng, 2), Error);
  EXPECT_THROW(PlainQNetwork(c, 4, 3, rng, 2), Error);
  EXPECT_THROW(MakeQNetwork(c, std::vector<int64_t>{4}, 3, torch::kCPU, rng, 0), Error);
  EXPECT_THROW(MakeQNetwork(QNetworkConfig{}, std::vector<int64_t>{4, 0}, 3, torch::kCPU, rng),
               Error);
}

TEST(ValueNet, OldFactoryUnchanged) {
  // MakeQNetwork(config, obs_size, ...) builds what it built before value networks existed, and
  // the shape overload with atoms draws the same parameters as it with num_actions * num_atoms
  // outputs (bit for bit: same init, same function).
  for (bool fast_path : {true, false}) {
    for (bool dueling : {false, true}) {
      QNetworkConfig c;
      c.hidden_sizes = {16, 16};
      c.fast_path = fast_path;
      c.dueling = dueling;
      const int64_t atoms = dueling ? 1 : 5;
      Rng r1(37), r2(37), r3(37);
      auto old_net = MakeQNetwork(c, 6, 4 * atoms, torch::kCPU, r1);
      auto by_shape = MakeQNetwork(c, std::vector<int64_t>{2, 3}, 4, torch::kCPU, r2, atoms);
      std::shared_ptr<QNetwork> direct;
      if (fast_path) {
        direct = std::make_shared<FusedQNetwork>(c, 6, 4 * atoms, r3);
      } else {
        direct = std::make_shared<PlainQNetwork>(c, 6, 4 * atoms, r3);
      }
      EXPECT_EQ(old_net->fused(), fast_path);
      EXPECT_EQ(old_net->num_atoms(), 1);
      EXPECT_EQ(old_net->num_actions(), 4 * atoms);
      auto lo = old_net->linears(), ls = by_shape->linears(), ld = direct->linears();
      ASSERT_EQ(lo.size(), ls.size());
      ASSERT_EQ(lo.size(), ld.size());
      for (size_t i = 0; i < lo.size(); ++i) {
        EXPECT_TRUE(BitEqual(lo[i].weight, ls[i].weight));
        EXPECT_TRUE(BitEqual(lo[i].bias, ls[i].bias));
        EXPECT_TRUE(BitEqual(lo[i].weight, ld[i].weight));
      }
      EXPECT_EQ(r1.Uniform(0.0, 1.0), r2.Uniform(0.0, 1.0));
      Rng data(38);
      torch::Tensor obs = RandomTensor({9, 6}, data);
      EXPECT_TRUE(BitEqual(old_net->forward(obs), by_shape->forward(obs.view({9, 2, 3}))));
      EXPECT_TRUE(BitEqual(old_net->forward(obs), direct->forward(obs)));
    }
  }
}

TEST(ValueNet, ConfigKeysAndValidation) {
  QNetworkConfig c = LoadConfig<QNetworkConfig>(
      YAML::Load("{torso: minatar, conv_channels: 32, noisy: true, noisy_sigma0: 0.1, "
                 "hidden_sizes: [128]}"),
      "net");
  EXPECT_EQ(c.torso, "minatar");
  EXPECT_EQ(c.conv_channels, 32);
  EXPECT_TRUE(c.noisy);
  EXPECT_DOUBLE_EQ(c.noisy_sigma0, 0.1);
  YAML::Node dumped = DumpConfig(QNetworkConfig{});
  EXPECT_EQ(dumped["torso"].as<std::string>(), "mlp");
  EXPECT_EQ(dumped["conv_channels"].as<int64_t>(), 16);
  EXPECT_FALSE(dumped["noisy"].as<bool>());
  EXPECT_DOUBLE_EQ(dumped["noisy_sigma0"].as<double>(), 0.5);
  auto message = [](QNetworkConfig bad) {
    try {
      bad.Validate();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  QNetworkConfig bad;
  bad.torso = "nature";
  EXPECT_NE(message(bad).find("'nature'"), std::string::npos) << message(bad);
  bad = QNetworkConfig{};
  bad.conv_channels = 0;
  EXPECT_NE(message(bad).find("net.conv_channels must be >= 1, got 0"), std::string::npos);
  bad = QNetworkConfig{};
  bad.noisy_sigma0 = -0.5;
  EXPECT_NE(message(bad).find("-0.5"), std::string::npos) << message(bad);
  bad = MinAtarConfig();
  bad.dueling = true;
  bad.dueling_hidden_sizes = {4};
  EXPECT_NE(message(bad).find("dueling_hidden_sizes"), std::string::npos) << message(bad);
}

TEST(ValueNet, IqnEmbeddingByHand) {
  // Eq. 4 with n = 3, D = 2, A = 1 and fixed weights: psi = ReLU([1, 2] x) = [1, 2] for x = 1;
  // tau = 0.5: cos(pi i tau) = [1, 0, -1], W [[1, 2, 3], [-1, 0.5, -2]] + b [0.5, 0.25]
  //   -> ReLU([-1.5, 1.25]) = [0, 1.25]; psi * phi = [0, 2.5]; head [1, 1], 0.1 -> 2.6.
  // tau = 0: cos = [1, 1, 1] -> ReLU([6.5, -2.25]) = [6.5, 0] -> 6.5 + 0.1 = 6.6.
  QNetworkConfig c;
  c.hidden_sizes = {2};
  Rng rng(39);
  IqnNetwork net(c, std::vector<int64_t>{1}, 1, 3, rng);
  {
    torch::NoGradGuard g;
    Param(*net, "torso.linear0.weight").copy_(torch::tensor({{1.f}, {2.f}}));
    Param(*net, "torso.linear0.bias").zero_();
    Param(*net, "embedding.weight").copy_(torch::tensor({{1.f, 2.f, 3.f}, {-1.f, 0.5f, -2.f}}));
    Param(*net, "embedding.bias").copy_(torch::tensor({0.5f, 0.25f}));
    Param(*net, "head.weight").copy_(torch::tensor({{1.f, 1.f}}));
    Param(*net, "head.bias").fill_(0.1f);
  }
  torch::Tensor z = net->forward(torch::ones({1, 1}), torch::tensor({{0.5f, 0.0f}}));
  ASSERT_EQ(z.sizes(), (std::vector<int64_t>{1, 2, 1}));
  EXPECT_NEAR(z[0][0][0].item<float>(), 2.6f, 1e-5f);
  EXPECT_NEAR(z[0][1][0].item<float>(), 6.6f, 1e-5f);
}

TEST(ValueNet, IqnMinAtarShapesGradientsAndErrors) {
  Rng rng(40);
  IqnNetwork net = MakeIqnNetwork(MinAtarConfig(), {10, 10, 3}, 6, 64, rng);
  Rng data(41);
  torch::Tensor obs = BinaryObs({3, 10, 10, 3}, data);
  torch::Tensor taus = (RandomTensor({3, 8}, data).abs() / 4.0).clamp(0.0, 1.0);
  torch::Tensor z = net->forward(obs, taus);
  EXPECT_EQ(z.sizes(), (std::vector<int64_t>{3, 8, 6}));
  EXPECT_EQ(net->forward(obs.reshape({3, 300}), taus).sizes(), z.sizes());
  z.pow(2).sum().backward();
  for (const auto& p : net->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<float>(), 0.0f) << p.key();
  }
  // Same draws: torso, embedding, head from one Rng; a clone is the same function.
  Rng again(40);
  IqnNetwork twin = MakeIqnNetwork(MinAtarConfig(), {10, 10, 3}, 6, 64, again);
  EXPECT_TRUE(BitEqual(twin->forward(obs, taus), z));
  EXPECT_TRUE(BitEqual(net->Clone()->forward(obs, taus), z));
  EXPECT_THROW(net->forward(obs, torch::rand({2, 8})), Error);  // batch mismatch

  QNetworkConfig c;
  c.noisy = true;
  EXPECT_THROW(IqnNetwork(c, std::vector<int64_t>{4}, 2, 8, rng),
               Error);  // the constructor checks too
  c = QNetworkConfig{};
  c.hidden_sizes = {};
  EXPECT_THROW(MakeIqnNetwork(c, {4}, 2, 8, rng), Error);
  EXPECT_THROW(MakeIqnNetwork(QNetworkConfig{}, {4}, 2, 0, rng), Error);
  EXPECT_THROW(MakeIqnNetwork(QNetworkConfig{}, {4}, 0, 8, rng), Error);
}

}  // namespace
}  // namespace bellman::nets
