// AlphaZero self-play training (bellman/train/alphazero.h).
#include "bellman/train/alphazero.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <deque>

#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/envs/board_games.h"
#include "bellman/envs/registry.h"
#include "bellman/nets/mlp.h"
#include "bellman/nets/threads.h"
#include "bellman/planning/game_solver.h"

namespace bellman::train {

void AlphaZeroConfig::Validate() const {
  Require(iterations >= 0, "alphazero.iterations must be >= 0, got {}", iterations);
  Require(games_per_iteration >= 1, "alphazero.games_per_iteration must be >= 1, got {}",
          games_per_iteration);
  Require(train_steps_per_iteration >= 0,
          "alphazero.train_steps_per_iteration must be >= 0, got {}", train_steps_per_iteration);
  Require(batch_size >= 1, "alphazero.batch_size must be >= 1, got {}", batch_size);
  Require(buffer_size >= batch_size, "alphazero.buffer_size {} must be >= batch_size {}",
          buffer_size, batch_size);
  Require(learning_rate > 0.0, "alphazero.learning_rate must be > 0, got {}", learning_rate);
  Require(weight_decay >= 0.0, "alphazero.weight_decay must be >= 0, got {}", weight_decay);
  Require(temperature_moves >= 0, "alphazero.temperature_moves must be >= 0, got {}",
          temperature_moves);
  Require(value_target_search_weight >= 0.0 && value_target_search_weight <= 1.0,
          "alphazero.value_target_search_weight must be in [0, 1], got {}",
          value_target_search_weight);
  Require(!hidden_sizes.empty(), "alphazero.hidden_sizes must not be empty");
  for (int64_t h : hidden_sizes) Require(h >= 1, "alphazero.hidden_sizes entries must be >= 1");
  mcts.Validate();
}

// Not in an anonymous namespace: AlphaZeroAgent::Impl holds one, and this file may be compiled
// inside a unity group (GCC's -Wsubobject-linkage).
namespace alphazero_detail {

// A shared torso and two heads: policy logits and a tanh value (the player to move's).
struct AlphaZeroNetImpl : torch::nn::Module {
  AlphaZeroNetImpl(int64_t obs_size, int64_t num_actions, const std::vector<int64_t>& hidden,
                   Rng& rng) {
    nets::MlpOptions torso_opts{obs_size, std::vector<int64_t>(hidden.begin(), hidden.end() - 1),
                                hidden.back(), nets::Activation::kRelu, true};
    torso = register_module("torso", nets::Mlp(torso_opts, rng));
    policy =
        register_module("policy", nets::Mlp(nets::MlpOptions{hidden.back(), {}, num_actions}, rng));
    value = register_module("value", nets::Mlp(nets::MlpOptions{hidden.back(), {}, 1}, rng));
  }
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& obs) {
    const torch::Tensor h = torso->forward(obs);
    return {policy->forward(h), torch::tanh(value->forward(h)).squeeze(-1)};
  }
  nets::Mlp torso = nullptr, policy = nullptr, value = nullptr;
};
TORCH_MODULE(AlphaZeroNet);

}  // namespace alphazero_detail

namespace {

using alphazero_detail::AlphaZeroNet;

const TurnBasedGame& AsGame(const Env& env) {
  const auto* game = dynamic_cast<const TurnBasedGame*>(&env);
  if (game == nullptr) {
    throw Error(
        fmt::format("AlphaZero self-play needs a turn-based game (TicTacToe-v0, "
                    "ConnectFour-v0); {} is not one. For AlphaZero on a single-agent env's "
                    "simulator run: bellman muzero --simulator --env {}",
                    env.spec().id, env.spec().id));
  }
  return *game;
}

struct Sample {
  std::vector<float> obs;
  std::vector<float> pi;    // visit-count distribution
  float z = 0.0f;           // outcome for the player to move
  float root_value = 0.0f;  // the search's value of the position
};

}  // namespace

struct AlphaZeroAgent::Impl {
  AlphaZeroConfig config;
  int64_t obs_size = 0, num_actions = 0;
  mutable alphazero_detail::AlphaZeroNet net = nullptr;  // forward() is not const in libtorch

  planning::MctsEvaluation Evaluate(const void* obs) const {
    torch::NoGradGuard no_grad;
    const torch::Tensor x =
        torch::from_blob(const_cast<void*>(obs), {1, obs_size}, torch::kFloat32);
    auto [logits, v] = net->forward(x);
    const torch::Tensor p = torch::softmax(logits, -1).to(torch::kFloat64).contiguous();
    const double* pp = p.data_ptr<double>();
    return {std::vector<double>(pp, pp + num_actions), v.item<double>()};
  }
};

