// The causal transformer (bellman/nets/transformer.h): no position sees a later one or a padded
// one, dropout comes only from the generator it is given, and a one-layer forward matches the
// block written out with plain tensor ops.
#include "bellman/nets/transformer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "bellman/core/error.h"

namespace bellman::nets {
namespace {

TransformerOptions Small(double dropout = 0.0) {
  return {.embed_dim = 8,
          .n_layers = 2,
          .n_heads = 2,
          .attention_dropout = dropout,
          .residual_dropout = dropout};
}

TEST(Transformer, APositionSeesNoLaterToken) {
  Rng rng(1);
  CausalTransformer net(Small(), rng);
  std::optional<at::Generator> none;
  const torch::Tensor x = NormalInit(rng, {2, 6, 8}, 1.0);
  torch::Tensor changed = x.clone();
  // Tokens 4 and 5 change (not by a constant: LayerNorm would not see that).
  changed.narrow(1, 4, 2).add_(NormalInit(rng, {2, 2, 8}, 1.0));
  const torch::Tensor a = net->forward(x, {}, none), b = net->forward(changed, {}, none);
  EXPECT_TRUE(torch::equal(a.narrow(1, 0, 4), b.narrow(1, 0, 4)));
  EXPECT_FALSE(torch::allclose(a.narrow(1, 4, 2), b.narrow(1, 4, 2)));
}

TEST(Transformer, AValidPositionSeesNoPadding) {
  Rng rng(2);
  CausalTransformer net(Small(), rng);
  std::optional<at::Generator> none;
  // Row 0 left-padded by two positions (as a short history at evaluation), row 1 full.
  torch::Tensor valid = torch::ones({2, 6}, torch::kBool);
  valid[0][0] = false;
  valid[0][1] = false;
  const torch::Tensor x = NormalInit(rng, {2, 6, 8}, 1.0);
  torch::Tensor changed = x.clone();
  changed[0].narrow(0, 0, 2).add_(5.0f);
  const torch::Tensor a = net->forward(x, valid, none), b = net->forward(changed, valid, none);
  EXPECT_TRUE(torch::equal(a[0].narrow(0, 2, 4), b[0].narrow(0, 2, 4)));
  EXPECT_TRUE(torch::isfinite(a).all().item<bool>());  // padded rows attend to themselves
  // The unpadded suffix alone gives the same outputs as the padded row.
  const torch::Tensor alone = net->forward(x[0].narrow(0, 2, 4).unsqueeze(0), {}, none);
  EXPECT_TRUE(torch::allclose(alone[0], a[0].narrow(0, 2, 4), 1e-5, 1e-6));
}

TEST(Transformer, DropoutComesOnlyFromTheGivenGenerator) {
  Rng rng(3);
  CausalTransformer net(Small(0.3), rng);
  const torch::Tensor x = NormalInit(rng, {2, 5, 8}, 1.0);
  std::optional<at::Generator> g1 = at::detail::createCPUGenerator(7);
  std::optional<at::Generator> g2 = at::detail::createCPUGenerator(7);
  std::optional<at::Generator> g3 = at::detail::createCPUGenerator(8);
  std::optional<at::Generator> none;
  const torch::Tensor a = net->forward(x, {}, g1), b = net->forward(x, {}, g2);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, net->forward(x, {}, g3)));
  EXPECT_TRUE(torch::equal(net->forward(x, {}, none), net->forward(x, {}, none)));
  EXPECT_FALSE(torch::equal(a, net->forward(x, {}, none)));
}

