// The off-policy training loop: collect -> store -> update -> evaluate -> log -> checkpoint
// (include/bellman/train/train.h, docs/dqn.md).
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bellman/algos/algorithm.h"
#include "bellman/core/config.h"
#include "bellman/core/error.h"
#include "bellman/envs/registry.h"
#include "bellman/envs/vector_env.h"
#include "bellman/io/atomic_file.h"
#include "bellman/io/checksum.h"
#include "bellman/io/csv_logger.h"
#include "bellman/io/progress_bar.h"
#include "bellman/io/tfevents.h"
#include "bellman/nets/threads.h"
#include "bellman/replay/replay_buffer.h"
#include "bellman/train/train.h"

#ifndef BELLMAN_VERSION
#define BELLMAN_VERSION "0.1.0"
#endif

namespace bellman::train {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr int kCheckpointFormat = 1;

// ---- exact text forms for trainer_state.json ---------------------------------------------------

std::string HexDouble(double x) { return fmt::format("{:a}", x); }

double ParseHexDouble(const json& j) {
  const std::string s = j.get<std::string>();
  char* end = nullptr;
  const double x = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) throw Error(fmt::format("bad number '{}'", s));
  return x;
}

std::string HexU128(unsigned __int128 v) {
  return fmt::format("{:016x}{:016x}", static_cast<uint64_t>(v >> 64), static_cast<uint64_t>(v));
}

unsigned __int128 ParseU128(const std::string& s) {
  if (s.size() != 32) throw Error(fmt::format("bad 128-bit value '{}'", s));
  const uint64_t hi = std::stoull(s.substr(0, 16), nullptr, 16);
  const uint64_t lo = std::stoull(s.substr(16), nullptr, 16);
  return (static_cast<unsigned __int128>(hi) << 64) | lo;
}

json RngToJson(const RngState& s) {
  return {{"state", HexU128(s.state)},
          {"inc", HexU128(s.inc)},
          {"has_uint32", s.has_uint32},
          {"uinteger", s.uinteger}};
}

RngState RngFromJson(const json& j) {
  RngState s;
  s.state = ParseU128(j.at("state").get<std::string>());
  s.inc = ParseU128(j.at("inc").get<std::string>());
  s.has_uint32 = j.at("has_uint32").get<bool>();
  s.uinteger = j.at("uinteger").get<uint32_t>();
  return s;
}

std::string BytesHex(const void* data, size_t n) {
  std::string out;
  out.reserve(2 * n);
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", p[i]);
  return out;
}

void HexBytes(const std::string& hex, void* data, size_t n) {
  if (hex.size() != 2 * n) {
    throw Error(fmt::format("expected {} bytes of hex, got {} characters", n, hex.size()));
  }
  auto* p = static_cast<unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    p[i] = static_cast<unsigned char>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
}

// ---- config ------------------------------------------------------------------------------------

bool IsTrainKey(const std::string& key) {
  TrainConfig tc;
  bool found = false;
  auto visit = [&](const char* k, auto&) { found = found || key == k; };
  tc.Fields(visit);
  return found;
}

// Resolves trainer + algorithm config: returns the fully resolved YAML (config.yaml).
YAML::Node Resolve(YAML::Node root, const std::vector<std::string>& overrides, TrainConfig* out) {
  const std::string algo = root["algo"] ? root["algo"].as<std::string>() : "dqn";
  for (const std::string& o : overrides) {
    const std::string key = o.substr(0, o.find_first_of(".="));
    // "lr=1e-3" is short for "dqn.lr=1e-3".
    if (!IsTrainKey(key) && key != algo) {
      ApplyOverride(root, algo + "." + o);
    } else {
      ApplyOverride(root, o);
    }
  }
  YAML::Node trainer_node(YAML::NodeType::Map);
  YAML::Node algo_node;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (key == algo) {
      algo_node = kv.second;
    } else {
      trainer_node[key] = kv.second;
    }
  }
  TrainConfig tc = LoadConfig<TrainConfig>(trainer_node);
  tc.Validate();
  const algos::AlgoRegistration& reg = algos::FindAlgo(tc.algo);
  YAML::Node resolved = DumpConfig(tc);
  resolved[tc.algo] = reg.resolve(algo_node ? algo_node : YAML::Node(YAML::NodeType::Map));
  if (out) *out = tc;
  return resolved;
}

std::string ToYaml(const YAML::Node& node) {
  YAML::Emitter emitter;
  emitter.SetDoublePrecision(17);
  emitter << node;
  return std::string(emitter.c_str()) + "\n";
}

std::string Timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return fmt::format("{:%Y%m%d-%H%M%S}", tm);
}

// The trainer's streams, all from the root seed (DESIGN.md: one root seed, a stream per consumer).
struct Streams {
  uint64_t env_seed;   // train env i is reset with env_seed + i
  uint64_t eval_seed;  // eval env i is reset with eval_seed + i, at every periodic evaluation
  // The final evaluation's env i is reset with final_eval_seed + i: episodes that played no part
  // in the choice to stop (eval_stop_return picks the network that did well on eval_seed's
  // episodes, so re-using them would report a biased number).
  uint64_t final_eval_seed;
  Rng sampler;
  Rng explore;
  Rng net;
};

