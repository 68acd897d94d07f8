// FusedMlp against the plain Mlp/DuelingHead: same init, outputs and gradients within 1e-6.
#include "bellman/nets/fused_mlp.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/nets/mlp.h"
#include "bellman/nets/q_network.h"
#include "bellman/nets/threads.h"
#include "nets/test_util.h"

namespace bellman::nets {
namespace {

using testing::BitEqual;
using testing::MaxAbsDiff;
using testing::RandomTensor;
using testing::SameView;

constexpr double kTol = 1e-6;

class NetsTest : public ::testing::Test {
 protected:
  void SetUp() override { SetNumThreads(1, 1); }
};

struct Case {
  std::string name;
  int64_t input;
  std::vector<int64_t> hidden;
  int64_t output;
  Activation activation;
  int64_t batch;
  bool activate_output = false;
  bool dueling = false;
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

MlpOptions OptionsOf(const Case& c) {
  return MlpOptions{.input_size = c.input,
                    .hidden_sizes = c.hidden,
                    .output_size = c.output,
                    .activation = c.activation,
                    .activate_output = c.activate_output};
}

// The plain reference for a case: an Mlp, or for dueling an Mlp torso + DuelingHead.
struct PlainRef : torch::nn::Module {
  PlainRef(const Case& c, Rng& rng) {
    if (!c.dueling) {
      mlp = register_module("mlp", Mlp(OptionsOf(c), rng));
      return;
    }
    if (!c.hidden.empty()) {
      std::vector<int64_t> inner(c.hidden.begin(), c.hidden.end() - 1);
      torso = register_module("torso", Mlp(MlpOptions{.input_size = c.input,
                                                      .hidden_sizes = inner,
                                                      .output_size = c.hidden.back(),
                                                      .activation = c.activation,
                                                      .activate_output = true},
                                           rng));
    }
    head = register_module(
        "head",
        DuelingHead(DuelingHeadOptions{.input_size = c.hidden.empty() ? c.input : c.hidden.back(),
                                       .hidden_sizes = {},
                                       .num_actions = c.output,
                                       .activation = c.activation},
                    rng));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    if (mlp) return mlp->forward(x);
    return head->forward(torso ? torso->forward(x) : x);
  }
  std::vector<LinearView> linears() const {
    if (mlp) return mlp->linears();
    std::vector<LinearView> out;
    if (torso) out = torso->linears();
    for (auto& l : head->linears()) out.push_back(l);
    return out;
  }
  Mlp mlp = nullptr;
  Mlp torso = nullptr;
  DuelingHead head = nullptr;
};

class FusedVsPlainTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override { SetNumThreads(1, 1); }
};

TEST_P(FusedVsPlainTest, OutputsAndGradientsMatch) {
  const Case& c = GetParam();
  Rng init_a(11);
  Rng init_b(11);
  PlainRef plain(c, init_a);
  FusedMlp fused(OptionsOf(c), init_b, c.dueling);

  // Same seed, same draws in the same order: the same weights, bit for bit.
  const auto pl = plain.linears();
  const auto fl = fused->linears();
  ASSERT_EQ(pl.size(), fl.size());
  for (size_t l = 0; l < pl.size(); ++l) {
    EXPECT_TRUE(BitEqual(pl[l].weight, fl[l].weight)) << "layer " << l;
    EXPECT_TRUE(BitEqual(pl[l].bias, fl[l].bias)) << "layer " << l;
  }

  Rng data(5);
  const torch::Tensor x = RandomTensor({c.batch, c.input}, data);
  // A mean-like loss with random weights: gradients of the size a real loss gives.
  const torch::Tensor w = RandomTensor({c.batch, c.output}, data, 1.0 / c.batch);
  const torch::Tensor xa = x.clone().requires_grad_(true);
  const torch::Tensor xb = x.clone().requires_grad_(true);

  const torch::Tensor ya = plain.forward(xa);
  const torch::Tensor yb = fused->forward(xb);
  ASSERT_EQ(ya.sizes(), yb.sizes());
  EXPECT_LE(MaxAbsDiff(ya, yb), kTol);

  (ya * w).sum().backward();
  (yb * w).sum().backward();
  EXPECT_LE(MaxAbsDiff(xa.grad(), xb.grad()), kTol) << "input gradient";
  const torch::Tensor& flat = fused->flat();
  ASSERT_TRUE(flat.grad().defined());
  double worst = 0;
  for (size_t l = 0; l < pl.size(); ++l) {
    const double dw = MaxAbsDiff(pl[l].weight.grad(), SameView(flat.grad(), fl[l].weight, flat));
    const double db = MaxAbsDiff(pl[l].bias.grad(), SameView(flat.grad(), fl[l].bias, flat));
    EXPECT_LE(dw, kTol) << "weight grad of layer " << l;
    EXPECT_LE(db, kTol) << "bias grad of layer " << l;
    worst = std::max({worst, dw, db});
  }
  RecordProperty("max_diff_output", fmt::format("{:.3g}", MaxAbsDiff(ya, yb)));
  RecordProperty("max_diff_grad", fmt::format("{:.3g}", worst));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FusedVsPlainTest,
    ::testing::Values(
        Case{"linear_b1", 4, {}, 2, Activation::kRelu, 1},
        Case{"relu_64_b1", 4, {64}, 2, Activation::kRelu, 1},
        Case{"relu_64x64_b128", 4, {64, 64}, 2, Activation::kRelu, 128},
        Case{"tanh_64x64_b128", 4, {64, 64}, 2, Activation::kTanh, 128},
        Case{"relu_3layers_b37", 7, {32, 48, 16}, 5, Activation::kRelu, 37},
        Case{"tanh_3layers_b128", 7, {32, 48, 16}, 5, Activation::kTanh, 128},
        Case{"relu_256x256_b64", 8, {256, 256}, 4, Activation::kRelu, 64},
        Case{"relu_400x300_b256", 17, {400, 300}, 6, Activation::kRelu, 256},
        Case{"torso_relu_b128", 4, {64, 64}, 32, Activation::kRelu, 128, true},
        Case{"torso_tanh_b1", 4, {64}, 32, Activation::kTanh, 1, true},
        Case{"dueling_64x64_b128", 4, {64, 64}, 3, Activation::kRelu, 128, false, true},
        Case{"dueling_tanh_b1", 6, {32}, 4, Activation::kTanh, 1, false, true},
        Case{"dueling_linear_b16", 6, {}, 4, Activation::kRelu, 16, false, true}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST_F(NetsTest, SameSeedSameInitRegardlessOfTorchGlobalRng) {
  const MlpOptions options{.input_size = 5, .hidden_sizes = {16, 8}, .output_size = 3};
  torch::manual_seed(1);
  Rng a(42);
  FusedMlp f1(options, a);
  torch::manual_seed(2);
  Rng b(42);
  FusedMlp f2(options, b);
  EXPECT_TRUE(BitEqual(f1->flat(), f2->flat()));
  Rng c(43);
  FusedMlp f3(options, c);
  EXPECT_FALSE(BitEqual(f1->flat(), f3->flat()));
  Rng d(42);
  Mlp plain(options, d);
  const auto pl = plain->linears();
  const auto fl = f1->linears();
  for (size_t l = 0; l < pl.size(); ++l) {
    EXPECT_TRUE(BitEqual(pl[l].weight, fl[l].weight));
    EXPECT_TRUE(BitEqual(pl[l].bias, fl[l].bias));
  }
}

TEST_F(NetsTest, InitFollowsTorchDefaultBounds) {
  Rng rng(3);
  Mlp plain(MlpOptions{.input_size = 100, .hidden_sizes = {400}, .output_size = 2}, rng);
  const auto layers = plain->linears();
  const double b0 = 1.0 / std::sqrt(100.0);
  const double b1 = 1.0 / std::sqrt(400.0);
  EXPECT_LE(layers[0].weight.abs().max().item<double>(), b0);
  EXPECT_GT(layers[0].weight.abs().max().item<double>(), 0.95 * b0);
  EXPECT_LE(layers[0].bias.abs().max().item<double>(), b0);
  EXPECT_LE(layers[1].weight.abs().max().item<double>(), b1);
  EXPECT_GT(layers[1].weight.abs().max().item<double>(), 0.95 * b1);
  // The first draw is rng.Uniform(-b, b) of a fresh Rng(3), cast to float.
  Rng again(3);
  EXPECT_EQ(layers[0].weight[0][0].item<float>(), static_cast<float>(again.Uniform(-b0, b0)));
}

TEST_F(NetsTest, ParametersAreOneFlatTensor) {
  Rng rng(1);
  FusedMlp fused(MlpOptions{.input_size = 4, .hidden_sizes = {64, 64}, .output_size = 2}, rng);
  const auto params = fused->parameters();
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].numel(), 4 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
  EXPECT_EQ(fused->named_parameters().begin()->key(), "flat");
  EXPECT_TRUE(params[0].requires_grad());
  // Layer views alias the flat buffer.
  EXPECT_EQ(fused->weight(1).data_ptr<float>(), params[0].data_ptr<float>() + 4 * 64 + 64);
  EXPECT_EQ(fused->weight(1).sizes(), (std::vector<int64_t>{64, 64}));
}

// A DQN-style loss: Q(s, a) gathered from the online net, target from a target net under
// NoGradGuard, Huber loss; fused and plain give the same gradients.
TEST_F(NetsTest, WorksInsideLargerGraph) {
  const MlpOptions options{.input_size = 4, .hidden_sizes = {64, 64}, .output_size = 3};
  Rng r1(9), r2(9), r3(10), r4(10);
  Mlp online_p(options, r1);
  FusedMlp online_f(options, r2);
  Mlp target_p(options, r3);
  FusedMlp target_f(options, r4);
  Rng data(2);
  const int64_t batch = 64;
  const torch::Tensor obs = RandomTensor({batch, 4}, data);
  const torch::Tensor next_obs = RandomTensor({batch, 4}, data);
  const torch::Tensor reward = RandomTensor({batch}, data);
  torch::Tensor actions = torch::empty({batch, 1}, torch::kInt64);
  for (int64_t i = 0; i < batch; ++i) actions[i][0] = data.Integers(0, 3);

  auto loss_of = [&](auto& online, auto& target) {
    torch::Tensor td_target;
    {
      torch::NoGradGuard no_grad;
      td_target = reward + 0.99 * std::get<0>(target->forward(next_obs).max(1));
    }
    const torch::Tensor q = online->forward(obs).gather(1, actions).squeeze(1);
    return torch::smooth_l1_loss(q, td_target);
  };
  const torch::Tensor lp = loss_of(online_p, target_p);
  const torch::Tensor lf = loss_of(online_f, target_f);
  EXPECT_LE(std::abs(lp.item<double>() - lf.item<double>()), kTol);
  lp.backward();
  lf.backward();
  std::vector<torch::Tensor> grads;
  for (const auto& p : online_p->parameters()) grads.push_back(p.grad().flatten());
  EXPECT_LE(MaxAbsDiff(torch::cat(grads), online_f->flat().grad()), kTol);
  EXPECT_FALSE(target_f->flat().grad().defined());
}

TEST_F(NetsTest, TwoForwardsBeforeOneBackward) {
  const MlpOptions options{.input_size = 3, .hidden_sizes = {32, 32}, .output_size = 2};
  Rng r1(4), r2(4), data(8);
  Mlp plain(options, r1);
  FusedMlp fused(options, r2);
  const torch::Tensor x1 = RandomTensor({16, 3}, data);
  const torch::Tensor x2 = RandomTensor({40, 3}, data);
  const torch::Tensor w1 = RandomTensor({16, 2}, data, 1.0 / 16);
  const torch::Tensor w2 = RandomTensor({40, 2}, data, 1.0 / 40);
  ((plain->forward(x1) * w1).sum() + (plain->forward(x2) * w2).sum()).backward();
  // The second forward must not overwrite the activations the first one's backward needs.
  const torch::Tensor y1 = fused->forward(x1);
  const torch::Tensor y2 = fused->forward(x2);
  {
    torch::NoGradGuard no_grad;  // and a forward without grad in between
    fused->forward(RandomTensor({7, 3}, data));
  }
  ((y1 * w1).sum() + (y2 * w2).sum()).backward();
  std::vector<torch::Tensor> grads;
  for (const auto& p : plain->parameters()) grads.push_back(p.grad().flatten());
  EXPECT_LE(MaxAbsDiff(torch::cat(grads), fused->flat().grad()), kTol);
}

TEST_F(NetsTest, BatchSizeChangesAndNonContiguousInput) {
  const MlpOptions options{
      .input_size = 6, .hidden_sizes = {20}, .output_size = 3, .activation = Activation::kTanh};
  Rng r1(4), r2(4), data(1);
  Mlp plain(options, r1);
  FusedMlp fused(options, r2);
  for (int64_t batch : {128, 1, 300, 5, 128}) {
    // [6, batch] transposed: a non-contiguous [batch, 6] input.
    const torch::Tensor x = RandomTensor({6, batch}, data).t();
    if (batch > 1) {
      ASSERT_FALSE(x.is_contiguous());
    }
    plain->zero_grad();
    fused->zero_grad();
    const torch::Tensor w = RandomTensor({batch, 3}, data, 1.0 / batch);
    const torch::Tensor ya = plain->forward(x);
    const torch::Tensor yb = fused->forward(x);
    EXPECT_LE(MaxAbsDiff(ya, yb), kTol) << "batch " << batch;
    (ya * w).sum().backward();
    (yb * w).sum().backward();
    std::vector<torch::Tensor> grads;
    for (const auto& p : plain->parameters()) grads.push_back(p.grad().flatten());
    EXPECT_LE(MaxAbsDiff(torch::cat(grads), fused->flat().grad()), kTol) << "batch " << batch;
  }
}

TEST_F(NetsTest, NoGraphWithoutGrad) {
  Rng rng(1), data(2);
  FusedMlp fused(MlpOptions{.input_size = 4, .hidden_sizes = {8}, .output_size = 2}, rng);
  const torch::Tensor x = RandomTensor({3, 4}, data);
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor y = fused->forward(x);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
  }
  const torch::Tensor y = fused->forward(x);
  EXPECT_TRUE(y.requires_grad());
  EXPECT_NE(y.grad_fn(), nullptr);
  // A frozen net (target network) with an input that needs grad: only the input gets one.
  fused->flat().requires_grad_(false);
  const torch::Tensor xi = x.clone().requires_grad_(true);
  fused->forward(xi).sum().backward();
  EXPECT_TRUE(xi.grad().defined());
  EXPECT_FALSE(fused->flat().grad().defined());
}

TEST_F(NetsTest, RetainGraphWorksDoubleBackwardIsRefused) {
  const MlpOptions options{.input_size = 4, .hidden_sizes = {8}, .output_size = 2};
  Rng r1(1), r2(1), data(2);
  Mlp plain(options, r1);
  FusedMlp fused(options, r2);
  const torch::Tensor x = RandomTensor({5, 4}, data);
  const torch::Tensor lp = plain->forward(x).pow(2).sum();
  const torch::Tensor lf = fused->forward(x).pow(2).sum();
  // Two backward passes through one retained graph accumulate twice the gradient.
  lp.backward({}, /*retain_graph=*/true);
  lp.backward();
  lf.backward({}, /*retain_graph=*/true);
  lf.backward();
  std::vector<torch::Tensor> grads;
  for (const auto& p : plain->parameters()) grads.push_back(p.grad().flatten());
  EXPECT_LE(MaxAbsDiff(torch::cat(grads), fused->flat().grad()), kTol);
  const torch::Tensor y = fused->forward(x).pow(2).sum();
  EXPECT_ANY_THROW(y.backward({}, /*retain_graph=*/true, /*create_graph=*/true));
}

TEST_F(NetsTest, RejectsBadInput) {
  Rng rng(1);
  FusedMlp fused(MlpOptions{.input_size = 4, .hidden_sizes = {8}, .output_size = 2}, rng);
  EXPECT_THROW(fused->forward(torch::zeros({3, 5})), Error);
  EXPECT_THROW(fused->forward(torch::zeros({4})), Error);
  EXPECT_THROW(fused->forward(torch::zeros({3, 4}, torch::kFloat64)), Error);
  EXPECT_THROW((FusedMlp(MlpOptions{.input_size = 4, .hidden_sizes = {0}, .output_size = 2}, rng)),
               Error);
  try {
    fused->forward(torch::zeros({3, 5}));
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[batch, 4]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ParseActivation("gelu"), Error);
}

TEST_F(NetsTest, EmptyBatch) {
  Rng rng(1);
  FusedMlp fused(MlpOptions{.input_size = 4, .hidden_sizes = {8}, .output_size = 2}, rng);
  const torch::Tensor y = fused->forward(torch::zeros({0, 4}));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{0, 2}));
  y.sum().backward();
  EXPECT_EQ(fused->flat().grad().abs().sum().item<float>(), 0.0f);
}