AlphaZeroAgent::AlphaZeroAgent(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AlphaZeroAgent::~AlphaZeroAgent() = default;
AlphaZeroAgent::AlphaZeroAgent(AlphaZeroAgent&&) noexcept = default;
AlphaZeroAgent& AlphaZeroAgent::operator=(AlphaZeroAgent&&) noexcept = default;

planning::MctsEvaluation AlphaZeroAgent::Evaluate(const Env&, const void* obs) const {
  return impl_->Evaluate(obs);
}

int64_t AlphaZeroAgent::Act(const Env& env, const void* obs, int64_t num_simulations) const {
  planning::MctsConfig c = impl_->config.mcts;
  c.num_simulations = num_simulations;
  c.root_noise = false;
  Rng unused(0);  // no noise: the search draws nothing
  const planning::MctsEvaluator eval = [this](const Env&, const void* o) {
    return impl_->Evaluate(o);
  };
  return planning::Mcts(env, obs, eval, c, unused).action;
}

void AlphaZeroAgent::Save(const std::string& path) const { torch::save(impl_->net, path); }

void AlphaZeroAgent::Load(const std::string& path) {
  try {
    torch::load(impl_->net, path);
  } catch (const c10::Error& e) {
    throw Error(fmt::format("cannot load an AlphaZero network from {}: {}", path,
                            e.what_without_backtrace()));
  }
}

AlphaZeroAgent MakeAlphaZeroAgent(const AlphaZeroConfig& config) {
  config.Validate();
  nets::SetNumThreads(1, 1);  // batch-1 evaluations: threads only add overhead
  auto impl = std::make_unique<AlphaZeroAgent::Impl>();
  impl->config = config;
  std::unique_ptr<Env> env = MakeEnv(config.env_id, config.env_args);
  AsGame(*env);
  impl->obs_size = env->observation_space().flat_size();
  impl->num_actions = env->action_space().n();
  Rng init_rng(config.seed);
  impl->net = AlphaZeroNet(impl->obs_size, impl->num_actions, config.hidden_sizes, init_rng);
  return AlphaZeroAgent(std::move(impl));
}

namespace {

// One self-play game: a search from every position, the visit counts as the policy target, the
// final outcome as every position's value target (from its mover's side).
struct GameRecord {
  std::vector<Sample> samples;
  int64_t winner = -1;  // -1: a draw
};

GameRecord SelfPlayGame(const AlphaZeroAgent::Impl& az, Env& env, Rng& rng) {
  const AlphaZeroConfig& c = az.config;
  std::vector<float> obs(static_cast<size_t>(az.obs_size));
  env.Reset(std::nullopt, obs.data());
  const planning::MctsEvaluator eval = [&az](const Env&, const void* o) { return az.Evaluate(o); };
  GameRecord game;
  std::vector<int64_t> movers;
  for (int64_t move = 0;; ++move) {
    const int64_t mover = AsGame(env).to_play();
    const planning::MctsResult r = planning::Mcts(env, obs.data(), eval, c.mcts, rng);
    Sample s{obs, std::vector<float>(static_cast<size_t>(az.num_actions)), 0.0f,
             static_cast<float>(r.root_value)};
    double total = 0.0;
    for (int64_t n : r.visits) total += static_cast<double>(n);
    std::vector<double> pi(r.visits.size());
    for (size_t a = 0; a < pi.size(); ++a) {
      pi[a] = static_cast<double>(r.visits[a]) / total;
      s.pi[a] = static_cast<float>(pi[a]);
    }
    game.samples.push_back(std::move(s));
    movers.push_back(mover);
    const int64_t action = move < c.temperature_moves ? rng.Choice(pi) : r.action;
    const StepResult step = env.Step(&action, obs.data());
    if (step.terminated || step.truncated) {
      if (step.reward > 0.0) game.winner = mover;
      if (step.reward < 0.0) game.winner = 1 - mover;
      break;
    }
  }
  for (size_t i = 0; i < game.samples.size(); ++i) {
    const float z = game.winner < 0 ? 0.0f : (movers[i] == game.winner ? 1.0f : -1.0f);
    // The outcome of play sampled with temperature is not the minimax value; mixing in the
    // search's own value pulls the target towards it.
    const float w = static_cast<float>(c.value_target_search_weight);
    game.samples[i].z = (1.0f - w) * z + w * game.samples[i].root_value;
  }
  return game;
}

}  // namespace

AlphaZeroAgent TrainAlphaZero(const AlphaZeroConfig& config,
                              const std::function<void(const AlphaZeroProgress&)>& on_iteration) {
  AlphaZeroAgent agent = MakeAlphaZeroAgent(config);
  AlphaZeroAgent::Impl& az = agent.impl();
  std::unique_ptr<Env> env = MakeEnv(config.env_id, config.env_args);
  std::vector<float> first_obs(static_cast<size_t>(az.obs_size));
  env->Reset(config.seed, first_obs.data());  // seeds the env's generator once
  Rng rng(config.seed + 1);
  torch::optim::Adam optimizer(
      az.net->parameters(),
      torch::optim::AdamOptions(config.learning_rate).weight_decay(config.weight_decay));
  std::deque<Sample> buffer;
  // Each drawn position is seen under a random symmetry of the board (AlphaGo Zero's
  // augmentation; AlphaZero dropped it for chess and shogi, which have none).
  const std::vector<GameSymmetry> symmetries =
      config.augment_symmetries ? AsGame(*env).Symmetries()
                                : std::vector<GameSymmetry>(AsGame(*env).Symmetries().begin(),
                                                            AsGame(*env).Symmetries().begin() + 1);
  const auto start = std::chrono::steady_clock::now();
  AlphaZeroProgress progress;
  for (int64_t it = 1; it <= config.iterations; ++it) {
    progress.iteration = it;
    progress.first_player_wins = progress.second_player_wins = progress.draws = 0;
    for (int64_t g = 0; g < config.games_per_iteration; ++g) {
      GameRecord game = SelfPlayGame(az, *env, rng);
      ++progress.games;
      (game.winner == 0   ? progress.first_player_wins
       : game.winner == 1 ? progress.second_player_wins
                          : progress.draws)++;
      for (Sample& s : game.samples) buffer.push_back(std::move(s));
      while (static_cast<int64_t>(buffer.size()) > config.buffer_size) buffer.pop_front();
    }
    progress.positions = static_cast<int64_t>(buffer.size());
    double value_loss = 0.0, policy_loss = 0.0;
    const int64_t steps = static_cast<int64_t>(buffer.size()) >= config.batch_size
                              ? config.train_steps_per_iteration
                              : 0;
    std::vector<float> obs_b, pi_b, z_b;
    for (int64_t step = 0; step < steps; ++step) {
      obs_b.clear();
      pi_b.clear();
      z_b.clear();
      for (int64_t b = 0; b < config.batch_size; ++b) {
        const Sample& s =
            buffer[static_cast<size_t>(rng.Integers(0, static_cast<int64_t>(buffer.size())))];
        const GameSymmetry& sym = symmetries[static_cast<size_t>(
            rng.Integers(0, static_cast<int64_t>(symmetries.size())))];
        for (int64_t i : sym.obs_index) obs_b.push_back(s.obs[static_cast<size_t>(i)]);
        for (int64_t a : sym.action_index) pi_b.push_back(s.pi[static_cast<size_t>(a)]);
        z_b.push_back(s.z);
      }
      const torch::Tensor x = torch::from_blob(obs_b.data(), {config.batch_size, az.obs_size});
      const torch::Tensor pi = torch::from_blob(pi_b.data(), {config.batch_size, az.num_actions});
      const torch::Tensor z = torch::from_blob(z_b.data(), {config.batch_size});
      auto [logits, v] = az.net->forward(x);
      // Eq. 1 of Silver et al. (2018): (z - v)^2 - pi^T log p; the L2 term is Adam's decay.
      const torch::Tensor lv = (z - v).pow(2).mean();
      const torch::Tensor lp = -(pi * torch::log_softmax(logits, -1)).sum(-1).mean();
      optimizer.zero_grad();
      (lv + lp).backward();
      optimizer.step();
      value_loss += lv.item<double>();
      policy_loss += lp.item<double>();
    }
    progress.value_loss = steps > 0 ? value_loss / static_cast<double>(steps) : 0.0;
    progress.policy_loss = steps > 0 ? policy_loss / static_cast<double>(steps) : 0.0;
    progress.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (on_iteration) on_iteration(progress);
  }
  return agent;
}

namespace {

void ExploreLines(const AlphaZeroAgent& agent, planning::GameSolver& solver, const Env& env,
                  const std::vector<float>& obs, int64_t agent_player, int64_t sims,
                  VersusPerfectResult& out) {
  const TurnBasedGame& game = AsGame(env);
  std::vector<int64_t> moves;
  if (game.to_play() == agent_player) {
    moves = {agent.Act(env, obs.data(), sims)};
  } else {
    moves = solver.BestActions(game);
  }
  for (int64_t a : moves) {
    std::unique_ptr<Env> child = env.Clone();
    std::vector<float> next(obs.size());
    const StepResult r = child->Step(&a, next.data());
    if (r.terminated) {
      ++out.lines;
      const double for_agent = game.to_play() == agent_player ? r.reward : -r.reward;
      (for_agent > 0 ? out.wins : for_agent < 0 ? out.losses : out.draws)++;
    } else {
      ExploreLines(agent, solver, *child, next, agent_player, sims, out);
    }
  }
}

}  // namespace

VersusPerfectResult PlayPerfectPlayer(const AlphaZeroAgent& agent, const std::string& env_id,
                                      const EnvArgs& env_args, int64_t num_simulations) {
  std::unique_ptr<Env> env = MakeEnv(env_id, env_args);
  std::vector<float> obs(static_cast<size_t>(env->observation_space().flat_size()));
  env->Reset(0, obs.data());
  AsGame(*env);
  planning::GameSolver solver;
  VersusPerfectResult out;
  for (int64_t agent_player : {0, 1}) {
    ExploreLines(agent, solver, *env, obs, agent_player, num_simulations, out);
  }
  return out;
}

}  // namespace bellman::train