Streams MakeStreams(int64_t seed) {
  Rng root(static_cast<uint64_t>(seed));
  // Spawn children are numbered (SeedSequence.spawn): children 0-4 are the same as with
  // Spawn(5), so adding child 5 changed no training stream.
  std::vector<Rng> kids = root.Spawn(6);
  Streams s{.env_seed = static_cast<uint64_t>(kids[0].Integers(0, int64_t{1} << 31)),
            .eval_seed = static_cast<uint64_t>(kids[4].Integers(0, int64_t{1} << 31)),
            .final_eval_seed = static_cast<uint64_t>(kids[5].Integers(0, int64_t{1} << 31)),
            .sampler = kids[1],
            .explore = kids[2],
            .net = kids[3]};
  return s;
}

// Wall-clock seconds per phase of the loop (config `profile: true`). Off: no clock reads.
class Phase {
 public:
  explicit Phase(double* acc) : acc_(acc) {
    if (acc_) t0_ = std::chrono::steady_clock::now();
  }
  ~Phase() {
    if (acc_)
      *acc_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }
  Phase(const Phase&) = delete;
  Phase& operator=(const Phase&) = delete;

 private:
  double* acc_;
  std::chrono::steady_clock::time_point t0_;
};

struct LoopProfile {
  double env = 0.0;     // VectorEnv::Step (dynamics, autoreset)
  double replay = 0.0;  // AddStep, Sample, UpdatePriorities
  double act = 0.0;     // acting: one batched forward + epsilon draws
  double update = 0.0;  // Algorithm::Update in total (split by the algorithm's own profile)
  double target = 0.0;  // OnEnvStep (schedules, target network updates)
  double eval = 0.0;    // periodic evaluations
  double io = 0.0;      // progress.csv, TensorBoard, checkpoints
};

EvalResult Summarize(std::vector<double> returns) {
  EvalResult r;
  double sum = 0.0;
  for (double x : returns) sum += x;
  r.mean = returns.empty() ? 0.0 : sum / static_cast<double>(returns.size());
  double ss = 0.0;
  for (double x : returns) ss += (x - r.mean) * (x - r.mean);
  r.std = returns.empty() ? 0.0 : std::sqrt(ss / static_cast<double>(returns.size()));
  r.returns = std::move(returns);
  return r;
}

// Greedy evaluation: `episodes` envs seeded seed + i, one batched forward per step, each env's
// first episode counted.
using ActFn = std::function<void(const void* obs, int64_t n, void* actions)>;

// One step of every env of `vec` with the action rows in `actions` (int64 or float32 rows, as
// the action space says).
void StepWith(VecEnv& vec, const std::vector<std::byte>& actions) {
  const size_t rows = static_cast<size_t>(vec.num_envs());
  if (vec.action_space().kind() == Space::Kind::kDiscrete) {
    vec.Step(std::span<const int64_t>(reinterpret_cast<const int64_t*>(actions.data()), rows));
  } else {
    vec.Step(std::span<const float>(reinterpret_cast<const float*>(actions.data()),
                                    actions.size() / sizeof(float)));
  }
}

// The env kwargs that carry TrainConfig::max_episode_steps (-1: none, the env's own limit).
EnvArgs TimeLimitArgs(int64_t max_episode_steps) {
  if (max_episode_steps < 0) return {};
  return {{"max_episode_steps", max_episode_steps}};
}

EvalResult Evaluate(const ActFn& act, const std::string& env_id, int episodes, uint64_t seed,
                    const EnvArgs& args = {}) {
  VectorEnv vec(env_id, episodes, args);
  vec.Reset(seed);
  std::vector<std::byte> actions(static_cast<size_t>(episodes) * vec.action_bytes());
  std::vector<double> returns(static_cast<size_t>(episodes), 0.0);
  std::vector<uint8_t> done(static_cast<size_t>(episodes), 0);
  int remaining = episodes;
  while (remaining > 0) {
    act(vec.obs_data(), episodes, actions.data());
    StepWith(vec, actions);
    for (int i = 0; i < episodes; ++i) {
      if (!done[i] && vec.has_final_obs()[i]) {
        returns[i] = vec.episode_return()[i];
        done[i] = 1;
        --remaining;
      }
    }
  }
  return Summarize(std::move(returns));
}

// ---- checkpoint files --------------------------------------------------------------------------

void WriteManifest(const fs::path& dir, int64_t step) {
  json files = json::object();
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes = io::ReadFile(entry.path());
    files[entry.path().filename().string()] = {{"bytes", bytes.size()},
                                               {"xxh64", io::ChecksumHex(io::Checksum64(bytes))}};
  }
  json manifest = {{"format", kCheckpointFormat}, {"step", step}, {"files", files}};
  std::ofstream(dir / "manifest.json") << manifest.dump(2) << "\n";
}

