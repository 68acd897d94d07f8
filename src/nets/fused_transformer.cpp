// The fused causal transformer stack (src/nets/fused_transformer.h).
//
// Per block, rows r = (b, t) of n = B * T tokens, width d, H heads of dh = d / H:
//   h1 = LN1(x);  [q k v] = h1 Wqkv^T + bqkv;  y = causal_softmax(q k^T / sqrt(dh)) v
//   x2 = x + y Wproj^T + bproj;  h2 = LN2(x2);  u = h2 W1^T + b1;  z = gelu(u)
//   x3 = x2 + z W2^T + b2
// and out = LNf(x_L). LayerNorm: xhat = (x - mean) * rstd, rstd = 1 / sqrt(var + eps), y = xhat
// g + b (biased variance, as torch). Backward by the chain rule through the same steps; LayerNorm's
// input gradient is rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = dy * g.
// One token (T = 1) attends only to itself, so y = v and only the value third of qkv is computed.
#include "nets/fused_transformer.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "nets/simd.h"

namespace bellman::nets {

namespace {

constexpr int kPerBlock = 12;

struct Dims {
  int64_t batch, tokens, d, heads, dh, n;
  double eps;
  // qkv buffer: width 3d (q at 0, k at d, v at 2d), or d holding only v when T = 1.
  int64_t qkv_width() const { return tokens == 1 ? d : 3 * d; }
  int64_t v_col() const { return tokens == 1 ? 0 : 2 * d; }
  // Rows of Wqkv that the buffer's columns come from.
  int64_t qkv_row0() const { return tokens == 1 ? 2 * d : 0; }
};

const float* P(const std::vector<torch::Tensor>& params, int64_t block, int k) {
  return params[static_cast<size_t>(block * kPerBlock + k)].data_ptr<float>();
}

// y[n, out] = x[n, in] W[out, in]^T + bias
void Linear(const float* x, int64_t n, int64_t in, const float* w, const float* bias, int64_t out,
            float* y) {
  for (int64_t r = 0; r < n; ++r) std::memcpy(y + r * out, bias, sizeof(float) * out);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(out),
              static_cast<int>(in), 1.0f, x, static_cast<int>(in), w, static_cast<int>(in), 1.0f, y,
              static_cast<int>(out));
}

// Given dy[n, out] of y = x W^T + b: dW[out, in] += dy^T x, db += column sums, dx[n, in] = dy W
// (dx may be nullptr).
void LinearBackward(const float* dy, const float* x, int64_t n, int64_t in, const float* w,
                    int64_t out, float* dw, float* db, float* dx) {
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(out), static_cast<int>(in),
              static_cast<int>(n), 1.0f, dy, static_cast<int>(out), x, static_cast<int>(in), 1.0f,
              dw, static_cast<int>(in));
  for (int64_t r = 0; r < n; ++r) {
    const float* row = dy + r * out;
    for (int64_t c = 0; c < out; ++c) db[c] += row[c];
  }
  if (dx != nullptr) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(n),
                static_cast<int>(in), static_cast<int>(out), 1.0f, dy, static_cast<int>(out), w,
                static_cast<int>(in), 0.0f, dx, static_cast<int>(in));
  }
}

// Sum of n floats in 8 interleaved partial sums (a fixed order, so every ISA clone gives the
// same bits; the lanes let the compiler vectorise without -ffast-math).
inline float Sum8(const float* __restrict v, int64_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t c = 0;
  for (; c + 8 <= n; c += 8)
    for (int k = 0; k < 8; ++k) lane[k] += v[c + k];
  float sum =
      ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
  for (; c < n; ++c) sum += v[c];
  return sum;
}

