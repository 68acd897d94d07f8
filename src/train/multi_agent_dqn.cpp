// Independent and shared DQN learners on multi-agent envs, with self-play checkpoints
// (bellman/train/multi_agent_dqn.h).
#include "bellman/train/multi_agent_dqn.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <deque>
#include <filesystem>

#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/envs/multi_agent.h"
#include "bellman/nets/mlp.h"
#include "bellman/nets/optim.h"
#include "bellman/nets/threads.h"

namespace bellman::train {

void MultiAgentDqnConfig::Validate() const {
  if (learners != "independent" && learners != "shared") {
    throw Error(fmt::format("multi_agent.learners '{}' is unknown; expected independent or shared",
                            learners));
  }
  if (opponents != "learners" && opponents != "pool") {
    throw Error(
        fmt::format("multi_agent.opponents '{}' is unknown; expected learners or pool", opponents));
  }
  Require(opponents != "pool" || checkpoint_every > 0,
          "multi_agent.opponents = pool needs checkpoint_every > 0 (the pool is built from them)");
  Require(steps >= 1, "multi_agent.steps must be >= 1, got {}", steps);
  Require(learning_starts >= 0, "multi_agent.learning_starts must be >= 0, got {}",
          learning_starts);
  Require(buffer_size >= 1, "multi_agent.buffer_size must be >= 1, got {}", buffer_size);
  Require(batch_size >= 1, "multi_agent.batch_size must be >= 1, got {}", batch_size);
  Require(train_freq >= 1, "multi_agent.train_freq must be >= 1, got {}", train_freq);
  Require(target_update_interval >= 1, "multi_agent.target_update_interval must be >= 1, got {}",
          target_update_interval);
  Require(gamma >= 0.0 && gamma <= 1.0, "multi_agent.gamma must be in [0, 1], got {}", gamma);
  Require(learning_rate > 0.0, "multi_agent.learning_rate must be > 0, got {}", learning_rate);
  Require(epsilon_end >= 0.0 && epsilon_start <= 1.0 && epsilon_end <= epsilon_start,
          "multi_agent: need 0 <= epsilon_end <= epsilon_start <= 1, got {} and {}", epsilon_end,
          epsilon_start);
  Require(exploration_fraction > 0.0 && exploration_fraction <= 1.0,
          "multi_agent.exploration_fraction must be in (0, 1], got {}", exploration_fraction);
  Require(!hidden_sizes.empty(), "multi_agent.hidden_sizes must not be empty");
  Require(checkpoint_every >= 0, "multi_agent.checkpoint_every must be >= 0, got {}",
          checkpoint_every);
}

namespace {

// Observations as floats: Discrete one-hot, Box as its values; shared learners append the
// agent's index one-hot.
class ObsEncoder {
 public:
  ObsEncoder(const MultiAgentEnv& env, bool agent_id) : agent_id_(agent_id) {
    for (int64_t i = 0; i < env.num_agents(); ++i) {
      const Space& s = env.observation_space(i);
      if (s.kind() != Space::Kind::kDiscrete && s.kind() != Space::Kind::kBox) {
        throw Error(
            fmt::format("multi-agent DQN needs Discrete or Box observations; {} agent {} "
                        "has {}",
                        env.id(), i, s.ToString()));
      }
      if (s.kind() == Space::Kind::kBox && s.dtype() != DType::kFloat32 &&
          s.dtype() != DType::kUint8) {
        throw Error(
            fmt::format("multi-agent DQN reads float32 or uint8 Box observations; {} "
                        "agent {} has {}",
                        env.id(), i, s.ToString()));
      }
      spaces_.push_back(s);
      const int64_t n = s.kind() == Space::Kind::kDiscrete ? s.n() : s.flat_size();
      size_ = std::max(size_, n);
      if (i > 0 && n != size_) {
        throw Error(
            fmt::format("{}: agents' observation sizes differ ({} and {})", env.id(), n, size_));
      }
    }
    if (agent_id_) size_ += env.num_agents();
    num_agents_ = env.num_agents();
  }
  int64_t size() const { return size_; }
  void Encode(int64_t agent, const void* obs, float* out) const {
    std::fill(out, out + size_, 0.0f);
    const Space& s = spaces_[static_cast<size_t>(agent)];
    if (s.kind() == Space::Kind::kDiscrete) {
      out[*static_cast<const int64_t*>(obs) - s.start()] = 1.0f;
    } else if (s.dtype() == DType::kFloat32) {
      std::copy_n(static_cast<const float*>(obs), s.flat_size(), out);
    } else {
      const auto* p = static_cast<const uint8_t*>(obs);
      for (int64_t k = 0; k < s.flat_size(); ++k) out[k] = static_cast<float>(p[k]);
    }
    if (agent_id_) out[size_ - num_agents_ + agent] = 1.0f;
  }