// Checks every file named in the manifest before anything is loaded.
void VerifyCheckpoint(const fs::path& dir) {
  const fs::path manifest_path = dir / "manifest.json";
  if (!fs::exists(manifest_path)) {
    throw Error(
        fmt::format("checkpoint {} is incomplete or not a bellman checkpoint: no "
                    "manifest.json",
                    dir.string()));
  }
  json manifest;
  try {
    manifest = json::parse(io::ReadFile(manifest_path));
  } catch (const json::exception& e) {
    throw Error(
        fmt::format("checkpoint {}: manifest.json is corrupt ({})", dir.string(), e.what()));
  }
  if (manifest.value("format", 0) != kCheckpointFormat) {
    throw Error(fmt::format("checkpoint {}: format {}, this build reads format {}", dir.string(),
                            manifest.value("format", 0), kCheckpointFormat));
  }
  for (const auto& [name, info] : manifest.at("files").items()) {
    const fs::path path = dir / name;
    if (!fs::exists(path)) {
      throw Error(fmt::format("checkpoint {}: file {} is missing", dir.string(), name));
    }
    const std::string bytes = io::ReadFile(path);
    const size_t want = info.at("bytes").get<size_t>();
    if (bytes.size() != want) {
      throw Error(
          fmt::format("checkpoint {}: {} is truncated or resized: manifest says {} bytes, "
                      "the file has {}",
                      dir.string(), name, want, bytes.size()));
    }
    const std::string have = io::ChecksumHex(io::Checksum64(bytes));
    if (have != info.at("xxh64").get<std::string>()) {
      throw Error(
          fmt::format("checkpoint {}: {} is corrupt: XXH64 {} in the manifest, {} on "
                      "disk",
                      dir.string(), name, info.at("xxh64").get<std::string>(), have));
    }
  }
}

YAML::Node LoadCheckpointConfig(const fs::path& ckpt) {
  return LoadYamlFile((ckpt / "config.yaml").string());
}

// ---- the run -----------------------------------------------------------------------------------

class Run {
 public:
  Run(const TrainOptions& options, fs::path run_dir, YAML::Node resolved, const TrainConfig& tc)
      : options_(options),
        run_dir_(std::move(run_dir)),
        resolved_(std::move(resolved)),
        tc_(tc),
        streams_(MakeStreams(tc.seed)) {
    // OpenBLAS stays at 1 thread whatever torch_threads says (docs/dqn.md, "Determinism").
    nets::SetNumThreads(tc_.torch_threads, 1);
    std::vector<std::unique_ptr<Env>> envs =
        MakeEnvs(tc_.env, tc_.num_envs, TimeLimitArgs(tc_.max_episode_steps), "VectorEnv");
    for (auto& e : envs) envs_.push_back(e.get());
    vec_ = std::make_unique<VectorEnv>(std::move(envs));
    const algos::AlgoRegistration& reg = algos::FindAlgo(tc_.algo);
    algos::AlgoContext ctx{.env = vec_->spec(),
                           .num_envs = tc_.num_envs,
                           .total_timesteps = tc_.n_timesteps,
                           .net_rng = streams_.net,
                           .explore_rng = streams_.explore,
                           .profile = tc_.profile};
    algo_ = reg.make(resolved_[tc_.algo], std::move(ctx));
    schedule_ = algo_->schedule();
    if (!schedule_.on_policy) {
      buffer_ = std::make_unique<ReplayBuffer>(schedule_.replay, vec_->observation_space(),
                                               vec_->action_space());
    }
    sampler_ = streams_.sampler;
    const size_t n = static_cast<size_t>(tc_.num_envs);
    obs_.resize(n * vec_->obs_bytes());
    actions_.resize(n * vec_->action_bytes());
    running_return_.assign(n, 0.0);
    running_length_.assign(n, 0);
    metric_sums_.assign(algo_->metric_names().size(), 0.0);
    vec_->Reset(streams_.env_seed);
    std::memcpy(obs_.data(), vec_->obs_data(), obs_.size());
  }

  void Resume(const fs::path& ckpt) {
    VerifyCheckpoint(ckpt);
    algo_->Load(ckpt);
    if (buffer_) buffer_->Load((ckpt / "replay.bin").string());
    json s = json::parse(io::ReadFile(ckpt / "trainer_state.json"));
    env_steps_ = s.at("env_steps").get<int64_t>();
    vec_steps_ = s.at("vec_steps").get<int64_t>();
    episodes_ = s.at("episodes").get<int64_t>();
    sampler_.set_state(RngFromJson(s.at("sampler_rng")));
    HexBytes(s.at("obs").get<std::string>(), obs_.data(), obs_.size());
    const json& envs = s.at("envs");
    if (envs.size() != envs_.size()) {
      throw Error(fmt::format("checkpoint {} has {} envs, the config has num_envs {}",
                              ckpt.string(), envs.size(), envs_.size()));
    }
    for (size_t i = 0; i < envs_.size(); ++i) {
      const json& e = envs[i];
      std::vector<double> state;
      for (const auto& x : e.at("state")) state.push_back(ParseHexDouble(x));
      envs_[i]->SetState(state);
      envs_[i]->set_elapsed_steps(e.at("elapsed_steps").get<int64_t>());
      Rng rng;
      rng.set_state(RngFromJson(e.at("rng")));
      envs_[i]->set_np_random(rng);
      running_return_[i] = ParseHexDouble(e.at("running_return"));
      running_length_[i] = e.at("running_length").get<int64_t>();
    }
    recent_returns_.clear();
    recent_lengths_.clear();
    for (const auto& x : s.at("recent_returns")) recent_returns_.push_back(ParseHexDouble(x));
    for (const auto& x : s.at("recent_lengths")) recent_lengths_.push_back(x.get<int64_t>());
    for (size_t k = 0; k < metric_sums_.size(); ++k) {
      metric_sums_[k] = ParseHexDouble(s.at("metric_sums").at(k));
    }
    metric_count_ = s.at("metric_count").get<int64_t>();
    wall_before_ = s.at("wall_seconds").get<double>();
    last_eval_ = s.contains("last_eval_mean") ? ParseHexDouble(s.at("last_eval_mean")) : NAN;
    resumed_from_ = env_steps_;
  }