TEST_F(NetsTest, SaveLoadModule) {
  const MlpOptions options{.input_size = 4, .hidden_sizes = {16}, .output_size = 2};
  Rng r1(1), r2(2), data(3);
  FusedMlp a(options, r1);
  FusedMlp b(options, r2);
  std::stringstream stream;
  torch::save(a, stream);
  torch::load(b, stream);
  EXPECT_TRUE(BitEqual(a->flat(), b->flat()));
  const torch::Tensor x = RandomTensor({5, 4}, data);
  EXPECT_TRUE(BitEqual(a->forward(x), b->forward(x)));
}

// ---- Q-networks and the factory --------------------------------------------------------------

struct QCase {
  std::string name;
  QNetworkConfig config;
};

class QNetworkTest : public ::testing::TestWithParam<QCase> {
 protected:
  void SetUp() override { SetNumThreads(1, 1); }
};

TEST_P(QNetworkTest, FusedAndPlainAreTheSameFunction) {
  QNetworkConfig config = GetParam().config;
  Rng r1(21), r2(21), data(4);
  config.fast_path = true;
  const auto fused = MakeQNetwork(config, 6, 3, torch::kCPU, r1);
  config.fast_path = false;
  const auto plain = MakeQNetwork(config, 6, 3, torch::kCPU, r2);
  EXPECT_TRUE(fused->fused());
  EXPECT_FALSE(plain->fused());
  const auto fl = fused->linears();
  const auto pl = plain->linears();
  ASSERT_EQ(fl.size(), pl.size());
  for (size_t l = 0; l < fl.size(); ++l) {
    EXPECT_TRUE(BitEqual(fl[l].weight, pl[l].weight)) << l;
    EXPECT_TRUE(BitEqual(fl[l].bias, pl[l].bias)) << l;
  }
  // [batch, 2, 3] observations are flattened to 6 features.
  const torch::Tensor obs = RandomTensor({32, 2, 3}, data);
  const torch::Tensor w = RandomTensor({32, 3}, data, 1.0 / 32);
  const torch::Tensor qf = fused->forward(obs);
  const torch::Tensor qp = plain->forward(obs);
  EXPECT_LE(MaxAbsDiff(qf, qp), kTol);
  (qf * w).sum().backward();
  (qp * w).sum().backward();
  std::vector<torch::Tensor> gf;
  std::vector<torch::Tensor> gp;
  for (size_t l = 0; l < fl.size(); ++l) {
    // Find each fused view's grad in whichever flat parameter holds it.
    for (const auto& p : fused->parameters()) {
      if (fl[l].weight.data_ptr<float>() >= p.data_ptr<float>() &&
          fl[l].weight.data_ptr<float>() < p.data_ptr<float>() + p.numel()) {
        gf.push_back(SameView(p.grad(), fl[l].weight, p).flatten());
        gf.push_back(SameView(p.grad(), fl[l].bias, p).flatten());
      }
    }
    gp.push_back(pl[l].weight.grad().flatten());
    gp.push_back(pl[l].bias.grad().flatten());
  }
  EXPECT_LE(MaxAbsDiff(torch::cat(gf), torch::cat(gp)), kTol);

  // Clone: same values, own storage, same requires_grad.
  const auto target = fused->Clone();
  EXPECT_TRUE(target->fused());
  const auto tp = target->parameters();
  const auto fp = fused->parameters();
  ASSERT_EQ(tp.size(), fp.size());
  for (size_t i = 0; i < tp.size(); ++i) {
    EXPECT_TRUE(BitEqual(tp[i], fp[i]));
    EXPECT_NE(tp[i].data_ptr(), fp[i].data_ptr());
  }
  const auto plain_clone = plain->Clone();
  EXPECT_FALSE(plain_clone->fused());
  EXPECT_TRUE(BitEqual(plain_clone->forward(obs), plain->forward(obs)));
}