BELLMAN_VECTOR_CLONES
void LayerNorm(const float* __restrict x, int64_t n, int64_t d, const float* __restrict g,
               const float* __restrict b, double eps, float* __restrict xhat,
               float* __restrict rstd, float* __restrict y) {
  const auto inv_d = static_cast<float>(1.0 / static_cast<double>(d));
  const auto e = static_cast<float>(eps);
  for (int64_t r = 0; r < n; ++r) {
    const float* xr = x + r * d;
    float* hr = xhat + r * d;
    const float mean = Sum8(xr, d) * inv_d;
    for (int64_t c = 0; c < d; ++c) hr[c] = (xr[c] - mean) * (xr[c] - mean);  // scratch
    const float rs = 1.0f / std::sqrt(Sum8(hr, d) * inv_d + e);
    rstd[r] = rs;
    float* yr = y + r * d;
    for (int64_t c = 0; c < d; ++c) {
      hr[c] = (xr[c] - mean) * rs;
      yr[c] = hr[c] * g[c] + b[c];
    }
  }
}

// dx[n, d] += LayerNorm's input gradient; dg, db accumulate. `scratch` holds 2 d floats.
BELLMAN_VECTOR_CLONES
void LayerNormBackward(const float* __restrict dy, const float* __restrict xhat,
                       const float* __restrict rstd, int64_t n, int64_t d,
                       const float* __restrict g, float* __restrict dg, float* __restrict db,
                       float* __restrict dx, float* __restrict scratch) {
  const auto inv_d = static_cast<float>(1.0 / static_cast<double>(d));
  float* dxh = scratch;
  float* dxh_h = scratch + d;
  for (int64_t r = 0; r < n; ++r) {
    const float* dyr = dy + r * d;
    const float* hr = xhat + r * d;
    for (int64_t c = 0; c < d; ++c) {
      dxh[c] = dyr[c] * g[c];
      dxh_h[c] = dxh[c] * hr[c];
      dg[c] += dyr[c] * hr[c];
      db[c] += dyr[c];
    }
    const float a = Sum8(dxh, d) * inv_d;
    const float bb = Sum8(dxh_h, d) * inv_d;
    float* dxr = dx + r * d;
    for (int64_t c = 0; c < d; ++c) dxr[c] += rstd[r] * (dxh[c] - a - hr[c] * bb);
  }
}

// y = softmax over j <= i of (q_i . k_j) * scale, times v; p[b, h, i, j] saved (0 above i).
void Attention(const Dims& s, const float* qkv, float* p, float* y) {
  const int64_t w = s.qkv_width(), T = s.tokens;
  if (T == 1) {
    for (int64_t r = 0; r < s.n; ++r) std::memcpy(y + r * s.d, qkv + r * w, sizeof(float) * s.d);
    return;
  }
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(s.dh)));
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t h = 0; h < s.heads; ++h) {
      for (int64_t i = 0; i < T; ++i) {
        const float* q = qkv + (b * T + i) * w + h * s.dh;
        float* pi = p + ((b * s.heads + h) * T + i) * T;
        float mx = -INFINITY;
        for (int64_t j = 0; j <= i; ++j) {
          const float* k = qkv + (b * T + j) * w + s.d + h * s.dh;
          float dot = 0.0f;
          for (int64_t c = 0; c < s.dh; ++c) dot += q[c] * k[c];
          pi[j] = dot * scale;
          mx = std::max(mx, pi[j]);
        }
        float sum = 0.0f;
        for (int64_t j = 0; j <= i; ++j) {
          pi[j] = std::exp(pi[j] - mx);
          sum += pi[j];
        }
        for (int64_t j = 0; j <= i; ++j) pi[j] /= sum;
        for (int64_t j = i + 1; j < T; ++j) pi[j] = 0.0f;
        float* yi = y + (b * T + i) * s.d + h * s.dh;
        for (int64_t c = 0; c < s.dh; ++c) yi[c] = 0.0f;
        for (int64_t j = 0; j <= i; ++j) {
          const float* v = qkv + (b * T + j) * w + s.v_col() + h * s.dh;
          for (int64_t c = 0; c < s.dh; ++c) yi[c] += pi[j] * v[c];
        }
      }
    }
  }
}