  TrainResult Loop() {
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    std::vector<std::string> columns = {"env_steps", "episodes", "ep_return_mean",
                                        "ep_length_mean"};
    for (const auto& m : algo_->metric_names()) columns.push_back(m);
    for (const auto& [name, value] : algo_->Stats()) columns.push_back(name);
    columns.push_back("eval_return_mean");
    columns.push_back("eval_return_std");
    io::CsvLogger csv(run_dir_ / "progress.csv", columns);
    if (resumed_from_ >= 0) csv.DropRowsAfter("env_steps", static_cast<double>(resumed_from_));
    io::TfEventsWriter tb(run_dir_);
    if (resumed_from_ >= 0) tb.MarkRestart(resumed_from_ + 1);
    io::CheckpointStore store(run_dir_ / "checkpoints", tc_.keep_checkpoints);
    std::optional<io::ProgressBar> bar;
    if (options_.progress) {
      bar.emplace(io::ProgressBar::ForStdout(tc_.n_timesteps, std::max<int64_t>(env_steps_, 0)));
    }

    const int n = tc_.num_envs;
    Batch batch;
    bool stop = false;
    TrainResult result;
    result.run_dir = run_dir_.string();
    auto crossed = [&](int64_t interval) {
      return interval > 0 && env_steps_ / interval != (env_steps_ - n) / interval;
    };
    while (env_steps_ < tc_.n_timesteps && !stop) {
      // Collect one vector step with the exploring policy and store it.
      {
        Phase p(P(&LoopProfile::act));
        algo_->Act(obs_.data(), n, /*explore=*/true, actions_.data());
      }
      {
        Phase p(P(&LoopProfile::env));
        StepWith(*vec_, actions_);
      }
      TransitionRows rows{.n = n,
                          .obs = obs_.data(),
                          .action = actions_.data(),
                          .reward = vec_->rewards().data(),
                          .next_obs = vec_->obs_data(),
                          .terminated = vec_->terminated().data(),
                          .truncated = vec_->truncated().data(),
                          .final_obs = vec_->final_obs_data(),
                          .has_final_obs = vec_->has_final_obs().data()};
      bool rollout_full = false;  // on-policy: the algorithm's rollout is complete
      {
        Phase p(P(&LoopProfile::replay));
        if (buffer_) {
          buffer_->AddStep(rows);
        } else {
          rollout_full = algo_->Observe(rows);
        }
      }
      std::memcpy(obs_.data(), vec_->obs_data(), obs_.size());
      env_steps_ += n;
      ++vec_steps_;
      for (int i = 0; i < n; ++i) {
        running_return_[i] += vec_->rewards()[i];
        ++running_length_[i];
        if (vec_->has_final_obs()[i]) {
          ++episodes_;
          recent_returns_.push_back(running_return_[i]);
          recent_lengths_.push_back(running_length_[i]);
          if (recent_returns_.size() > 100) {
            recent_returns_.pop_front();
            recent_lengths_.pop_front();
          }
          if (bar) bar->SetEpisodeReturn(running_return_[i]);
          running_return_[i] = 0.0;
          running_length_[i] = 0;
        }
      }
      {
        Phase p(P(&LoopProfile::target));
        algo_->OnEnvStep(env_steps_);
      }
      if (buffer_) buffer_->set_step(env_steps_);

      if (rollout_full) {
        // On-policy: one Update trains on the whole rollout (several epochs inside).
        Phase p(P(&LoopProfile::update));
        AddMetrics(algo_->Update(batch));
      }
      // Update: every train_freq vector steps once past learning_starts (SB3's semantics).
      if (buffer_ && vec_steps_ % schedule_.train_freq == 0 &&
          env_steps_ > schedule_.learning_starts) {
        const int64_t g =
            schedule_.gradient_steps >= 0 ? schedule_.gradient_steps : schedule_.train_freq * n;
        for (int64_t k = 0; k < g; ++k) {
          {
            Phase p(P(&LoopProfile::replay));
            buffer_->Sample(schedule_.batch_size, sampler_, batch);
          }
          algos::Metrics m;
          {
            Phase p(P(&LoopProfile::update));
            m = algo_->Update(batch);
          }
          if (buffer_->prioritized()) {
            Phase p(P(&LoopProfile::replay));
            buffer_->UpdatePriorities(batch.indices(), algo_->td_errors());
          }
          AddMetrics(m);
        }
      }

      // Evaluate, log, checkpoint.
      std::optional<EvalResult> eval;
      if (crossed(tc_.eval_freq)) {
        Phase p(P(&LoopProfile::eval));
        eval = Evaluate(Greedy(), tc_.env, tc_.eval_episodes, streams_.eval_seed,
                        TimeLimitArgs(tc_.max_episode_steps));
        last_eval_ = eval->mean;
        if (bar) bar->SetSuffix(fmt::format("eval {:.1f}", eval->mean));
        if (tc_.eval_stop_return != 0.0 && eval->mean >= tc_.eval_stop_return) stop = true;
      }
      const bool last = env_steps_ >= tc_.n_timesteps || stop;
      {
        Phase p(P(&LoopProfile::io));
        if (crossed(tc_.log_interval) || eval || last) Log(csv, tb, eval, columns, elapsed());
        if (crossed(tc_.checkpoint_freq) || last) Checkpoint(store, elapsed());
      }
      if (bar) bar->Update(env_steps_);
      if (options_.stop_after_steps > 0 && env_steps_ >= options_.stop_after_steps && !last) {
        if (bar) bar->Finish();
        result.env_steps = env_steps_;
        result.finished = false;
        return result;
      }
    }
    if (bar) bar->Finish();
    const double train_seconds = elapsed();
    result.final_eval = Evaluate(Greedy(), tc_.env, tc_.final_eval_episodes,
                                 streams_.final_eval_seed, TimeLimitArgs(tc_.max_episode_steps));
    result.final_eval.seed = streams_.final_eval_seed;
    result.final_eval_seed = streams_.final_eval_seed;
    result.last_eval = last_eval_;
    result.env_steps = env_steps_;
    for (const auto& [name, value] : algo_->Stats()) {
      if (name == "gradient_steps") result.gradient_steps = static_cast<int64_t>(value);
    }
    result.wall_seconds = wall_before_ + elapsed();
    result.finished = true;
    if (tc_.profile) result.profile = ProfileTable(train_seconds);
    json summary = {{"algo", tc_.algo},
                    {"env", tc_.env},
                    {"seed", tc_.seed},
                    {"version", BELLMAN_VERSION},
                    {"env_steps", result.env_steps},
                    {"gradient_steps", result.gradient_steps},
                    {"episodes", episodes_},
                    {"wall_seconds", result.wall_seconds},
                    {"final_eval",
                     {{"episodes", tc_.final_eval_episodes},
                      {"seed", result.final_eval_seed},
                      {"mean", result.final_eval.mean},
                      {"std", result.final_eval.std},
                      {"returns", result.final_eval.returns}}}};
    // The last periodic evaluation (eval_seed's episodes; the one eval_stop_return looked at).
    if (!std::isnan(last_eval_)) summary["last_periodic_eval_mean"] = last_eval_;
    if (tc_.profile) {
      json profile = json::object();
      for (const auto& [name, seconds] : result.profile) profile[name] = seconds;
      summary["profile_seconds"] = profile;
    }
    io::WriteFileAtomic(run_dir_ / "summary.json", summary.dump(2) + "\n");
    return result;
  }