QNetworkConfig Config(std::vector<int64_t> hidden, bool dueling, std::vector<int64_t> stream,
                      std::string activation = "relu") {
  QNetworkConfig c;
  c.hidden_sizes = std::move(hidden);
  c.dueling = dueling;
  c.dueling_hidden_sizes = std::move(stream);
  c.activation = std::move(activation);
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    Configs, QNetworkTest,
    ::testing::Values(QCase{"mlp_64x64", Config({64, 64}, false, {})},
                      QCase{"mlp_tanh", Config({32}, false, {}, "tanh")},
                      QCase{"linear", Config({}, false, {})},
                      QCase{"dueling", Config({64, 64}, true, {})},
                      QCase{"dueling_streams", Config({64}, true, {32})},
                      QCase{"dueling_streams_no_torso", Config({}, true, {16, 16})}),
    [](const ::testing::TestParamInfo<QCase>& info) { return info.param.name; });

TEST_F(NetsTest, QNetworkConfigErrors) {
  Rng rng(1);
  EXPECT_THROW(MakeQNetwork(Config({64, 0}, false, {}), 4, 2, torch::kCPU, rng), Error);
  EXPECT_THROW(MakeQNetwork(Config({64}, false, {8}), 4, 2, torch::kCPU, rng), Error);
  EXPECT_THROW(MakeQNetwork(Config({64}, false, {}, "elu"), 4, 2, torch::kCPU, rng), Error);
  EXPECT_THROW(MakeQNetwork(Config({64}, false, {}), 4, 0, torch::kCPU, rng), Error);
  const auto net = MakeQNetwork(Config({8}, false, {}), 4, 2, torch::kCPU, rng);
  try {
    net->forward(torch::zeros({3, 5}));
    ADD_FAILURE() << "expected bellman::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("4 values per row"), std::string::npos) << e.what();
  }
}

TEST_F(NetsTest, ThreadPinning) {
  SetNumThreads(1, 1);
  EXPECT_EQ(BlasNumThreads(), 1);
  EXPECT_EQ(torch::get_num_threads(), 1);
  EXPECT_THROW(SetNumThreads(0, 1), Error);
  EXPECT_FALSE(BlasCoreName().empty());
  // SetNumThreads switched OpenBLAS to the best kernels this CPU runs (UseBestBlasKernels), so
  // nothing better is left to suggest.
  EXPECT_EQ(SuggestedBlasCore(), "") << "OpenBLAS kept " << BlasCoreName();
  EXPECT_EQ(UseBestBlasKernels(), BlasCoreName());
  // An explicit OPENBLAS_CORETYPE always stands.
  const char* before = std::getenv("OPENBLAS_CORETYPE");
  const std::string saved = before != nullptr ? before : "";
  setenv("OPENBLAS_CORETYPE", "Prescott", 1);
  EXPECT_EQ(SuggestedBlasCore(), "");
  if (before != nullptr) {
    setenv("OPENBLAS_CORETYPE", saved.c_str(), 1);
  } else {
    unsetenv("OPENBLAS_CORETYPE");
  }
}

}  // namespace
}  // namespace bellman::nets