// dqkv[n, width] = the gradient of qkv given dy (zeroed here first).
void AttentionBackward(const Dims& s, const float* qkv, const float* p, const float* dy,
                       float* dqkv) {
  const int64_t w = s.qkv_width(), T = s.tokens;
  if (T == 1) {
    for (int64_t r = 0; r < s.n; ++r) std::memcpy(dqkv + r * w, dy + r * s.d, sizeof(float) * s.d);
    return;
  }
  std::memset(dqkv, 0, sizeof(float) * s.n * w);
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(s.dh)));
  std::vector<float> dp(static_cast<size_t>(T));
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t h = 0; h < s.heads; ++h) {
      for (int64_t i = 0; i < T; ++i) {
        const float* pi = p + ((b * s.heads + h) * T + i) * T;
        const float* dyi = dy + (b * T + i) * s.d + h * s.dh;
        float dot_pdp = 0.0f;
        for (int64_t j = 0; j <= i; ++j) {
          const float* v = qkv + (b * T + j) * w + s.v_col() + h * s.dh;
          float* dv = dqkv + (b * T + j) * w + s.v_col() + h * s.dh;
          float acc = 0.0f;
          for (int64_t c = 0; c < s.dh; ++c) {
            acc += dyi[c] * v[c];
            dv[c] += pi[j] * dyi[c];
          }
          dp[static_cast<size_t>(j)] = acc;
          dot_pdp += pi[j] * acc;
        }
        const float* q = qkv + (b * T + i) * w + h * s.dh;
        float* dq = dqkv + (b * T + i) * w + h * s.dh;
        for (int64_t j = 0; j <= i; ++j) {
          const float ds = pi[j] * (dp[static_cast<size_t>(j)] - dot_pdp) * scale;
          const float* k = qkv + (b * T + j) * w + s.d + h * s.dh;
          float* dk = dqkv + (b * T + j) * w + s.d + h * s.dh;
          for (int64_t c = 0; c < s.dh; ++c) {
            dq[c] += ds * k[c];
            dk[c] += ds * q[c];
          }
        }
      }
    }
  }
}

torch::Tensor Buffer(int64_t size) { return torch::empty({std::max<int64_t>(size, 1)}); }

}  // namespace

torch::Tensor BufferPool::Get(int64_t numel) {
  numel = std::max<int64_t>(numel, 1);
  std::vector<torch::Tensor>& same = buffers_[numel];
  for (const torch::Tensor& t : same) {
    if (t.use_count() == 1) return t;  // only the pool holds it
  }
  same.push_back(torch::empty({numel}));
  return same.back();
}

