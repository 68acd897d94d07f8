// Minimax-DQN (bellman/train/minimax_dqn.h).
#include "bellman/train/minimax_dqn.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include "bellman/core/error.h"
#include "bellman/core/rng.h"
#include "bellman/core/validate.h"
#include "bellman/envs/multi_agent.h"
#include "bellman/nets/mlp.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/threads.h"
#include "bellman/tabular/games.h"

namespace bellman::train {

void MinimaxDqnConfig::Validate() const {
  Require(steps >= 1, "minimax_dqn.steps must be >= 1, got {}", steps);
  Require(learning_starts >= 0, "minimax_dqn.learning_starts must be >= 0, got {}",
          learning_starts);
  Require(batch_size >= 1 && buffer_size >= batch_size,
          "minimax_dqn.batch_size {} must be >= 1 and <= buffer_size {}", batch_size, buffer_size);
  Require(train_freq >= 1, "minimax_dqn.train_freq must be >= 1, got {}", train_freq);
  Require(target_update_interval >= 1, "minimax_dqn.target_update_interval must be >= 1, got {}",
          target_update_interval);
  Require(gamma >= 0.0 && gamma < 1.0, "minimax_dqn.gamma must be in [0, 1), got {}", gamma);
  Require(learning_rate > 0.0, "minimax_dqn.learning_rate must be > 0, got {}", learning_rate);
  Require(explore >= 0.0 && explore <= 1.0, "minimax_dqn.explore must be in [0, 1], got {}",
          explore);
  Require(!hidden_sizes.empty(), "minimax_dqn.hidden_sizes must not be empty");
  if (opponent != "self" && opponent != "random") {
    throw Error(
        fmt::format("minimax_dqn: opponent '{}' is unknown; expected self or random", opponent));
  }
}

namespace {

struct Transition4 {
  int64_t s, a, o, next;
  float r;
  bool terminated;
};

// Q(s, ., .) for one-hot states: the first layer of an MLP on a one-hot input is a column of
// its weight, so it is gathered instead of multiplied (the same function, ~nS times cheaper).
struct JointQNet {
  nets::Mlp first = nullptr, rest = nullptr;
  JointQNet(int64_t nS, const std::vector<int64_t>& hidden, int64_t outputs, Rng& rng)
      : first(nets::MlpOptions{nS, {}, hidden[0], nets::Activation::kRelu, true}, rng),
        rest(nets::MlpOptions{hidden[0], std::vector<int64_t>(hidden.begin() + 1, hidden.end()),
                              outputs, nets::Activation::kRelu, false},
             rng) {}
  torch::Tensor forward(const std::vector<int64_t>& states) {
    const nets::LinearView l = first->linears()[0];
    const torch::Tensor idx = torch::tensor(states, torch::kInt64);
    return rest->forward(torch::relu(l.weight.index_select(1, idx).t() + l.bias));
  }
  std::vector<torch::Tensor> parameters() const {
    std::vector<torch::Tensor> p = first->parameters();
    for (const torch::Tensor& t : rest->parameters()) p.push_back(t);
    return p;
  }
  std::vector<nets::LinearView> linears() const {
    std::vector<nets::LinearView> v = first->linears();
    for (const nets::LinearView& l : rest->linears()) v.push_back(l);
    return v;
  }
};

tabular::MatrixGame StageOf(const torch::Tensor& q_row, int64_t nA, int64_t nO) {
  const torch::Tensor q = q_row.to(torch::kFloat64).contiguous();
  const double* p = q.data_ptr<double>();
  return {nA, nO, std::vector<double>(p, p + nA * nO)};
}

}  // namespace

MinimaxDqnResult TrainMinimaxDqn(const MinimaxDqnConfig& c) {
  c.Validate();
  std::unique_ptr<MultiAgentEnv> env = MakeMultiAgentEnv(c.env_id, c.env_args);
  if (env->num_agents() != 2 || !env->has_model()) {
    throw Error(
        fmt::format("minimax_dqn needs a two-player zero-sum env with a model; {} is not "
                    "one",
                    c.env_id));
  }
  const int64_t nS = static_cast<int64_t>(env->Model().size());
  const int64_t nA = env->action_space(0).n(), nO = env->action_space(1).n();
  nets::SetNumThreads(1, 1);  // small nets: threads only add overhead and nondeterminism
  Rng rng(c.seed);
  JointQNet q_net(nS, c.hidden_sizes, nA * nO, rng), target(nS, c.hidden_sizes, nA * nO, rng);
  {
    torch::NoGradGuard no_grad;
    nets::CopyLinears(q_net.linears(), target.linears());
  }
  nets::OptimizerConfig opt_config;
  opt_config.lr = c.learning_rate;
  const std::unique_ptr<torch::optim::Optimizer> optimizer =
      nets::MakeOptimizer(opt_config, q_net.parameters());
  std::vector<Transition4> buffer;
  buffer.reserve(static_cast<size_t>(std::min<int64_t>(c.buffer_size, c.steps)));
  size_t next_slot = 0;
  std::vector<int64_t> obs(2);
  std::vector<void*> bufs = {&obs[0], &obs[1]};
  env->Reset(c.seed, bufs);
  MinimaxDqnResult out;
  for (int64_t t = 1; t <= c.steps; ++t) {
    const int64_t s = env->StateIndex();
    int64_t a, o;
    {
      torch::NoGradGuard no_grad;
      const tabular::MatrixGame g = StageOf(q_net.forward({s})[0], nA, nO);
      if (c.opponent == "self") {
        const tabular::MatrixGameSolution sol = tabular::SolveZeroSumGame(g);
        a = rng.Random() < c.explore ? rng.Integers(0, nA) : rng.Choice(sol.row_strategy);
        o = rng.Random() < c.explore ? rng.Integers(0, nO) : rng.Choice(sol.col_strategy);
      } else {
        const auto [v, x] = tabular::MaximinStrategy(g);
        a = rng.Random() < c.explore ? rng.Integers(0, nA) : rng.Choice(x);
        o = rng.Integers(0, nO);
      }
    }
    const std::vector<int64_t> joint = {a, o};
    const JointStepResult r = env->Step(joint, bufs);
    const Transition4 tr{s,           a, o, env->StateIndex(), static_cast<float>(r.rewards[0]),
                         r.terminated};
    if (static_cast<int64_t>(buffer.size()) < c.buffer_size) {
      buffer.push_back(tr);
    } else {
      buffer[next_slot] = tr;
      next_slot = (next_slot + 1) % buffer.size();
    }
    if (r.terminated || r.truncated) {
      ++out.episodes;
      env->Reset(std::nullopt, bufs);
    }
    if (t > c.learning_starts && t % c.train_freq == 0) {
      std::vector<int64_t> bs, bnext, bjoint;
      std::vector<float> br, bdone;
      for (int64_t k = 0; k < c.batch_size; ++k) {
        const Transition4& x =
            buffer[static_cast<size_t>(rng.Integers(0, static_cast<int64_t>(buffer.size())))];
        bs.push_back(x.s);
        bnext.push_back(x.next);
        bjoint.push_back(x.a * nO + x.o);
        br.push_back(x.r);
        bdone.push_back(x.terminated ? 1.0f : 0.0f);
      }
      // td_target = r + gamma (1 - terminated) val(Q_target(s')): one LP per sample.
      std::vector<float> next_value(static_cast<size_t>(c.batch_size));
      {
        torch::NoGradGuard no_grad;
        const torch::Tensor qn = target.forward(bnext);
        for (int64_t k = 0; k < c.batch_size; ++k) {
          next_value[static_cast<size_t>(k)] =
              bdone[static_cast<size_t>(k)] > 0.0f
                  ? 0.0f
                  : static_cast<float>(tabular::MaximinStrategy(StageOf(qn[k], nA, nO)).first);
        }
      }
      const torch::Tensor td_target =
          torch::tensor(br) + static_cast<float>(c.gamma) * torch::tensor(next_value);
      const torch::Tensor q =
          q_net.forward(bs).gather(1, torch::tensor(bjoint, torch::kInt64).unsqueeze(1)).squeeze(1);
      const torch::Tensor loss = torch::smooth_l1_loss(q, td_target);
      nets::ZeroGrad(*optimizer);
      loss.backward();
      optimizer->step();
      ++out.updates;
    }
    if (t % c.target_update_interval == 0) {
      torch::NoGradGuard no_grad;
      nets::CopyLinears(q_net.linears(), target.linears());
    }
  }
  torch::NoGradGuard no_grad;
  std::vector<int64_t> all(static_cast<size_t>(nS));
  for (int64_t s = 0; s < nS; ++s) all[static_cast<size_t>(s)] = s;
  const torch::Tensor q_all = q_net.forward(all);
  for (int64_t s = 0; s < nS; ++s) {
    const tabular::MatrixGameSolution sol = tabular::SolveZeroSumGame(StageOf(q_all[s], nA, nO));
    out.pi0.push_back(sol.row_strategy);
    out.pi1.push_back(sol.col_strategy);
    out.V.push_back(sol.value);
  }
  return out;
}

}  // namespace bellman::train
