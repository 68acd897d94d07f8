// Training, evaluation and replay of trained agents: the entry points of `bellman train`,
// `bellman eval`, `bellman enjoy` and the Python module. Torch-free header (the CLI includes it).
//
// A run directory (docs/dqn.md, "Run directory"):
//   config.yaml          fully resolved config (every key, defaults filled in)
//   progress.csv         one row per log_interval env steps
//   events.out.tfevents.* TensorBoard scalars
//   checkpoints/step_<N>/ algorithm files, replay.bin, trainer_state.json, manifest.json
//   checkpoints/latest   the newest complete checkpoint
//   summary.json         final evaluation, env/gradient steps, wall time, seed, version
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "bellman/core/collective.h"
#include "bellman/core/kv_store.h"
#include "bellman/core/space.h"
#include "bellman/envs/env.h"

namespace bellman::train {

// Multi-process training (docs/distributed.md): the `dist:` section. It applies when the process
// is one rank of a group (bellman launch, or torchrun's variables in the environment); a
// single process ignores it.
struct DistConfig {
  // data_parallel: every rank collects with its own env seeds and replay, gradients are
  // averaged over the ranks before each optimizer step. apex: Ape-X actors and a learner.
  std::string mode = "data_parallel";
  int actors = 0;    // apex: actor ranks (the rest learn); data_parallel: must be 0
  int learners = 0;  // data_parallel: 0 (every rank) or the world size; apex: 1
  int64_t param_sync_interval = 400;  // apex: learner updates between parameter broadcasts
  double timeout_s = 300.0;  // how long a rank waits for the others (rendezvous, collectives)
  // data_parallel: gradient all-reduces between checks that every rank holds the same
  // parameters (a hash compared across ranks; 0: never).
  int64_t check_interval = 1000;
  // apex: vector-env steps an actor collects per block it sends (Horgan et al. 2018: 50).
  int64_t block_steps = 50;

  template <class V>
  void Fields(V& v) {
    v("mode", mode);
    v("actors", actors);
    v("learners", learners);
    v("param_sync_interval", param_sync_interval);
    v("timeout_s", timeout_s);
    v("check_interval", check_interval);
    v("block_steps", block_steps);
  }
  // Checks the values alone; the layout against a world size is checked by CheckLayout.
  void Validate() const;
  // Throws bellman::Error when this section cannot run on `world_size` ranks.
  void CheckLayout(int world_size) const;
};

// The trainer's part of a run config; the algorithm's part is the map under the algorithm's name
// (`dqn: {...}`).
struct TrainConfig {
  std::string algo = "dqn";
  std::string env = "CartPole-v1";
  int64_t seed = 1;
  int64_t n_timesteps = 50'000;
  int num_envs = 1;
  int64_t eval_freq = 10'000;  // env steps between evaluations (0: none)
  int eval_episodes = 10;
  // The final evaluation (summary.json, TrainResult::final_eval) plays this many episodes from
  // its own seed stream, distinct from the periodic evaluations' (docs/dqn.md, "Seeds").
  int final_eval_episodes = 10;
  // Stop once a periodic evaluation's mean return reaches this (0: never; SB3's
  // StopTrainingOnRewardThreshold).
  double eval_stop_return = 0.0;
  int64_t log_interval = 1'000;      // env steps between progress.csv rows
  int64_t checkpoint_freq = 10'000;  // env steps between checkpoints (0: only at the end)
  int keep_checkpoints = 2;          // newest checkpoints kept (0: all)
  // libtorch intra-op threads. OpenBLAS stays at 1 thread whatever this says: two BLAS threads
  // change GEMM results (docs/dqn.md, "Determinism"); 1 or 2 torch threads give identical runs.
  int torch_threads = 1;
  // Time each phase of the loop (env, replay, act, forward, backward, optimizer, ...); printed at
  // the end and written to summary.json as profile_seconds. Costs two clock reads per phase.
  bool profile = false;
  // TimeLimit of the training and evaluation envs: -1 keeps the env's own (Gymnasium's
  // registration), 0 removes it, n truncates episodes at n steps (MinAtar presets: a greedy
  // policy can otherwise play one episode forever, e.g. a Seaquest sub that never dives).
  int64_t max_episode_steps = -1;
  // Keyword arguments of the training and evaluation envs (gym.make(env, **env_kwargs)); the
  // YAML map `env_kwargs:` and `--env-arg key=value`. Not in Fields: a map of mixed values.
  EnvArgs env_kwargs;
  // Offline training (docs/offline.md): a Minari dataset folder or D4RL file. Non-empty: the
  // algorithm learns from the dataset only, n_timesteps counts gradient steps, eval_freq,
  // log_interval and checkpoint_freq count them too, and the env only evaluates.
  std::string dataset;
  DistConfig dist;