 private:
  bool agent_id_;
  int64_t size_ = 0, num_agents_ = 0;
  std::vector<Space> spaces_;
};

struct Experience {
  std::vector<float> obs, next_obs;
  int64_t action = 0;
  float reward = 0.0f;
  bool terminated = false;
};

// One DQN learner: online and target networks, Adam, a ring buffer.
struct QLearner {
  nets::Mlp q = nullptr, target = nullptr;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  std::vector<Experience> buffer;
  size_t next_slot = 0;

  QLearner(int64_t in, int64_t actions, const MultiAgentDqnConfig& c, Rng& rng)
      : q(nets::MlpOptions{in, c.hidden_sizes, actions}, rng),
        target(nets::MlpOptions{in, c.hidden_sizes, actions}, rng) {
    torch::NoGradGuard no_grad;
    nets::CopyLinears(q->linears(), target->linears());
    nets::OptimizerConfig oc;
    oc.lr = c.learning_rate;
    optimizer = nets::MakeOptimizer(oc, q->parameters());
  }
  void Store(Experience e, int64_t capacity) {
    if (static_cast<int64_t>(buffer.size()) < capacity) {
      buffer.push_back(std::move(e));
    } else {
      buffer[next_slot] = std::move(e);
      next_slot = (next_slot + 1) % buffer.size();
    }
  }
  // td_target = r + gamma (1 - terminated) max_a' Q_target(s', a') (Mnih et al. 2015).
  void Update(const MultiAgentDqnConfig& c, int64_t obs_size, Rng& rng) {
    std::vector<float> s, s2, r, done;
    std::vector<int64_t> a;
    for (int64_t k = 0; k < c.batch_size; ++k) {
      const Experience& e =
          buffer[static_cast<size_t>(rng.Integers(0, static_cast<int64_t>(buffer.size())))];
      s.insert(s.end(), e.obs.begin(), e.obs.end());
      s2.insert(s2.end(), e.next_obs.begin(), e.next_obs.end());
      a.push_back(e.action);
      r.push_back(e.reward);
      done.push_back(e.terminated ? 1.0f : 0.0f);
    }
    const int64_t B = c.batch_size;
    torch::Tensor td_target;
    {
      torch::NoGradGuard no_grad;
      const torch::Tensor next_q =
          std::get<0>(target->forward(torch::from_blob(s2.data(), {B, obs_size})).max(1));
      td_target =
          torch::from_blob(r.data(), {B}) +
          static_cast<float>(c.gamma) * (1.0f - torch::from_blob(done.data(), {B})) * next_q;
    }
    const torch::Tensor qa = q->forward(torch::from_blob(s.data(), {B, obs_size}))
                                 .gather(1, torch::from_blob(a.data(), {B, 1}, torch::kInt64))
                                 .squeeze(1);
    const torch::Tensor loss = torch::smooth_l1_loss(qa, td_target);
    nets::ZeroGrad(*optimizer);
    loss.backward();
    optimizer->step();
  }
};

int64_t Greedy(nets::Mlp& net, const std::vector<float>& x) {
  torch::NoGradGuard no_grad;
  const torch::Tensor q = net->forward(
      torch::from_blob(const_cast<float*>(x.data()), {1, static_cast<int64_t>(x.size())}));
  return q.argmax(1).item<int64_t>();
}

std::vector<torch::Tensor> Snapshot(const nets::Mlp& net) {
  std::vector<torch::Tensor> out;
  for (const torch::Tensor& p : net->parameters()) out.push_back(p.detach().clone());
  return out;
}

void LoadSnapshot(nets::Mlp& net, const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> dst = net->parameters();
  for (size_t i = 0; i < dst.size(); ++i) dst[i].copy_(params[i]);
}

}  // namespace

MultiAgentDqnResult TrainMultiAgentDqn(
    const MultiAgentDqnConfig& c,
    const std::function<void(const MultiAgentDqnProgress&)>& on_progress, int64_t log_every,
    int64_t eval_episodes) {
  c.Validate();
  nets::SetNumThreads(1, 1);  // small nets: threads only add overhead and nondeterminism
  std::unique_ptr<MultiAgentEnv> env = MakeMultiAgentEnv(c.env_id, c.env_args);
  const int64_t N = env->num_agents();
  for (int64_t i = 0; i < N; ++i) {
    if (env->action_space(i).kind() != Space::Kind::kDiscrete ||
        env->action_space(i).n() != env->action_space(0).n()) {
      throw Error(
          fmt::format("multi-agent DQN needs the same Discrete action space for every "
                      "agent; {} agent {} has {}",
                      c.env_id, i, env->action_space(i).ToString()));
    }
  }
  const bool shared = c.learners == "shared";
  if (c.opponents == "pool" && !shared) {
    throw Error(
        "multi_agent.opponents = pool plays agent 0's past networks for the other agents: "
        "it needs learners = shared");
  }
  const ObsEncoder enc(*env, shared);
  const int64_t X = enc.size(), nA = env->action_space(0).n(), start = env->action_space(0).start();
  Rng rng(c.seed);
  std::vector<QLearner> learners;
  for (int64_t l = 0; l < (shared ? 1 : N); ++l) learners.emplace_back(X, nA, c, rng);
  auto learner_of = [&](int64_t agent) -> QLearner& {
    return learners[static_cast<size_t>(shared ? 0 : agent)];
  };
  nets::Mlp opponent(nets::MlpOptions{X, c.hidden_sizes, nA}, rng);  // a pool member
  std::vector<std::vector<torch::Tensor>> pool;

  std::vector<std::vector<std::byte>> raw;
  std::vector<void*> ptrs;
  for (int64_t i = 0; i < N; ++i) raw.emplace_back(env->observation_space(i).byte_size());
  for (auto& r : raw) ptrs.push_back(r.data());
  std::vector<std::vector<float>> x(static_cast<size_t>(N), std::vector<float>(X)), x2 = x;
  env->Reset(c.seed, ptrs);
  for (int64_t i = 0; i < N; ++i) enc.Encode(i, raw[static_cast<size_t>(i)].data(), x[i].data());

  MultiAgentDqnResult out;
  MultiAgentDqnProgress progress;
  std::vector<std::deque<double>> recent(static_cast<size_t>(N));
  std::vector<double> ep_return(static_cast<size_t>(N), 0.0);
  std::vector<int64_t> actions(static_cast<size_t>(N));
  const auto t0 = std::chrono::steady_clock::now();
  int64_t learner_seat = 0;
  const int64_t decay_steps =
      std::max<int64_t>(1, static_cast<int64_t>(c.exploration_fraction * c.steps));
  for (int64_t t = 1; t <= c.steps; ++t) {
    const double frac = std::min(1.0, static_cast<double>(t - 1) / decay_steps);
    const double epsilon = c.epsilon_start + frac * (c.epsilon_end - c.epsilon_start);
    for (int64_t i = 0; i < N; ++i) {
      const bool from_pool = c.opponents == "pool" && i != learner_seat;
      nets::Mlp& net = from_pool ? opponent : learner_of(i).q;
      actions[i] =
          rng.Random() < epsilon ? rng.Integers(0, nA) : Greedy(net, x[static_cast<size_t>(i)]);
      actions[i] += start;
    }
    const JointStepResult r = env->Step(actions, ptrs);
    for (int64_t i = 0; i < N; ++i) {
      enc.Encode(i, raw[static_cast<size_t>(i)].data(), x2[i].data());
      ep_return[i] += r.rewards[i];
      if (c.opponents == "pool" && i != learner_seat) continue;  // only the learner's seat trains
      learner_of(i).Store(
          {x[i], x2[i], actions[i] - start, static_cast<float>(r.rewards[i]), r.terminated},
          c.buffer_size);
    }
    std::swap(x, x2);
    if (r.terminated || r.truncated) {
      ++progress.episodes;
      for (int64_t i = 0; i < N; ++i) {
        recent[i].push_back(ep_return[i]);
        if (recent[i].size() > 20) recent[i].pop_front();
        ep_return[i] = 0.0;
      }
      env->Reset(std::nullopt, ptrs);
      for (int64_t i = 0; i < N; ++i)
        enc.Encode(i, raw[static_cast<size_t>(i)].data(), x[i].data());
      // Pool play: the learner takes a random seat each episode (so the shared network learns
      // every role), the other seats a past checkpoint drawn from the pool.
      if (c.opponents == "pool") learner_seat = rng.Integers(0, N);
      if (c.opponents == "pool" && !pool.empty()) {
        LoadSnapshot(opponent,
                     pool[static_cast<size_t>(rng.Integers(0, static_cast<int64_t>(pool.size())))]);
      }
    }
    if (t > c.learning_starts && t % c.train_freq == 0) {
      for (QLearner& l : learners) {
        l.Update(c, X, rng);
        ++progress.updates;
      }
    }
    if (t % c.target_update_interval == 0) {
      torch::NoGradGuard no_grad;
      for (QLearner& l : learners) nets::CopyLinears(l.q->linears(), l.target->linears());
    }
    if (c.checkpoint_every > 0 && t % c.checkpoint_every == 0) {
      pool.push_back(Snapshot(learners[0].q));
      if (pool.size() == 1 && c.opponents == "pool") LoadSnapshot(opponent, pool[0]);
      if (!c.run_dir.empty()) {
        const std::filesystem::path dir = std::filesystem::path(c.run_dir) / "selfplay";
        std::filesystem::create_directories(dir);
        for (size_t l = 0; l < learners.size(); ++l) {
          const std::string path = (dir / fmt::format("learner{}_step{}.pt", l, t)).string();
          torch::save(learners[l].q, path);
          out.checkpoints.push_back(path);
        }
      }
    }
    if (on_progress && (t % log_every == 0 || t == c.steps)) {
      progress.steps = t;
      progress.recent_return.assign(static_cast<size_t>(N), 0.0);
      for (int64_t i = 0; i < N; ++i)
        for (double v : recent[i]) progress.recent_return[i] += v / recent[i].size();
      progress.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      on_progress(progress);
    }
  }
  out.episodes = progress.episodes;
  out.updates = progress.updates;
  out.pool_size = static_cast<int64_t>(pool.size());
  out.recent_return.assign(static_cast<size_t>(N), 0.0);
  for (int64_t i = 0; i < N; ++i)
    for (double v : recent[i]) out.recent_return[i] += v / std::max<size_t>(recent[i].size(), 1);
  // Greedy play: every learner acting, then agent 0's learner against random agents.
  for (const bool versus_random : {false, true}) {
    std::vector<double>& sums = versus_random ? out.versus_random_return : out.greedy_return;
    sums.assign(static_cast<size_t>(N), 0.0);
    Rng eval_rng(c.seed + 1'000'003);
    for (int64_t e = 0; e < eval_episodes; ++e) {
      env->Reset(c.seed + 1'000'000 + static_cast<uint64_t>(e), ptrs);
      for (;;) {
        for (int64_t i = 0; i < N; ++i) {
          enc.Encode(i, raw[static_cast<size_t>(i)].data(), x[i].data());
          actions[i] = start + (versus_random && i > 0 ? eval_rng.Integers(0, nA)
                                                       : Greedy(learner_of(i).q, x[i]));
        }
        const JointStepResult r = env->Step(actions, ptrs);
        for (int64_t i = 0; i < N; ++i)
          sums[i] += r.rewards[i] / static_cast<double>(eval_episodes);
        if (r.terminated || r.truncated) break;
      }
    }
  }
  return out;
}

}  // namespace bellman::train
