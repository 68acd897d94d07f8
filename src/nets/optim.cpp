// Flat optimizers (see include/bellman/nets/optim.h).
#include "bellman/nets/optim.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "bellman/core/error.h"
#include "nets/simd.h"

namespace bellman::nets {

namespace {

// Visits (parameter, its index over all groups, the group's options) for every parameter.
template <class Options, class F>
void ForEachParam(std::vector<torch::optim::OptimizerParamGroup>& groups, F&& f) {
  size_t index = 0;
  for (auto& group : groups) {
    const auto& options = static_cast<const Options&>(group.options());
    for (auto& p : group.params()) f(p, index++, options);
  }
}

size_t CountParams(const std::vector<torch::optim::OptimizerParamGroup>& groups) {
  size_t n = 0;
  for (const auto& group : groups) n += group.params().size();
  return n;
}

void CheckParam(const torch::Tensor& p, size_t index, const char* optimizer) {
  if (p.device() != torch::kCPU || p.scalar_type() != torch::kFloat32 || !p.is_contiguous()) {
    throw Error(fmt::format(
        "{}: parameter {} must be a contiguous CPU float32 tensor, got {} {}{} (use torch::optim "
        "for other tensors; MakeOptimizer chooses)",
        optimizer, index, p.device().str(), c10::toString(p.scalar_type()),
        p.is_contiguous() ? "" : " non-contiguous"));
  }
  const torch::Tensor& g = p.grad();
  if (g.device() != torch::kCPU || g.scalar_type() != torch::kFloat32 || !g.is_contiguous()) {
    throw Error(fmt::format("{}: the grad of parameter {} must be a contiguous CPU float32 tensor",
                            optimizer, index));
  }
}

// The loops write through raw pointers; bumping the version counter keeps torch's check that a
// tensor saved for backward was not modified in place before that backward ran.
void BumpVersion(const torch::Tensor& p) { torch::autograd::impl::bump_version(p); }

torch::Tensor RunClosure(const torch::optim::Optimizer::LossClosure& closure) {
  if (closure == nullptr) return {};
  torch::AutoGradMode enable_grad(true);
  return closure();
}

// ---- kernels: float32, the operation order of torch.optim's single-tensor formulas ----------

struct AdamScalars {
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float sqrt_bias_correction2, eps, neg_step_size, weight_decay;
};

// The loops are always inlined into the BELLMAN_VECTOR_CLONES dispatchers below, so that each
// clone vectorises them for its instruction set.
template <bool kWeightDecay>
[[gnu::always_inline]] inline void AdamKernel(float* __restrict p, const float* __restrict g,
                                              float* __restrict m, float* __restrict v, int64_t n,
                                              const AdamScalars s) {
  for (int64_t i = 0; i < n; ++i) {
    float gi = g[i];
    if constexpr (kWeightDecay) gi = gi + s.weight_decay * p[i];  // grad.add(p, weight_decay)
    const float mi = m[i] * s.beta1 + s.one_minus_beta1 * gi;     // mul_(beta1).add_(g, 1 - beta1)
    const float vi = v[i] * s.beta2 + s.one_minus_beta2 * gi * gi;  // .addcmul_(g, g, 1 - beta2)
    m[i] = mi;
    v[i] = vi;
    const float denom = std::sqrt(vi) / s.sqrt_bias_correction2 + s.eps;
    p[i] = p[i] + s.neg_step_size * mi / denom;  // addcdiv_(m, denom, -step_size)
  }
}

struct RmsPropScalars {
  float alpha, one_minus_alpha, eps, neg_lr, momentum, weight_decay;
};

template <bool kWeightDecay, bool kCentered, bool kMomentum>
[[gnu::always_inline]] inline void RmsPropKernel(float* __restrict p, const float* __restrict g,
                                                 float* __restrict sq, float* __restrict ga,
                                                 float* __restrict buf, int64_t n,
                                                 const RmsPropScalars s) {
  for (int64_t i = 0; i < n; ++i) {
    float gi = g[i];
    if constexpr (kWeightDecay) gi = gi + s.weight_decay * p[i];
    const float sqi = sq[i] * s.alpha + s.one_minus_alpha * gi * gi;
    sq[i] = sqi;
    float avg;
    if constexpr (kCentered) {
      const float gai = ga[i] * s.alpha + s.one_minus_alpha * gi;
      ga[i] = gai;
      avg = std::sqrt(sqi + -1.0f * gai * gai) + s.eps;  // addcmul(ga, ga, -1).sqrt_().add_(eps)
    } else {
      avg = std::sqrt(sqi) + s.eps;
    }
    if constexpr (kMomentum) {
      const float bi = buf[i] * s.momentum + 1.0f * gi / avg;  // mul_(momentum).addcdiv_(g, avg)
      buf[i] = bi;
      p[i] = p[i] + s.neg_lr * bi;  // add_(buf, -lr)
    } else {
      p[i] = p[i] + s.neg_lr * gi / avg;  // addcdiv_(g, avg, -lr)
    }
  }
}

struct SgdScalars {
  float weight_decay, momentum, one_minus_dampening, neg_lr;
};

template <bool kWeightDecay, bool kMomentum, bool kNesterov>
[[gnu::always_inline]] inline void SgdKernel(float* __restrict p, const float* __restrict g,
                                             float* __restrict buf, int64_t n, bool first,
                                             const SgdScalars s) {
  for (int64_t i = 0; i < n; ++i) {
    float d = g[i];
    if constexpr (kWeightDecay) d = d + s.weight_decay * p[i];
    if constexpr (kMomentum) {
      const float bi = first ? d : buf[i] * s.momentum + s.one_minus_dampening * d;
      buf[i] = bi;
      d = kNesterov ? d + s.momentum * bi : bi;
    }
    p[i] = p[i] + s.neg_lr * d;
  }
}

BELLMAN_VECTOR_CLONES
void AdamLoop(bool weight_decay, float* p, const float* g, float* m, float* v, int64_t n,
              const AdamScalars s) {
  if (weight_decay) {
    AdamKernel<true>(p, g, m, v, n, s);
  } else {
    AdamKernel<false>(p, g, m, v, n, s);
  }
}

BELLMAN_VECTOR_CLONES
void RmsPropLoop(bool weight_decay, bool centered, bool momentum, float* p, const float* g,
                 float* sq, float* ga, float* buf, int64_t n, const RmsPropScalars s) {
  const int variant = (weight_decay ? 4 : 0) | (centered ? 2 : 0) | (momentum ? 1 : 0);
  switch (variant) {
    case 0:
      RmsPropKernel<false, false, false>(p, g, sq, ga, buf, n, s);
      break;
    case 1:
      RmsPropKernel<false, false, true>(p, g, sq, ga, buf, n, s);
      break;
    case 2:
      RmsPropKernel<false, true, false>(p, g, sq, ga, buf, n, s);
      break;
    case 3:
      RmsPropKernel<false, true, true>(p, g, sq, ga, buf, n, s);
      break;
    case 4:
      RmsPropKernel<true, false, false>(p, g, sq, ga, buf, n, s);
      break;
    case 5:
      RmsPropKernel<true, false, true>(p, g, sq, ga, buf, n, s);
      break;
    case 6:
      RmsPropKernel<true, true, false>(p, g, sq, ga, buf, n, s);
      break;
    default:
      RmsPropKernel<true, true, true>(p, g, sq, ga, buf, n, s);
      break;
  }
}

BELLMAN_VECTOR_CLONES
void SgdLoop(bool weight_decay, bool momentum, bool nesterov, float* p, const float* g, float* buf,
             int64_t n, bool first, const SgdScalars s) {
  if (!momentum) {
    weight_decay ? SgdKernel<true, false, false>(p, g, buf, n, first, s)
                 : SgdKernel<false, false, false>(p, g, buf, n, first, s);
  } else if (nesterov) {
    weight_decay ? SgdKernel<true, true, true>(p, g, buf, n, first, s)
                 : SgdKernel<false, true, true>(p, g, buf, n, first, s);
  } else {
    weight_decay ? SgdKernel<true, true, false>(p, g, buf, n, first, s)
                 : SgdKernel<false, true, false>(p, g, buf, n, first, s);
  }
}

// ---- checkpoints -----------------------------------------------------------------------------

std::string Key(size_t index, const char* name) { return fmt::format("param{}_{}", index, name); }

void WriteHeader(torch::serialize::OutputArchive& archive, const char* kind, size_t num_params) {
  archive.write("flat_optimizer", c10::IValue(std::string(kind)));
  archive.write("num_params", c10::IValue(static_cast<int64_t>(num_params)));
}

void ReadHeader(torch::serialize::InputArchive& archive, const char* kind, size_t num_params) {
  c10::IValue value;
  if (!archive.try_read("flat_optimizer", value) || !value.isString()) {
    throw Error(
        fmt::format("optimizer checkpoint: not a flat optimizer archive (expected '{}')", kind));
  }
  if (value.toStringRef() != kind) {
    throw Error(fmt::format("optimizer checkpoint holds '{}' state, expected '{}'",
                            value.toStringRef(), kind));
  }
  archive.read("num_params", value);
  if (value.toInt() != static_cast<int64_t>(num_params)) {
    throw Error(fmt::format("optimizer checkpoint has {} parameters, the optimizer has {}",
                            value.toInt(), num_params));
  }
}

int64_t ReadStep(torch::serialize::InputArchive& archive, size_t index) {
  c10::IValue value;
  archive.read(Key(index, "step"), value);
  return value.toInt();
}

// Reads a state tensor that must match the parameter's shape; returns undefined when absent and
// not required.
torch::Tensor ReadState(torch::serialize::InputArchive& archive, size_t index, const char* name,
                        const torch::Tensor& param, bool required) {
  torch::Tensor t;
  if (!archive.try_read(Key(index, name), t)) {
    if (required) {
      throw Error(fmt::format("optimizer checkpoint: missing {} of parameter {}", name, index));
    }
    return {};
  }
  if (!t.sizes().equals(param.sizes()) || t.scalar_type() != torch::kFloat32) {
    throw Error(
        fmt::format("optimizer checkpoint: {} of parameter {} is [{}] {}, expected [{}] "
                    "float",
                    name, index, fmt::join(t.sizes(), ", "), c10::toString(t.scalar_type()),
                    fmt::join(param.sizes(), ", ")));
  }
  return t.contiguous().clone();
}

void WriteIfDefined(torch::serialize::OutputArchive& archive, size_t index, const char* name,
                    const torch::Tensor& t) {
  if (t.defined()) archive.write(Key(index, name), t);
}

void CheckNonNegative(double value, const char* what, const char* optimizer) {
  if (!(value >= 0.0))
    throw Error(fmt::format("{}: {} must be >= 0, got {}", optimizer, what, value));
}

}  // namespace

// ---- FlatAdam ---------------------------------------------------------------------------------

FlatAdam::FlatAdam(std::vector<torch::Tensor> params, torch::optim::AdamOptions options)
    : torch::optim::Optimizer(std::move(params),
                              std::make_unique<torch::optim::AdamOptions>(options)) {
  const auto [beta1, beta2] = options.betas();
  CheckNonNegative(options.lr(), "lr", "FlatAdam");
  CheckNonNegative(options.eps(), "eps", "FlatAdam");
  CheckNonNegative(options.weight_decay(), "weight_decay", "FlatAdam");
  if (!(beta1 >= 0.0 && beta1 < 1.0) || !(beta2 >= 0.0 && beta2 < 1.0)) {
    throw Error(fmt::format("FlatAdam: betas must be in [0, 1), got ({}, {})", beta1, beta2));
  }
  if (options.amsgrad()) throw Error("FlatAdam: amsgrad is not supported (use torch::optim::Adam)");
}

torch::Tensor FlatAdam::step(LossClosure closure) {
  torch::Tensor loss = RunClosure(closure);
  torch::NoGradGuard no_grad;
  const DenormalsAreZero daz;  // see simd.h: subnormal moments cost ~100 cycles each
  param_state_.resize(CountParams(param_groups_));
  ForEachParam<torch::optim::AdamOptions>(
      param_groups_, [&](torch::Tensor& p, size_t index, const torch::optim::AdamOptions& o) {
        if (!p.grad().defined()) return;
        CheckParam(p, index, "FlatAdam");
        ParamState& st = param_state_[index];
        if (!st.exp_avg.defined()) {
          st.exp_avg = torch::zeros_like(p, torch::MemoryFormat::Contiguous);
          st.exp_avg_sq = torch::zeros_like(p, torch::MemoryFormat::Contiguous);
        }
        st.step += 1;
        const auto [beta1, beta2] = o.betas();
        // Double precision, as torch computes them on the host.
        const double bias_correction1 = 1 - std::pow(beta1, st.step);
        const double bias_correction2 = 1 - std::pow(beta2, st.step);
        const double step_size = o.lr() / bias_correction1;
        const AdamScalars s{static_cast<float>(beta1),
                            static_cast<float>(1 - beta1),
                            static_cast<float>(beta2),
                            static_cast<float>(1 - beta2),
                            static_cast<float>(std::sqrt(bias_correction2)),
                            static_cast<float>(o.eps()),
                            static_cast<float>(-step_size),
                            static_cast<float>(o.weight_decay())};
        float* pp = p.data_ptr<float>();
        const float* gp = p.grad().data_ptr<float>();
        float* m = st.exp_avg.data_ptr<float>();
        float* v = st.exp_avg_sq.data_ptr<float>();
        AdamLoop(o.weight_decay() != 0, pp, gp, m, v, p.numel(), s);
        BumpVersion(p);
      });
  return loss;
}

void FlatAdam::save(torch::serialize::OutputArchive& archive) const {
  const size_t n = CountParams(param_groups_);
  WriteHeader(archive, "adam", n);
  for (size_t i = 0; i < n; ++i) {
    if (i >= param_state_.size()) {
      archive.write(Key(i, "step"), c10::IValue(int64_t{0}));
      continue;
    }
    archive.write(Key(i, "step"), c10::IValue(param_state_[i].step));
    WriteIfDefined(archive, i, "exp_avg", param_state_[i].exp_avg);
    WriteIfDefined(archive, i, "exp_avg_sq", param_state_[i].exp_avg_sq);
  }
}

void FlatAdam::load(torch::serialize::InputArchive& archive) {
  const size_t n = CountParams(param_groups_);
  ReadHeader(archive, "adam", n);
  std::vector<ParamState> loaded(n);
  {
    size_t i = 0;
    ForEachParam<torch::optim::AdamOptions>(
        param_groups_, [&](torch::Tensor& p, size_t, const torch::optim::AdamOptions&) {
          loaded[i].step = ReadStep(archive, i);
          const bool required = loaded[i].step > 0;
          loaded[i].exp_avg = ReadState(archive, i, "exp_avg", p, required);
          loaded[i].exp_avg_sq = ReadState(archive, i, "exp_avg_sq", p, required);
          ++i;
        });
  }
  param_state_ = std::move(loaded);
}

// ---- FlatRmsProp ------------------------------------------------------------------------------

FlatRmsProp::FlatRmsProp(std::vector<torch::Tensor> params, torch::optim::RMSpropOptions options)
    : torch::optim::Optimizer(std::move(params),
                              std::make_unique<torch::optim::RMSpropOptions>(options)) {
  CheckNonNegative(options.lr(), "lr", "FlatRmsProp");
  CheckNonNegative(options.eps(), "eps", "FlatRmsProp");
  CheckNonNegative(options.momentum(), "momentum", "FlatRmsProp");
  CheckNonNegative(options.weight_decay(), "weight_decay", "FlatRmsProp");
  if (!(options.alpha() >= 0.0 && options.alpha() <= 1.0)) {
    throw Error(fmt::format("FlatRmsProp: alpha must be in [0, 1], got {}", options.alpha()));
  }
}

torch::Tensor FlatRmsProp::step(LossClosure closure) {
  torch::Tensor loss = RunClosure(closure);
  torch::NoGradGuard no_grad;
  const DenormalsAreZero daz;  // see simd.h: subnormal moments cost ~100 cycles each
  param_state_.resize(CountParams(param_groups_));
  ForEachParam<torch::optim::RMSpropOptions>(
      param_groups_, [&](torch::Tensor& p, size_t index, const torch::optim::RMSpropOptions& o) {
        if (!p.grad().defined()) return;
        CheckParam(p, index, "FlatRmsProp");
        ParamState& st = param_state_[index];
        const bool centered = o.centered();
        const bool momentum = o.momentum() > 0;
        if (!st.square_avg.defined()) {
          st.square_avg = torch::zeros_like(p, torch::MemoryFormat::Contiguous);
        }
        if (centered && !st.grad_avg.defined()) {
          st.grad_avg = torch::zeros_like(p, torch::MemoryFormat::Contiguous);
        }
        if (momentum && !st.momentum_buffer.defined()) {
          st.momentum_buffer = torch::zeros_like(p, torch::MemoryFormat::Contiguous);
        }
        st.step += 1;
        const RmsPropScalars s{
            static_cast<float>(o.alpha()),    static_cast<float>(1 - o.alpha()),
            static_cast<float>(o.eps()),      static_cast<float>(-o.lr()),
            static_cast<float>(o.momentum()), static_cast<float>(o.weight_decay())};
        float* pp = p.data_ptr<float>();
        const float* gp = p.grad().data_ptr<float>();
        float* sq = st.square_avg.data_ptr<float>();
        float* ga = centered ? st.grad_avg.data_ptr<float>() : nullptr;
        float* buf = momentum ? st.momentum_buffer.data_ptr<float>() : nullptr;
        const int64_t n = p.numel();
        RmsPropLoop(o.weight_decay() != 0, centered, momentum, pp, gp, sq, ga, buf, n, s);
        BumpVersion(p);
      });
  return loss;
}

void FlatRmsProp::save(torch::serialize::OutputArchive& archive) const {
  const size_t n = CountParams(param_groups_);
  WriteHeader(archive, "rmsprop", n);
  for (size_t i = 0; i < n; ++i) {
    if (i >= param_state_.size()) {
      archive.write(Key(i, "step"), c10::IValue(int64_t{0}));
      continue;
    }
    archive.write(Key(i, "step"), c10::IValue(param_state_[i].step));
    WriteIfDefined(archive, i, "square_avg", param_state_[i].square_avg);
    WriteIfDefined(archive, i, "grad_avg", param_state_[i].grad_avg);
    WriteIfDefined(archive, i, "momentum_buffer", param_state_[i].momentum_buffer);
  }
}

void FlatRmsProp::load(torch::serialize::InputArchive& archive) {
  const size_t n = CountParams(param_groups_);
  ReadHeader(archive, "rmsprop", n);
  std::vector<ParamState> loaded(n);
  {
    size_t i = 0;
    ForEachParam<torch::optim::RMSpropOptions>(
        param_groups_, [&](torch::Tensor& p, size_t, const torch::optim::RMSpropOptions& o) {
          loaded[i].step = ReadStep(archive, i);
          const bool stepped = loaded[i].step > 0;
          loaded[i].square_avg = ReadState(archive, i, "square_avg", p, stepped);
          loaded[i].grad_avg = ReadState(archive, i, "grad_avg", p, stepped && o.centered());
          loaded[i].momentum_buffer =
              ReadState(archive, i, "momentum_buffer", p, stepped && o.momentum() > 0);
          ++i;
        });
  }
  param_state_ = std::move(loaded);
}

// ---- FlatSgd ----------------------------------------------------------------------------------

FlatSgd::FlatSgd(std::vector<torch::Tensor> params, torch::optim::SGDOptions options)
    : torch::optim::Optimizer(std::move(params),
                              std::make_unique<torch::optim::SGDOptions>(options)) {
  CheckNonNegative(options.lr(), "lr", "FlatSgd");
  CheckNonNegative(options.momentum(), "momentum", "FlatSgd");
  CheckNonNegative(options.weight_decay(), "weight_decay", "FlatSgd");
  if (options.nesterov() && (options.momentum() <= 0 || options.dampening() != 0)) {
    throw Error("FlatSgd: nesterov momentum requires a momentum > 0 and zero dampening");
  }
}

torch::Tensor FlatSgd::step(LossClosure closure) {
  torch::Tensor loss = RunClosure(closure);
  torch::NoGradGuard no_grad;
  const DenormalsAreZero daz;  // see simd.h: subnormal moments cost ~100 cycles each
  param_state_.resize(CountParams(param_groups_));
  ForEachParam<torch::optim::SGDOptions>(
      param_groups_, [&](torch::Tensor& p, size_t index, const torch::optim::SGDOptions& o) {
        if (!p.grad().defined()) return;
        CheckParam(p, index, "FlatSgd");
        ParamState& st = param_state_[index];
        const bool momentum = o.momentum() != 0;
        const bool first = momentum && !st.momentum_buffer.defined();
        if (first) st.momentum_buffer = torch::empty_like(p, torch::MemoryFormat::Contiguous);
        st.step += 1;
        const SgdScalars s{static_cast<float>(o.weight_decay()), static_cast<float>(o.momentum()),
                           static_cast<float>(1 - o.dampening()), static_cast<float>(-1 * o.lr())};
        float* pp = p.data_ptr<float>();
        const float* gp = p.grad().data_ptr<float>();
        float* buf = momentum ? st.momentum_buffer.data_ptr<float>() : nullptr;
        const int64_t n = p.numel();
        SgdLoop(o.weight_decay() != 0, momentum, o.nesterov(), pp, gp, buf, n, first, s);
        BumpVersion(p);
      });
  return loss;
}

void FlatSgd::save(torch::serialize::OutputArchive& archive) const {
  const size_t n = CountParams(param_groups_);
  WriteHeader(archive, "sgd", n);
  for (size_t i = 0; i < n; ++i) {
    if (i >= param_state_.size()) {
      archive.write(Key(i, "step"), c10::IValue(int64_t{0}));
      continue;
    }
    archive.write(Key(i, "step"), c10::IValue(param_state_[i].step));
    WriteIfDefined(archive, i, "momentum_buffer", param_state_[i].momentum_buffer);
  }
}

void FlatSgd::load(torch::serialize::InputArchive& archive) {
  const size_t n = CountParams(param_groups_);
  ReadHeader(archive, "sgd", n);
  std::vector<ParamState> loaded(n);
  {
    size_t i = 0;
    ForEachParam<torch::optim::SGDOptions>(
        param_groups_, [&](torch::Tensor& p, size_t, const torch::optim::SGDOptions& o) {
          loaded[i].step = ReadStep(archive, i);
          loaded[i].momentum_buffer =
              ReadState(archive, i, "momentum_buffer", p, loaded[i].step > 0 && o.momentum() != 0);
          ++i;
        });
  }
  param_state_ = std::move(loaded);
}

// ---- config and factory -----------------------------------------------------------------------

void OptimizerConfig::Validate() const {
  if (name != "adam" && name != "rmsprop" && name != "sgd") {
    throw Error(fmt::format("optimizer.name must be adam, rmsprop or sgd, got '{}'", name));
  }
  auto non_negative = [](double v, const char* key) {
    if (!(v >= 0.0 && std::isfinite(v))) {
      throw Error(fmt::format("optimizer.{} must be a finite number >= 0, got {}", key, v));
    }
  };
  non_negative(lr, "lr");
  non_negative(eps, "eps");
  non_negative(momentum, "momentum");
  non_negative(weight_decay, "weight_decay");
  if (!(beta1 >= 0.0 && beta1 < 1.0)) {
    throw Error(fmt::format("optimizer.beta1 must be in [0, 1), got {}", beta1));
  }
  if (!(beta2 >= 0.0 && beta2 < 1.0)) {
    throw Error(fmt::format("optimizer.beta2 must be in [0, 1), got {}", beta2));
  }
  if (!(alpha >= 0.0 && alpha <= 1.0)) {
    throw Error(fmt::format("optimizer.alpha must be in [0, 1], got {}", alpha));
  }
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const OptimizerConfig& config,
                                                       std::vector<torch::Tensor> params) {
  config.Validate();
  bool flat = config.fast_path;
  for (const torch::Tensor& p : params) {
    flat = flat && p.device() == torch::kCPU && p.scalar_type() == torch::kFloat32 &&
           p.is_contiguous();
  }
  if (config.name == "adam") {
    auto options = torch::optim::AdamOptions(config.lr)
                       .betas(std::make_tuple(config.beta1, config.beta2))
                       .eps(config.eps)
                       .weight_decay(config.weight_decay);
    if (flat) return std::make_unique<FlatAdam>(std::move(params), options);
    return std::make_unique<torch::optim::Adam>(std::move(params), options);
  }
  if (config.name == "rmsprop") {
    auto options = torch::optim::RMSpropOptions(config.lr)
                       .alpha(config.alpha)
                       .eps(config.eps)
                       .centered(config.centered)
                       .momentum(config.momentum)
                       .weight_decay(config.weight_decay);
    if (flat) return std::make_unique<FlatRmsProp>(std::move(params), options);
    return std::make_unique<torch::optim::RMSprop>(std::move(params), options);
  }
  auto options = torch::optim::SGDOptions(config.lr)
                     .momentum(config.momentum)
                     .weight_decay(config.weight_decay);
  if (flat) return std::make_unique<FlatSgd>(std::move(params), options);
  return std::make_unique<torch::optim::SGD>(std::move(params), options);
}

void ZeroGrad(torch::optim::Optimizer& optimizer) {
  for (auto& group : optimizer.param_groups()) {
    for (auto& p : group.params()) p.mutable_grad() = torch::Tensor();
  }
}

}  // namespace bellman::nets