 private:
  // The accumulator of one phase, or nullptr (no clock reads) when profiling is off.
  double* P(double LoopProfile::*field) { return tc_.profile ? &(profile_.*field) : nullptr; }

  // Seconds per phase of this process's training (resumed runs: since the resume), the
  // algorithm's split of `update` in place of it, and what no timer covered.
  std::vector<std::pair<std::string, double>> ProfileTable(double train_seconds) const {
    std::vector<std::pair<std::string, double>> t = {
        {"env", profile_.env}, {"replay", profile_.replay}, {"act", profile_.act}};
    const algos::Metrics split = algo_->ProfileSeconds();
    double split_sum = 0.0;
    for (const auto& [name, s] : split) {
      if (name == "target_update") continue;  // inside OnEnvStep, reported as target_update
      t.emplace_back(name, s);
      split_sum += s;
    }
    // Update's own overhead outside the algorithm's timed phases (tensor wrapping, metrics).
    t.emplace_back(split.empty() ? "update" : "update_other", profile_.update - split_sum);
    t.emplace_back("target_update", profile_.target);
    t.emplace_back("eval", profile_.eval);
    t.emplace_back("log_checkpoint", profile_.io);
    double covered = 0.0;
    for (const auto& [name, s] : t) covered += s;
    t.emplace_back("other", train_seconds - covered);
    t.emplace_back("total", train_seconds);
    return t;
  }

  // One Update's metrics into the sums that the next log line averages.
  void AddMetrics(const algos::Metrics& m) {
    for (size_t j = 0; j < m.size() && j < metric_sums_.size(); ++j) {
      metric_sums_[j] += m[j].second;
    }
    ++metric_count_;
  }

  ActFn Greedy() {
    return [this](const void* obs, int64_t n, void* a) { algo_->Act(obs, n, false, a); };
  }