namespace {

float* F(torch::Tensor& t) { return t.data_ptr<float>(); }

// Everything backward needs from one block's forward.
enum Saved { kXhat1, kRstd1, kH1, kQkv, kProbs, kY, kXhat2, kRstd2, kH2, kU, kZ, kNumSaved };

struct FusedTransformerFunction : public torch::autograd::Function<FusedTransformerFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& input,
                               at::TensorList params, int64_t heads, double eps, bool save,
                               BufferPool* pool) {
    const torch::Tensor xin = input.contiguous();
    Dims s{.batch = xin.size(0),
           .tokens = xin.size(1),
           .d = xin.size(2),
           .heads = heads,
           .dh = xin.size(2) / heads,
           .n = xin.size(0) * xin.size(1),
           .eps = eps};
    const std::vector<torch::Tensor> p(params.begin(), params.end());
    const auto blocks = static_cast<int64_t>((p.size() - 2) / kPerBlock);
    const int64_t n = s.n, d = s.d, w = s.qkv_width();
    // The residual stream, updated in place.
    torch::Tensor x = pool->Get(n * d);
    std::memcpy(F(x), xin.data_ptr<float>(), sizeof(float) * n * d);
    std::vector<torch::Tensor> saved;
    for (int64_t k = 0; k < blocks; ++k) {
      std::vector<torch::Tensor> b(kNumSaved);
      b[kXhat1] = pool->Get(n * d);
      b[kRstd1] = pool->Get(n);
      b[kH1] = pool->Get(n * d);
      b[kQkv] = pool->Get(n * w);
      b[kProbs] = pool->Get(s.batch * heads * s.tokens * s.tokens);
      b[kY] = pool->Get(n * d);
      b[kXhat2] = pool->Get(n * d);
      b[kRstd2] = pool->Get(n);
      b[kH2] = pool->Get(n * d);
      b[kU] = pool->Get(n * 4 * d);
      b[kZ] = pool->Get(n * 4 * d);
      float* xs = F(x);
      LayerNorm(xs, n, d, P(p, k, 0), P(p, k, 1), eps, F(b[kXhat1]), F(b[kRstd1]), F(b[kH1]));
      Linear(F(b[kH1]), n, d, P(p, k, 2) + s.qkv_row0() * d, P(p, k, 3) + s.qkv_row0(), w,
             F(b[kQkv]));
      Attention(s, F(b[kQkv]), F(b[kProbs]), F(b[kY]));
      torch::Tensor a = pool->Get(n * d);
      Linear(F(b[kY]), n, d, P(p, k, 4), P(p, k, 5), d, F(a));
      const float* av = F(a);
      for (int64_t i = 0; i < n * d; ++i) xs[i] += av[i];
      LayerNorm(xs, n, d, P(p, k, 6), P(p, k, 7), eps, F(b[kXhat2]), F(b[kRstd2]), F(b[kH2]));
      Linear(F(b[kH2]), n, d, P(p, k, 8), P(p, k, 9), 4 * d, F(b[kU]));
      {
        torch::Tensor u = b[kU].narrow(0, 0, n * 4 * d), z = b[kZ].narrow(0, 0, n * 4 * d);
        at::gelu_out(z, u);  // torch's exact (erf) GELU kernel, vectorised
      }
      Linear(F(b[kZ]), n, 4 * d, P(p, k, 10), P(p, k, 11), d, F(a));
      for (int64_t i = 0; i < n * d; ++i) xs[i] += av[i];
      for (auto& t : b) saved.push_back(t);
    }
    torch::Tensor xhat_f = pool->Get(n * d), rstd_f = pool->Get(n);
    torch::Tensor out = torch::empty({s.batch, s.tokens, d});
    const float* gf = p[p.size() - 2].data_ptr<float>();
    const float* bf = p[p.size() - 1].data_ptr<float>();
    LayerNorm(F(x), n, d, gf, bf, eps, F(xhat_f), F(rstd_f), out.data_ptr<float>());
    if (save) {
      saved.push_back(xhat_f);
      saved.push_back(rstd_f);
      ctx->saved_data["buffers"] = saved;
      ctx->saved_data["heads"] = heads;
      ctx->saved_data["eps"] = eps;
      ctx->saved_data["shape"] = std::vector<int64_t>{s.batch, s.tokens, d};
      ctx->save_for_backward(p);
    }
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    if (torch::GradMode::is_enabled()) {
      throw Error("the fused transformer does not support double backward (create_graph=true)");
    }
    const std::vector<torch::Tensor> p = ctx->get_saved_variables();
    std::vector<torch::Tensor> saved = ctx->saved_data["buffers"].toTensorVector();
    const int64_t heads = ctx->saved_data["heads"].toInt();
    const double eps = ctx->saved_data["eps"].toDouble();
    const std::vector<int64_t> shape = ctx->saved_data["shape"].toIntVector();
    Dims s{.batch = shape[0],
           .tokens = shape[1],
           .d = shape[2],
           .heads = heads,
           .dh = shape[2] / heads,
           .n = shape[0] * shape[1],
           .eps = eps};
    const int64_t n = s.n, d = s.d, w = s.qkv_width();
    const auto blocks = static_cast<int64_t>((p.size() - 2) / kPerBlock);
    std::vector<torch::Tensor> grads;
    for (const torch::Tensor& t : p) grads.push_back(torch::zeros_like(t));
    auto G = [&](int64_t block, int k) {
      return grads[static_cast<size_t>(block * kPerBlock + k)].data_ptr<float>();
    };
    const torch::Tensor dout = grad_outputs[0].contiguous();
    // dx: the gradient of the residual stream, walked back block by block.
    std::vector<float> scratch(static_cast<size_t>(2 * d));
    torch::Tensor dx = torch::zeros({n * d});
    LayerNormBackward(dout.data_ptr<float>(), F(saved[saved.size() - 2]),
                      F(saved[saved.size() - 1]), n, d, p[p.size() - 2].data_ptr<float>(),
                      grads[p.size() - 2].data_ptr<float>(), grads[p.size() - 1].data_ptr<float>(),
                      F(dx), scratch.data());
    torch::Tensor dz = Buffer(n * 4 * d), dh = Buffer(n * d), dy = Buffer(n * d),
                  dqkv = Buffer(n * w);
    for (int64_t k = blocks - 1; k >= 0; --k) {
      torch::Tensor* b = &saved[static_cast<size_t>(k * kNumSaved)];
      // x3 = x2 + fc2(gelu(fc1(LN2(x2)))): dx passes through and into the MLP branch.
      LinearBackward(F(dx), F(b[kZ]), n, 4 * d, P(p, k, 10), d, G(k, 10), G(k, 11), F(dz));
      {
        torch::Tensor g = dz.narrow(0, 0, n * 4 * d), u = b[kU].narrow(0, 0, n * 4 * d);
        at::gelu_backward_out(g, g, u);
      }
      LinearBackward(F(dz), F(b[kH2]), n, d, P(p, k, 8), 4 * d, G(k, 8), G(k, 9), F(dh));
      LayerNormBackward(F(dh), F(b[kXhat2]), F(b[kRstd2]), n, d, P(p, k, 6), G(k, 6), G(k, 7),
                        F(dx), scratch.data());
      // x2 = x + proj(attention(qkv(LN1(x)))).
      LinearBackward(F(dx), F(b[kY]), n, d, P(p, k, 4), d, G(k, 4), G(k, 5), F(dy));
      AttentionBackward(s, F(b[kQkv]), F(b[kProbs]), F(dy), F(dqkv));
      LinearBackward(F(dqkv), F(b[kH1]), n, d, P(p, k, 2) + s.qkv_row0() * d, w,
                     G(k, 2) + s.qkv_row0() * d, G(k, 3) + s.qkv_row0(), F(dh));
      LayerNormBackward(F(dh), F(b[kXhat1]), F(b[kRstd1]), n, d, P(p, k, 0), G(k, 0), G(k, 1),
                        F(dx), scratch.data());
    }
    torch::autograd::variable_list out;
    out.push_back(dx.view({s.batch, s.tokens, d}));
    for (auto& g : grads) out.push_back(g);
    out.emplace_back();  // heads
    out.emplace_back();  // eps
    out.emplace_back();  // save
    out.emplace_back();  // pool
    return out;
  }
};

}  // namespace

