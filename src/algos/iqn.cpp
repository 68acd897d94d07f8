// IQN, Implicit Quantile Networks (Dabney et al. 2018b): the network maps a state and sampled
// quantile fractions tau ~ U[0, 1] to Z_tau(s, a) (eq. 4: psi(s) times a cosine embedding of
// tau). Loss (eq. 3): for N fractions tau_i and N' fractions tau'_j,
//   delta_ij = r + discount Z_tau'_j(s', a*) - Z_tau_i(s, a),
//   loss = sum_i mean_j rho^kappa_tau_i(delta_ij)      (QuantileHuberLoss)
// with a* = argmax_a of the mean over K fractions of the target network (online with double_q).
// Acting (section 3.2): argmax_a of the mean over K fractions drawn as beta(tau), tau ~ U[0, 1],
// for the distortion risk measure beta (risk_measure, risk_eta; "neutral" = expectation).
// Fractions come from the agent's sample_rng, so runs are reproducible and resumable.
#include <fmt/format.h>

#include "bellman/algos/value_agent.h"
#include "bellman/algos/value_losses.h"
#include "bellman/core/error.h"
#include "bellman/nets/value_net.h"

namespace bellman::algos {

namespace {

struct IqnConfig : ValueAgentConfig {
  int64_t num_tau_samples = 64;        // N
  int64_t num_tau_prime_samples = 64;  // N'
  int64_t num_quantile_samples = 32;   // K (acting and a*)
  int64_t embedding_dim = 64;          // n, cosines in the tau embedding
  double kappa = 1.0;
  std::string risk_measure = "neutral";  // neutral | cvar | wang | pow | cpw (acting only)
  double risk_eta = 0.0;

  template <class V>
  void Fields(V& v) {
    ValueAgentConfig::Fields(v);
    v("num_tau_samples", num_tau_samples);
    v("num_tau_prime_samples", num_tau_prime_samples);
    v("num_quantile_samples", num_quantile_samples);
    v("embedding_dim", embedding_dim);
    v("kappa", kappa);
    v("risk_measure", risk_measure);
    v("risk_eta", risk_eta);
  }
  void Validate(const std::string& algo) const {
    ValueAgentConfig::Validate(algo);
    for (auto [key, value] : {std::pair{"num_tau_samples", num_tau_samples},
                              {"num_tau_prime_samples", num_tau_prime_samples},
                              {"num_quantile_samples", num_quantile_samples},
                              {"embedding_dim", embedding_dim}}) {
      if (value < 1) throw Error(fmt::format("{}.{} must be >= 1, got {}", algo, key, value));
    }
    if (!(kappa >= 0.0)) throw Error(fmt::format("{}.kappa must be >= 0, got {}", algo, kappa));
    // DistortTaus names the bad measure; check it once here.
    DistortTaus(torch::full({1, 1}, 0.5f), risk_measure, risk_eta);
  }
};

class Iqn final : public ValueAgent {
 public:
  Iqn(const IqnConfig& config, AlgoContext context, const std::string& name)
      : ValueAgent(config, context, name), config_(config) {
    config_.Validate(name);
    net_ = nets::MakeIqnNetwork(config_.net, obs_shape(), num_actions(), config_.embedding_dim,
                                sample_rng());
    target_ = nets::IqnNetwork(net_->Clone());
    SetNetworks(net_.ptr(), target_.ptr());
  }

 protected:
  torch::Tensor ActionValues(const torch::Tensor& obs) override {
    torch::Tensor taus = DistortTaus(Taus(obs.size(0), config_.num_quantile_samples),
                                     config_.risk_measure, config_.risk_eta);
    return net_->forward(obs, taus).mean(1);  // [B, A]
  }

  LossTerms Loss(const torch::Tensor& obs, const torch::Tensor& actions,
                 const torch::Tensor& reward, const torch::Tensor& discount,
                 const torch::Tensor& next_obs) override {
    const int64_t b = obs.size(0);
    const int64_t n = config_.num_tau_samples;
    const int64_t n_prime = config_.num_tau_prime_samples;
    const int64_t k = config_.num_quantile_samples;
    // Draw order (part of the checkpointed stream): tau, tau', then the K fractions for a*.
    torch::Tensor taus = Taus(b, n);
    torch::Tensor taus_prime = Taus(b, n_prime);
    torch::Tensor taus_select = Taus(b, k);
    torch::Tensor target;
    {
      torch::NoGradGuard no_grad;
      nets::IqnNetworkImpl& selector = config_.double_q ? *net_ : *target_;
      torch::Tensor next_q = selector.forward(next_obs, taus_select).mean(1);  // [B, A]
      torch::Tensor a_star = next_q.argmax(1).view({b, 1, 1}).expand({b, n_prime, 1});
      torch::Tensor next_z = target_->forward(next_obs, taus_prime).gather(2, a_star).squeeze(2);
      target = reward.unsqueeze(1) + discount.unsqueeze(1) * next_z;  // [B, N']
    }
    CheckFinite(target, "target quantiles");
    torch::Tensor z = net_->forward(obs, taus);  // [B, N, A]
    CheckFinite(z, "quantiles");
    torch::Tensor z_a = z.gather(2, actions.view({b, 1, 1}).expand({b, n, 1})).squeeze(2);
    torch::Tensor elementwise = QuantileHuberLoss(z_a, target, taus, config_.kappa);
    torch::Tensor q_taken = z_a.detach().mean(1);
    return {elementwise, (target.mean(1) - q_taken).abs(), q_taken};
  }

 private:
  // [b, n] fractions, uniform in [0, 1), from sample_rng (row-major order).
  torch::Tensor Taus(int64_t b, int64_t n) {
    torch::Tensor t = torch::empty({b, n}, torch::kFloat32);
    float* p = t.data_ptr<float>();
    for (int64_t i = 0; i < b * n; ++i) p[i] = static_cast<float>(sample_rng().Random());
    return device().is_cpu() ? t : t.to(device());
  }

  IqnConfig config_;
  nets::IqnNetwork net_ = nullptr;
  nets::IqnNetwork target_ = nullptr;
};

}  // namespace

BELLMAN_REGISTER_ALGORITHMS(iqn) { registry.push_back(MakeRegistration<Iqn, IqnConfig>("iqn")); }

}  // namespace bellman::algos