  void Log(io::CsvLogger& csv, io::TfEventsWriter& tb, const std::optional<EvalResult>& eval,
           const std::vector<std::string>& columns, double elapsed) {
    std::vector<io::CsvValue> row;
    row.emplace_back(env_steps_);
    row.emplace_back(episodes_);
    auto mean_or_empty = [](const auto& xs) -> io::CsvValue {
      if (xs.empty()) return std::monostate{};
      double s = 0.0;
      for (auto x : xs) s += static_cast<double>(x);
      return s / static_cast<double>(xs.size());
    };
    row.push_back(mean_or_empty(recent_returns_));
    row.push_back(mean_or_empty(recent_lengths_));
    for (double s : metric_sums_) {
      if (metric_count_ > 0) {
        row.emplace_back(s / static_cast<double>(metric_count_));
      } else {
        row.emplace_back(std::monostate{});
      }
    }
    for (const auto& [name, value] : algo_->Stats()) row.emplace_back(value);
    if (eval) {
      row.emplace_back(eval->mean);
      row.emplace_back(eval->std);
    } else {
      row.emplace_back(std::monostate{});
      row.emplace_back(std::monostate{});
    }
    csv.Log(row);
    std::vector<std::pair<std::string, double>> scalars;
    for (size_t k = 1; k < columns.size(); ++k) {
      if (const double* v = std::get_if<double>(&row[k])) scalars.emplace_back(columns[k], *v);
    }
    const int64_t steps_here = env_steps_ - std::max<int64_t>(resumed_from_, 0);
    if (elapsed > 0) scalars.emplace_back("fps", static_cast<double>(steps_here) / elapsed);
    tb.AddScalars(env_steps_, scalars);
    tb.Flush();
    std::fill(metric_sums_.begin(), metric_sums_.end(), 0.0);
    metric_count_ = 0;
  }

  void Checkpoint(io::CheckpointStore& store, double elapsed) {
    store.Save(env_steps_, [&](const fs::path& dir) {
      algo_->Save(dir);
      if (buffer_) buffer_->Save((dir / "replay.bin").string());
      json envs = json::array();
      for (size_t i = 0; i < envs_.size(); ++i) {
        json state = json::array();
        for (double x : envs_[i]->GetState()) state.push_back(HexDouble(x));
        envs.push_back({{"state", state},
                        {"elapsed_steps", envs_[i]->elapsed_steps()},
                        {"rng", RngToJson(envs_[i]->np_random().state())},
                        {"running_return", HexDouble(running_return_[i])},
                        {"running_length", running_length_[i]}});
      }
      json recent_returns = json::array(), metric_sums = json::array();
      for (double x : recent_returns_) recent_returns.push_back(HexDouble(x));
      for (double x : metric_sums_) metric_sums.push_back(HexDouble(x));
      json s = {{"env_steps", env_steps_},
                {"vec_steps", vec_steps_},
                {"episodes", episodes_},
                {"sampler_rng", RngToJson(sampler_.state())},
                {"obs", BytesHex(obs_.data(), obs_.size())},
                {"envs", envs},
                {"recent_returns", recent_returns},
                {"recent_lengths", recent_lengths_},
                {"metric_sums", metric_sums},
                {"metric_count", metric_count_},
                {"wall_seconds", wall_before_ + elapsed}};
      if (!std::isnan(last_eval_)) s["last_eval_mean"] = HexDouble(last_eval_);
      std::ofstream(dir / "trainer_state.json") << s.dump(1) << "\n";
      std::ofstream(dir / "config.yaml") << ToYaml(resolved_);
      WriteManifest(dir, env_steps_);
    });
  }

  TrainOptions options_;
  fs::path run_dir_;
  YAML::Node resolved_;
  TrainConfig tc_;
  Streams streams_;
  std::vector<Env*> envs_;  // owned by vec_; SetState on resume only
  std::unique_ptr<VectorEnv> vec_;
  std::unique_ptr<algos::OffPolicyAlgorithm> algo_;
  algos::OffPolicySchedule schedule_;
  std::unique_ptr<ReplayBuffer> buffer_;
  Rng sampler_;
  std::vector<std::byte> obs_;      // observations the next actions are chosen from
  std::vector<std::byte> actions_;  // num_envs action rows (int64 or float32[dim])
  std::vector<double> running_return_;
  std::vector<int64_t> running_length_;
  std::deque<double> recent_returns_;
  std::deque<int64_t> recent_lengths_;
  std::vector<double> metric_sums_;
  int64_t metric_count_ = 0;
  int64_t env_steps_ = 0;
  int64_t vec_steps_ = 0;
  int64_t episodes_ = 0;
  int64_t resumed_from_ = -1;
  double wall_before_ = 0.0;
  double last_eval_ = NAN;
  LoopProfile profile_;
};

fs::path FindConfigsDir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("BELLMAN_CONFIGS_DIR")) candidates.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "configs");
    candidates.push_back(exe.parent_path().parent_path() / "configs");
    candidates.push_back(exe.parent_path().parent_path() / "share" / "bellman" / "configs");
  }
  candidates.emplace_back("configs");
#ifdef BELLMAN_SOURCE_DIR
  candidates.push_back(fs::path(BELLMAN_SOURCE_DIR) / "configs");