torch::Tensor FusedCausalTransformer(const torch::Tensor& x,
                                     const std::vector<torch::Tensor>& params, int64_t n_heads,
                                     double ln_eps, BufferPool& pool) {
  Require(x.dim() == 3 && x.scalar_type() == torch::kFloat32 && x.device().is_cpu(),
          "fused transformer takes a CPU float32 [B, T, d] input, got {} dims of {} on {}", x.dim(),
          c10::toString(x.scalar_type()), x.device().str());
  Require((params.size() - 2) % kPerBlock == 0 && params.size() >= 2 + kPerBlock,
          "fused transformer takes 12 parameters per block and 2 for the final LayerNorm, got {}",
          params.size());
  for (const torch::Tensor& t : params) {
    Require(t.scalar_type() == torch::kFloat32 && t.is_contiguous() && t.device().is_cpu(),
            "fused transformer parameters must be contiguous CPU float32");
  }
  // Buffers are kept for backward only when a graph is being recorded (not for target nets or
  // acting). Inside forward grad mode is always off, so the caller decides.
  const bool save =
      torch::GradMode::is_enabled() &&
      (x.requires_grad() || std::any_of(params.begin(), params.end(),
                                        [](const torch::Tensor& t) { return t.requires_grad(); }));
  return FusedTransformerFunction::apply(x, at::TensorList(params), n_heads, ln_eps, save, &pool);
}

}  // namespace bellman::nets