  template <class V>
  void Fields(V& v) {
    v("algo", algo);
    v("env", env);
    v("seed", seed);
    v("n_timesteps", n_timesteps);
    v("num_envs", num_envs);
    v("eval_freq", eval_freq);
    v("eval_episodes", eval_episodes);
    v("final_eval_episodes", final_eval_episodes);
    v("eval_stop_return", eval_stop_return);
    v("log_interval", log_interval);
    v("checkpoint_freq", checkpoint_freq);
    v("keep_checkpoints", keep_checkpoints);
    v("torch_threads", torch_threads);
    v("profile", profile);
    v("max_episode_steps", max_episode_steps);
    v("dataset", dataset);
    v("dist", dist);
  }
  // Throws bellman::Error naming the key.
  void Validate() const;
};

struct TrainOptions {
  // Empty: the config file's `algo:`/`env:`, else dqn on CartPole-v1. With `resume`, a value
  // other than the run's is an error (a resumed run keeps its config).
  std::string algo;
  std::string env;
  std::string config_path;  // empty: the preset configs/<algo>/<env>.yaml
  std::optional<int64_t> seed;
  std::string dataset;                 // offline: a dataset to learn from (config key `dataset`)
  std::vector<std::string> env_args;   // "key=value" env kwargs, recorded as env_kwargs
  std::vector<std::string> overrides;  // "dqn.lr=1e-3", "n_timesteps=20000" ("lr=..." = "dqn.lr")
  std::string run_dir;                 // empty: <runs_root>/<algo>-<env>-<seed>-<YYYYmmdd-HHMMSS>
  std::string runs_root = "runs";
  std::string resume;  // a run directory to continue from its latest checkpoint
  // Online runs: every transition the run collects is written, as whole episodes, to this
  // Minari dataset folder when the run ends (D4RL's medium-replay, DQN-replay datasets). Not
  // with resume or a dataset.
  std::string record_dataset;
  bool progress = true;  // progress bar on stdout
  bool verbose = true;   // print the run directory and final evaluation
  // For tests: stop (without final checkpoint, evaluation or summary, as if killed) once this
  // many env steps are done. 0: off.
  int64_t stop_after_steps = 0;
  // Multi-process runs (bellman launch, torchrun; docs/distributed.md): this process's rank in
  // a world of world_size, and how to join the group once the run's dist.timeout_s is known
  // (dist/gloo.h's GlooCollective). world_size 1: a single-process run.
  int rank = 0;
  int world_size = 1;
  std::function<std::unique_ptr<Collective>(double timeout_s)> join_group;
  // dist.mode apex: how to open the run's key-value store (dist/store.h): rank 0 serves it, the
  // others connect, each waiting at most timeout_s.
  std::function<std::unique_ptr<KeyValueStore>(bool serve, double timeout_s)> open_store;
};

struct EvalResult {
  double mean = 0.0;
  double std = 0.0;             // population std (ddof 0), as NumPy's np.std
  std::vector<double> returns;  // episode i was played on an env reset with seed + i
  uint64_t seed = 0;
};

struct TrainResult {
  std::string run_dir;
  EvalResult final_eval;  // on final_eval_seed + i: episodes no earlier decision looked at
  // Offline runs on a dataset with reference scores: D4RL's normalised final_eval.mean.
  std::optional<double> final_normalized_score;
  uint64_t final_eval_seed = 0;
  double last_eval = 0.0;  // mean of the last periodic evaluation (NaN if none ran)
  int64_t env_steps = 0;
  int64_t gradient_steps = 0;
  double wall_seconds = 0.0;
  bool finished = false;  // false when stopped by stop_after_steps
  // With `profile: true`: seconds per phase (env, replay, act, forward, backward, optimizer,
  // update_other, target_update, eval, log_checkpoint, other, total), in this order.
  std::vector<std::pair<std::string, double>> profile;
};

TrainResult Train(const TrainOptions& options);

// configs/<algo>/<env>.yaml from the configs directory (BELLMAN_CONFIGS_DIR, next to the
// executable, or the source tree's). Throws bellman::Error listing the presets when missing.
std::string PresetPath(const std::string& algo, const std::string& env);

// Greedy-policy evaluation of a checkpoint (a run directory, its checkpoints/ directory or one
// step_<N> directory) on `episodes` fresh envs seeded seed, seed + 1, ... (default: the run's
// final evaluation seed, so that the last checkpoint reproduces summary.json's final_eval).
// env_args: env kwargs on top of the run's (e.g. another map of a tabular env).
EvalResult EvaluateCheckpoint(const std::string& checkpoint, int episodes,
                              std::optional<uint64_t> seed = std::nullopt,
                              const EnvArgs& env_args = {});

// Plays `episodes` greedy episodes, printing each step's Render() text and each return.
std::vector<double> Enjoy(const std::string& checkpoint, int episodes, std::ostream& out,
                          std::optional<uint64_t> seed = std::nullopt,
                          const EnvArgs& env_args = {});

// A loaded greedy policy (for bellman.load in Python and tools).
struct EvalHooks;  // src/train/evaluate.h

class Policy {
 public:
  explicit Policy(const std::string& checkpoint);
  ~Policy();
  Policy(Policy&&) noexcept;
  Policy& operator=(Policy&&) noexcept;
  // n observations laid out as the env's observation space says -> n action rows laid out as
  // the action space says (int64, or float32[dim] for Box). A NaN observation is an error.
  void Act(const void* obs, int64_t n, void* actions);
  // n rows of the run's exploring actions (its behaviour policy: a Gaussian sample, action
  // noise, epsilon-greedy), drawn from the checkpoint's explore stream: Best-of-N's candidates.
  void Sample(const void* obs, int64_t n, void* actions);
  // Q(s, a), the min over the run's critics, for n observation rows and n float32 action rows
  // (Box algorithms with a critic: iql, cql, td3_bc, td3, sac). Throws bellman::Error naming the
  // algorithm otherwise.
  void QValues(const void* obs, const void* actions, int64_t n, double* q);
  const std::string& algo() const;
  // A stateful policy's (dt) reset/observe hooks for an evaluation loop (src/train/evaluate.h).
  EvalHooks Hooks();
  const std::string& env_id() const;
  // The run's trainer key max_episode_steps (-1: the env's own TimeLimit); eval and enjoy use it.
  int64_t max_episode_steps() const;
  // The run's env kwargs (config key env_kwargs).
  const EnvArgs& env_args() const;
  // The run's periodic evaluation seed (eval env i is seeded eval_seed + i).
  uint64_t eval_seed() const;
  // The run's final evaluation seed (summary.json's final_eval.seed).
  uint64_t final_eval_seed() const;
  const Space& observation_space() const;
  const Space& action_space() const;
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Best-of-N policy extraction (V-GPS, Nakamoto et al. 2024; Digi-Q, Bai et al. 2025): at every
// step, n_candidates actions sampled from `base` (Policy::Sample) per observation, and the one
// with the highest Q of `critic` (Policy::QValues) is played. Evaluated as EvaluateCheckpoint
// does (base's env, TimeLimit and final evaluation seed unless `seed`). Throws bellman::Error
// when the two runs' envs differ, the critic has no Q, or n_candidates < 1.
// BestOfNAct is one such step for m observation rows: row i * n + j of the batched draw is
// candidate j of observation i; ties go to the first best candidate; m float32 action rows out.
void BestOfNAct(Policy& base, Policy& critic, int n_candidates, const void* obs, int64_t m,
                void* actions);
EvalResult EvaluateBestOfN(const std::string& base, const std::string& critic, int n_candidates,
                           int episodes, std::optional<uint64_t> seed = std::nullopt,
                           const EnvArgs& env_args = {});

}  // namespace bellman::train