#endif
  for (const auto& c : candidates) {
    if (fs::is_directory(c / "dqn")) return c;
  }
  throw Error("cannot find the configs/ directory of presets; set BELLMAN_CONFIGS_DIR");
}

// An action row as text: "2" for Discrete, "[0.5, -1]" for Box.
std::string ActionText(const Space& space, const std::vector<std::byte>& action) {
  if (space.kind() == Space::Kind::kDiscrete) {
    return fmt::format("{}", *reinterpret_cast<const int64_t*>(action.data()));
  }
  const auto* a = reinterpret_cast<const float*>(action.data());
  return fmt::format("[{}]", fmt::join(a, a + space.flat_size(), ", "));
}

std::string SlashesToUnderscores(std::string s) {
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

}  // namespace

void TrainConfig::Validate() const {
  auto check = [](bool ok, const std::string& msg) {
    if (!ok) throw Error(msg);
  };
  check(n_timesteps >= 1, fmt::format("n_timesteps must be >= 1, got {}", n_timesteps));
  check(num_envs >= 1, fmt::format("num_envs must be >= 1, got {}", num_envs));
  check(eval_freq >= 0, fmt::format("eval_freq must be >= 0, got {}", eval_freq));
  check(eval_episodes >= 1, fmt::format("eval_episodes must be >= 1, got {}", eval_episodes));
  check(final_eval_episodes >= 1,
        fmt::format("final_eval_episodes must be >= 1, got {}", final_eval_episodes));
  check(log_interval >= 1, fmt::format("log_interval must be >= 1, got {}", log_interval));
  check(checkpoint_freq >= 0, fmt::format("checkpoint_freq must be >= 0, got {}", checkpoint_freq));
  check(keep_checkpoints >= 0,
        fmt::format("keep_checkpoints must be >= 0, got {}", keep_checkpoints));
  check(torch_threads >= 1, fmt::format("torch_threads must be >= 1, got {}", torch_threads));
  check(seed >= 0, fmt::format("seed must be >= 0, got {}", seed));
  check(max_episode_steps >= -1,
        fmt::format("max_episode_steps must be -1 (the env's own), 0 (none) or > 0, got {}",
                    max_episode_steps));
}

std::string PresetPath(const std::string& algo, const std::string& env) {
  const fs::path dir = FindConfigsDir();
  fs::path path = dir / algo / (env + ".yaml");
  // A family preset (configs/<algo>/MinAtar.yaml) serves every id of the family
  // ("MinAtar/<Game>-v1") that has no preset of its own.
  if (const size_t slash = env.find('/'); !fs::exists(path) && slash != std::string::npos) {
    const fs::path family = dir / algo / (env.substr(0, slash) + ".yaml");
    if (fs::exists(family)) path = family;
  }
  if (!fs::exists(path)) {
    std::vector<std::string> presets;
    if (fs::is_directory(dir / algo)) {
      for (const auto& e : fs::directory_iterator(dir / algo)) {
        presets.push_back(e.path().stem().string());
      }
    }
    std::sort(presets.begin(), presets.end());
    throw Error(
        fmt::format("no preset {} for algo '{}' and env '{}'; presets: {} (or pass "
                    "--config FILE)",
                    path.string(), algo, env, fmt::join(presets, ", ")));
  }
  return path.string();
}

TrainResult Train(const TrainOptions& options) {
  TrainConfig tc;
  YAML::Node resolved;
  fs::path run_dir;
  std::optional<fs::path> resume_ckpt;
  if (!options.resume.empty()) {
    resume_ckpt = io::ResolveCheckpoint(options.resume);
    run_dir = resume_ckpt->parent_path().parent_path();
    resolved = Resolve(LoadYamlFile((run_dir / "config.yaml").string()), options.overrides, &tc);
  } else {
    const std::string path =
        options.config_path.empty() ? PresetPath(options.algo, options.env) : options.config_path;
    YAML::Node root = LoadYamlFile(path);
    root["algo"] = options.algo;
    if (!options.env.empty()) root["env"] = options.env;
    if (options.seed) root["seed"] = *options.seed;
    resolved = Resolve(root, options.overrides, &tc);
    run_dir = options.run_dir.empty()
                  ? fs::path(options.runs_root) /
                        // "MinAtar/Breakout-v1" -> "MinAtar_Breakout-v1": one directory level.
                        fmt::format("{}-{}-{}-{}", tc.algo, SlashesToUnderscores(tc.env), tc.seed,
                                    Timestamp())
                  : fs::path(options.run_dir);
    if (fs::exists(run_dir / "checkpoints")) {
      throw Error(
          fmt::format("run directory {} already holds a run; use --resume {} to continue "
                      "it, or another --run-dir",
                      run_dir.string(), run_dir.string()));
    }
    fs::create_directories(run_dir);
  }
  io::WriteFileAtomic(run_dir / "config.yaml", ToYaml(resolved));
  Run run(options, run_dir, resolved, tc);
  if (resume_ckpt) run.Resume(*resume_ckpt);
  TrainResult r = run.Loop();
  if (options.verbose && r.finished) {
    if (!r.profile.empty()) {
      const double total = r.profile.back().second;
      std::cout << "profile (seconds, share of training wall time):\n";
      for (const auto& [name, s] : r.profile) {
        std::cout << fmt::format("  {:<16} {:9.3f} s {:6.1f}%\n", name, s,
                                 total > 0 ? 100.0 * s / total : 0.0);
      }
    }
    std::cout << fmt::format(
                     "final evaluation over {} episodes (seeds {}..{}, unseen by training and "
                     "by the periodic evaluations): {:.2f} +/- {:.2f}\n",
                     r.final_eval.returns.size(), r.final_eval_seed,
                     r.final_eval_seed + r.final_eval.returns.size() - 1, r.final_eval.mean,
                     r.final_eval.std)
              << fmt::format("run directory: {}\n", r.run_dir) << std::flush;
  }
  return r;
}