TEST(Transformer, OneLayerMatchesTheBlockWrittenOut) {
  Rng rng(4);
  TransformerOptions o = Small();
  o.n_layers = 1;
  o.n_heads = 1;
  CausalTransformer net(o, rng);
  std::optional<at::Generator> none;
  const torch::Tensor x = NormalInit(rng, {1, 3, 8}, 1.0);
  auto param = [&](const std::string& name) { return net->named_parameters()[name]; };
  auto ln = [](const torch::Tensor& v) {
    const torch::Tensor mean = v.mean(-1, true);
    const torch::Tensor var = (v - mean).pow(2).mean(-1, true);
    return (v - mean) / torch::sqrt(var + 1e-5);  // LayerNorm weight 1, bias 0 at init
  };
  const torch::Tensor qkv =
      torch::matmul(ln(x[0]), param("qkv_0.weight").t()) + param("qkv_0.bias");
  const torch::Tensor q = qkv.narrow(1, 0, 8), k = qkv.narrow(1, 8, 8), v = qkv.narrow(1, 16, 8);
  torch::Tensor scores = torch::matmul(q, k.t()) / std::sqrt(8.0);
  scores = scores.masked_fill(torch::ones({3, 3}, torch::kBool).triu(1), -INFINITY);
  const torch::Tensor attn = torch::matmul(torch::softmax(scores, -1), v);
  torch::Tensor y = x[0] + torch::matmul(attn, param("proj_0.weight").t()) + param("proj_0.bias");
  const torch::Tensor hidden =
      torch::gelu(torch::matmul(ln(y), param("fc1_0.weight").t()) + param("fc1_0.bias"));
  y = y + torch::matmul(hidden, param("fc2_0.weight").t()) + param("fc2_0.bias");
  EXPECT_TRUE(torch::allclose(net->forward(x, {}, none)[0], ln(y), 1e-4, 1e-5));
}

// The fused path (one autograd node, src/nets/fused_transformer.cpp) against the libtorch ops:
// output, input gradient and every parameter gradient, for one token (value-only attention),
// several tokens and heads, and DT's size; LayerNorm weights and biases random so that their
// gradients are tested too.
TEST(Transformer, FusedPathMatchesLibtorchOpsAndGradients) {
  struct Case {
    int64_t batch, tokens, d, layers, heads;
  };
  for (const Case c :
       {Case{5, 1, 8, 2, 1}, Case{4, 3, 8, 2, 2}, Case{3, 6, 16, 3, 4}, Case{2, 20, 128, 3, 1}}) {
    SCOPED_TRACE(::testing::Message() << "B " << c.batch << " T " << c.tokens << " d " << c.d
                                      << " layers " << c.layers << " heads " << c.heads);
    TransformerOptions o{.embed_dim = c.d,
                         .n_layers = c.layers,
                         .n_heads = c.heads,
                         .attention_dropout = 0.0,
                         .residual_dropout = 0.0};
    Rng rng(11), same(11);
    o.fused = true;
    CausalTransformer fused(o, rng);
    o.fused = false;
    CausalTransformer plain(o, same);
    {
      torch::NoGradGuard no_grad;
      auto fp = fused->parameters(), pp = plain->parameters();
      for (size_t i = 0; i < fp.size(); ++i) {
        fp[i].copy_(NormalInit(rng, fp[i].sizes(), 0.3));
        pp[i].copy_(fp[i]);
      }
    }
    std::optional<at::Generator> none;
    const torch::Tensor x0 = NormalInit(rng, {c.batch, c.tokens, c.d}, 1.0);
    const torch::Tensor weight = NormalInit(rng, {c.batch, c.tokens, c.d}, 1.0);
    torch::Tensor xf = x0.clone().requires_grad_(), xp = x0.clone().requires_grad_();
    const torch::Tensor yf = fused->forward(xf, {}, none), yp = plain->forward(xp, {}, none);
    EXPECT_TRUE(torch::allclose(yf, yp, 1e-4, 1e-5)) << (yf - yp).abs().max().item<float>();
    (yf * weight).sum().backward();
    (yp * weight).sum().backward();
    EXPECT_TRUE(torch::allclose(xf.grad(), xp.grad(), 1e-4, 1e-5))
        << (xf.grad() - xp.grad()).abs().max().item<float>();
    const auto fnamed = fused->named_parameters(), pnamed = plain->named_parameters();
    for (const auto& item : fnamed) {
      const torch::Tensor& gf = item.value().grad();
      const torch::Tensor& gp = pnamed[item.key()].grad();
      ASSERT_TRUE(gf.defined()) << item.key();
      EXPECT_TRUE(torch::allclose(gf, gp, 1e-4, 1e-4))
          << item.key() << ": " << (gf - gp).abs().max().item<float>();
    }
    // Without a graph (target networks, acting) the same values.
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(fused->forward(x0, {}, none), yf.detach()));
  }
}

TEST(Transformer, BadOptionsNameTheValue) {
  Rng rng(5);
  TransformerOptions o = Small();
  o.n_heads = 3;
  try {
    CausalTransformer net(o, rng);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_heads must be >= 1 and divide embed_dim (8), got 3"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bellman::nets