// ---- loading a trained policy ------------------------------------------------------------------

struct Policy::Impl {
  TrainConfig tc;
  std::unique_ptr<algos::OffPolicyAlgorithm> algo;
  EnvSpec spec;
  uint64_t eval_seed = 0;
  uint64_t final_eval_seed = 0;
};

Policy::Policy(const std::string& checkpoint) : impl_(std::make_unique<Impl>()) {
  const fs::path ckpt = io::ResolveCheckpoint(checkpoint);
  VerifyCheckpoint(ckpt);
  YAML::Node resolved = Resolve(LoadCheckpointConfig(ckpt), {}, &impl_->tc);
  nets::SetNumThreads(impl_->tc.torch_threads, 1);
  impl_->spec = MakeEnv(impl_->tc.env)->spec();
  Streams streams = MakeStreams(impl_->tc.seed);
  impl_->eval_seed = streams.eval_seed;
  impl_->final_eval_seed = streams.final_eval_seed;
  impl_->algo = algos::FindAlgo(impl_->tc.algo)
                    .make(resolved[impl_->tc.algo],
                          algos::AlgoContext{.env = impl_->spec,
                                             .num_envs = impl_->tc.num_envs,
                                             .total_timesteps = impl_->tc.n_timesteps,
                                             .net_rng = streams.net,
                                             .explore_rng = streams.explore});
  impl_->algo->Load(ckpt);
}

Policy::~Policy() = default;
Policy::Policy(Policy&&) noexcept = default;
Policy& Policy::operator=(Policy&&) noexcept = default;

void Policy::Act(const void* obs, int64_t n, void* actions) {
  impl_->algo->Act(obs, n, /*explore=*/false, actions);
}

const std::string& Policy::env_id() const { return impl_->tc.env; }

int64_t Policy::max_episode_steps() const { return impl_->tc.max_episode_steps; }

uint64_t Policy::eval_seed() const { return impl_->eval_seed; }

uint64_t Policy::final_eval_seed() const { return impl_->final_eval_seed; }

const Space& Policy::observation_space() const { return impl_->spec.observation_space; }

const Space& Policy::action_space() const { return impl_->spec.action_space; }

EvalResult EvaluateCheckpoint(const std::string& checkpoint, int episodes,
                              std::optional<uint64_t> seed) {
  if (episodes < 1) throw Error(fmt::format("--episodes must be >= 1, got {}", episodes));
  Policy policy(checkpoint);
  const uint64_t base = seed.value_or(policy.final_eval_seed());
  EvalResult r =
      Evaluate([&](const void* obs, int64_t n, void* a) { policy.Act(obs, n, a); }, policy.env_id(),
               episodes, base, TimeLimitArgs(policy.max_episode_steps()));
  r.seed = base;
  return r;
}

std::vector<double> Enjoy(const std::string& checkpoint, int episodes, std::ostream& out,
                          std::optional<uint64_t> seed) {
  if (episodes < 1) throw Error(fmt::format("--episodes must be >= 1, got {}", episodes));
  Policy policy(checkpoint);
  // The run's TimeLimit (trainer key max_episode_steps), as its own evaluations used.
  std::unique_ptr<Env> env = MakeEnv(policy.env_id(), TimeLimitArgs(policy.max_episode_steps()));
  std::vector<std::byte> obs(env->observation_space().byte_size());
  std::vector<std::byte> action(env->action_space().byte_size());
  std::vector<double> returns;
  const uint64_t base = seed.value_or(policy.final_eval_seed());
  for (int ep = 0; ep < episodes; ++ep) {
    env->Reset(base + static_cast<uint64_t>(ep), obs.data());
    out << fmt::format("== episode {} (seed {})\n", ep + 1, base + static_cast<uint64_t>(ep));
    out << env->Render() << "\n";
    double ret = 0.0;
    int64_t t = 0;
    while (true) {
      policy.Act(obs.data(), 1, action.data());
      StepResult r = env->Step(action.data(), obs.data());
      ret += r.reward;
      ++t;
      out << fmt::format("step {} action {} reward {}\n", t,
                         ActionText(env->action_space(), action), r.reward);
      out << env->Render() << "\n";
      if (r.terminated || r.truncated) break;
    }
    out << fmt::format("episode {} return {} ({} steps)\n", ep + 1, ret, t) << std::flush;
    returns.push_back(ret);
  }
  return returns;
}

}  // namespace bellman::train
