// A run: the envs, the algorithm and its Learner, the episode bookkeeping, periodic evaluation,
// progress.csv / TensorBoard, checkpoints and resume; and Train(), the entry point of
// `bellman train` (bellman/train/train.h). The per-step storage and update rules are the
// Learner's (off_policy.cpp, on_policy.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "bellman/algos/algorithm.h"
#include "bellman/core/config.h"
#include "bellman/core/error.h"
#include "bellman/core/validate.h"
#include "bellman/envs/env_args.h"
#include "bellman/envs/registry.h"
#include "bellman/envs/vector_env.h"
#include "bellman/io/atomic_file.h"
#include "bellman/io/csv_logger.h"
#include "bellman/io/dataset.h"
#include "bellman/io/progress_bar.h"
#include "bellman/io/tfevents.h"
#include "bellman/nets/threads.h"
#include "bellman/train/train.h"
#include "train/apex.h"
#include "train/checkpoint_state.h"
#include "train/evaluate.h"
#include "train/loop.h"
#include "train/recorder.h"
#include "train/run_config.h"

#ifndef BELLMAN_VERSION
#define BELLMAN_VERSION "0.1.0"
#endif

namespace bellman::train {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Rank r of a data-parallel or Ape-X run keeps rank 0's network stream (the same initial parameters
// on every rank) and evaluation seeds, and gets its own env seeds (env_seed + r * num_envs: the
// ranks' envs are seeded as one vector env of world_size * num_envs) and its own replay-sampling
// and exploration streams (child r - 1 of rank 0's). Rank 0's streams are the single-process ones.
Streams RankStreams(const TrainConfig& tc, int rank) {
  Streams s = MakeStreams(tc.seed);
  if (rank == 0) return s;
  const auto r = static_cast<size_t>(rank);
  Rng sampler = s.sampler, explore = s.explore;
  s.sampler = sampler.Spawn(r).back();
  s.explore = explore.Spawn(r).back();
  s.env_seed += static_cast<uint64_t>(r) * static_cast<uint64_t>(tc.num_envs);
  return s;
}

class Run {
 public:
  Run(const TrainOptions& options, fs::path run_dir, YAML::Node resolved, const TrainConfig& tc,
      std::unique_ptr<io::Dataset> dataset, Collective* group, KeyValueStore* store)
      : options_(options),
        run_dir_(std::move(run_dir)),
        resolved_(std::move(resolved)),
        tc_(tc),
        group_(group),
        store_(store),
        streams_(RankStreams(tc, options.world_size > 1 ? options.rank : 0)),
        dataset_(std::move(dataset)) {
    // OpenBLAS stays at 1 thread whatever torch_threads says (docs/dqn.md, "Determinism").
    nets::SetNumThreads(tc_.torch_threads, 1);
    std::vector<std::unique_ptr<Env>> envs =
        MakeEnvs(tc_.env, tc_.num_envs, RunEnvArgs(tc_), "VectorEnv");
    for (auto& e : envs) envs_.push_back(e.get());
    vec_ = std::make_unique<VectorEnv>(std::move(envs));
    const algos::AlgoRegistration& reg = algos::FindAlgo(tc_.algo);
    algos::AlgoContext ctx{.env = vec_->spec(),
                           .num_envs = tc_.num_envs,
                           .total_timesteps = tc_.n_timesteps,
                           .net_rng = streams_.net,
                           .explore_rng = streams_.explore,
                           .profile = tc_.profile,
                           .collective = group_,
                           .dist_check_interval = tc_.dist.check_interval};
    if (offline()) {
      ObservationStats(*dataset_, ctx.dataset_obs_mean, ctx.dataset_obs_std);
      ctx.dataset = dataset_.get();
    }
    algo_ = reg.make(resolved_[tc_.algo], std::move(ctx));
    sampler_ = streams_.sampler;
    LoopProfile* profile = tc_.profile ? &profile_ : nullptr;
    if (auto* seq = dynamic_cast<algos::SequenceAlgorithm*>(algo_.get())) {
      if (!offline()) {
        throw Error(
            fmt::format("algorithm '{}' learns from a dataset's trajectories; give "
                        "--dataset DIR",
                        tc_.algo));
      }
      learner_ = MakeSequenceLearner(*seq, profile);
    } else if (offline()) {
      auto* off = dynamic_cast<algos::OffPolicyAlgorithm*>(algo_.get());
      if (off == nullptr) {
        throw Error(fmt::format("algorithm '{}' learns on-policy and cannot train from a dataset",
                                tc_.algo));
      }
      learner_ =
          MakeOfflineLearner(*off, *dataset_, vec_->spec().max_episode_steps, sampler_, profile);
    } else if (auto* on = dynamic_cast<algos::OnPolicyAlgorithm*>(algo_.get())) {
      learner_ = MakeOnPolicyLearner(*on, profile);
    } else if (auto* off = dynamic_cast<algos::OffPolicyAlgorithm*>(algo_.get())) {
      if (store_ != nullptr) StartApex(*off);
      if (off->schedule().normalize_reward) {
        throw Error(
            fmt::format("{}.normalize_reward scales a dataset's rewards and needs "
                        "--dataset; this run is online",
                        tc_.algo));
      }
      learner_ = MakeOffPolicyLearner(*off, off->schedule(), vec_->observation_space(),
                                      vec_->action_space(), tc_.num_envs, sampler_, profile);
    } else {
      throw Error(fmt::format("algorithm '{}' is neither off-policy nor on-policy", tc_.algo));
    }
    if (store_ != nullptr && apex_actor_ == nullptr && apex_learner_ == nullptr) {
      throw Error(
          fmt::format("dist.mode apex runs the DQN family's off-policy learning; '{}' cannot (use "
                      "dist.mode data_parallel)",
                      tc_.algo));
    }
    const size_t n = static_cast<size_t>(tc_.num_envs);
    obs_.resize(n * vec_->obs_bytes());
    actions_.resize(n * vec_->action_bytes());
    running_return_.assign(n, 0.0);
    running_length_.assign(n, 0);
    metric_sums_.assign(algo_->metric_names().size(), 0.0);
    vec_->Reset(streams_.env_seed);
    std::memcpy(obs_.data(), vec_->obs_data(), obs_.size());
    if (!options_.record_dataset.empty()) {
      io::DatasetMetadata meta;
      std::string id_env = tc_.env;
      std::replace(id_env.begin(), id_env.end(), '/', '-');
      meta.dataset_id = fmt::format("bellman/{}-{}-replay-v0", id_env, tc_.algo);
      meta.env_id = tc_.env;
      meta.env_spec_json = EnvSpecJson(vec_->spec());
      meta.max_episode_steps = vec_->spec().max_episode_steps;
      meta.algorithm_name = fmt::format("{} (every transition of its training run)", tc_.algo);
      meta.author = "bellman train --record-dataset";
      meta.description =
          fmt::format("the replay of bellman train --algo {} --env {} --seed {}: {} env steps",
                      tc_.algo, tc_.env, tc_.seed, tc_.n_timesteps);
      recorder_ = std::make_unique<TransitionRecorder>(
          vec_->observation_space(), vec_->action_space(), tc_.num_envs, meta, obs_.data());
    }
  }

  void Resume(const fs::path& ckpt) {
    VerifyCheckpointOrPointBack(ckpt, "bellman train --resume");
    LoadAlgorithmState(*algo_, tc_.algo, ckpt);
    learner_->Load(ckpt);
    json s = json::parse(io::ReadFile(ckpt / "trainer_state.json"));
    if (offline()) {
      const int64_t steps = s.value("dataset_steps", int64_t{-1});
      const int64_t episodes = s.value("dataset_episodes", int64_t{-1});
      if (steps != dataset_->total_steps() || episodes != dataset_->num_episodes()) {
        throw Error(fmt::format(
            "checkpoint {} was trained on a dataset of {} steps in {} episodes; {} now holds {} "
            "steps in {} episodes",
            ckpt.string(), steps, episodes, tc_.dataset, dataset_->total_steps(),
            dataset_->num_episodes()));
      }
    }
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
    apex_pending_ = s.value("apex_pending_env_steps", int64_t{0});
    wall_before_ = s.at("wall_seconds").get<double>();
    last_eval_ = s.contains("last_eval_mean") ? ParseHexDouble(s.at("last_eval_mean")) : NAN;
    resumed_from_ = env_steps_;
  }

  // Ape-X, once the run is built (and resumed): the learner publishes its run directory and
  // parameters; an actor waits for the parameters.
  void Announce() {
    if (apex_learner_) {
      apex_learner_->PublishRunDir(run_dir_.string());
      apex_learner_->PublishParams(algos::SaveParams(*algo_));
      published_at_ = updates_;
    }
    if (apex_actor_) apex_actor_->SyncParams(*algo_, /*wait=*/true);
  }

  // Every rank starts (or resumes) at the same step: a rank whose newest checkpoint is older
  // (a crash while the others wrote theirs) cannot rejoin the others' updates.
  void AgreeOnStep(bool resumed) {
    int64_t lo = env_steps_, hi = env_steps_;
    group_->AllReduceMin(&lo, 1);
    group_->AllReduceMax(&hi, 1);
    if (lo != hi) {
      throw Error(fmt::format(
          "rank {} {} at step {}, but another rank is at step {}; resume every rank from a "
          "checkpoint of the same step (delete the newer checkpoints/step_<N> of the ranks "
          "ahead)",
          group_->rank(), resumed ? "resumed" : "starts", env_steps_, lo == env_steps_ ? hi : lo));
    }
  }

  TrainResult Loop() {
    const auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    // Offline, the loop's step is a gradient step and no training episodes are played.
    std::vector<std::string> columns = {offline() ? "train_steps" : "env_steps", "episodes",
                                        "ep_return_mean", "ep_length_mean"};
    for (const auto& m : algo_->metric_names()) columns.push_back(m);
    for (const auto& [name, value] : algo_->Stats()) columns.push_back(name);
    columns.push_back("eval_return_mean");
    columns.push_back("eval_return_std");
    if (normalized()) columns.push_back("eval_normalized_score");
    io::CsvLogger csv(run_dir_ / "progress.csv", columns);
    if (resumed_from_ >= 0) csv.DropRowsAfter(columns[0], static_cast<double>(resumed_from_));
    io::TfEventsWriter tb(run_dir_);
    if (resumed_from_ >= 0) tb.MarkRestart(resumed_from_ + 1);
    io::CheckpointStore store(run_dir_ / "checkpoints", tc_.keep_checkpoints);
    std::optional<io::ProgressBar> bar;
    if (options_.progress) {
      bar.emplace(io::ProgressBar::ForStdout(tc_.n_timesteps, std::max<int64_t>(env_steps_, 0)));
    }

    const int n = offline() ? 1 : tc_.num_envs;
    bool stop = false;
    TrainResult result;
    result.run_dir = run_dir_.string();
    auto crossed = [&](int64_t interval) {
      return interval > 0 && env_steps_ / interval != (env_steps_ - n) / interval;
    };
    const AddMetricsFn add = [this](const algos::Metrics& m) { AddMetrics(m); };
    // An Ape-X actor runs until its learner says stop, whatever n_timesteps says.
    while ((env_steps_ < tc_.n_timesteps || apex_actor_) && !stop) {
      // Collect one vector step with the exploring policy and store it (online only); an Ape-X
      // learner reads the actors' transitions instead.
      if (apex_learner_) {
        Phase p(P(&LoopProfile::env));
        IngestStep();
      } else if (!offline()) {
        CollectStep();
      }
      env_steps_ += n;
      ++vec_steps_;
      if (!offline() && !apex_learner_) CountEpisodes(bar);
      if (apex_actor_) {
        stop = apex_actor_->stop_requested();
      } else {
        {
          Phase p(P(&LoopProfile::target));
          algo_->OnEnvStep(env_steps_);
        }
        learner_->Train(env_steps_, vec_steps_, add);
      }
      if (apex_learner_ && updates_ - published_at_ >= tc_.dist.param_sync_interval) {
        apex_learner_->PublishParams(algos::SaveParams(*algo_));
        published_at_ = updates_;
      }

      // Evaluate, log, checkpoint (an Ape-X actor only logs).
      std::optional<EvalResult> eval;
      if (crossed(tc_.eval_freq) && !apex_actor_) {
        Phase p(P(&LoopProfile::eval));
        eval = Evaluate(Greedy(), tc_.env, tc_.eval_episodes, streams_.eval_seed, RunEnvArgs(tc_),
                        Hooks());
        last_eval_ = eval->mean;
        if (bar) bar->SetSuffix(fmt::format("eval {:.1f}", eval->mean));
        // An Ape-X learner stops on its evaluation only once every live actor has contributed:
        // on a loaded machine an actor can start after the others have solved the task.
        if (tc_.eval_stop_return != 0.0 && eval->mean >= tc_.eval_stop_return &&
            (!apex_learner_ || apex_learner_->every_actor_read()))
          stop = true;
      }
      const bool last = env_steps_ >= tc_.n_timesteps || stop;
      {
        Phase p(P(&LoopProfile::io));
        if (crossed(tc_.log_interval) || eval || last) Log(csv, tb, eval, columns, elapsed());
        if ((crossed(tc_.checkpoint_freq) || last) && !apex_actor_) Checkpoint(store, elapsed());
      }
      if (bar) bar->Update(env_steps_);
      if (options_.stop_after_steps > 0 && env_steps_ >= options_.stop_after_steps && !last) {
        if (bar) bar->Finish();
        result.env_steps = env_steps_;
        result.finished = false;
        return result;
      }
    }
    return Finish(bar, elapsed, result);
  }

 private:
  bool offline() const { return dataset_ != nullptr; }

  // Ape-X roles: rank 0 learns from prioritised replay, ranks 1..N act with epsilon_i.
  void StartApex(algos::OffPolicyAlgorithm& off) {
    if (!off.SupportsApex()) return;  // the caller names the algorithm
    const int actors = options_.world_size - 1;
    if (options_.rank == 0) {
      if (!off.schedule().replay.prioritized) {
        throw Error(
            fmt::format("dist.mode apex learns from prioritised replay (Horgan et al. 2018); set "
                        "{}.prioritized: true",
                        tc_.algo));
      }
      apex_learner_ = std::make_unique<ApexLearner>(
          *store_, actors, tc_.dist.timeout_s,
          [](const std::string& line) { std::cout << line << std::endl; });
      return;
    }
    off.FixExplorationRate(ApexEpsilon(options_.rank - 1, actors));
    const algos::OffPolicySchedule sched = off.schedule();
    apex_actor_ = std::make_unique<ApexActor>(
        *store_, options_.rank - 1, vec_->observation_space(), vec_->action_space(), tc_.num_envs,
        sched.replay.n_step, sched.replay.gamma, tc_.dist.block_steps, tc_.dist.timeout_s);
  }

  // The learner's loop step: enough actors' env steps read for one vector step of its own
  // schedule (train_freq, target updates and logs count these as a single process counts its
  // own), waiting for blocks when there are none.
  void IngestStep() {
    const int n = tc_.num_envs;
    const auto ingest = [this](std::string_view bytes) {
      ApexBlock b = DecodeApexBlock(bytes, vec_->obs_bytes(), vec_->action_bytes());
      learner_->StoreBlock(b.rows, b.td_errors);
      apex_pending_ += b.env_steps;
      for (size_t k = 0; k < b.episode_returns.size(); ++k) {
        ++episodes_;
        recent_returns_.push_back(b.episode_returns[k]);
        recent_lengths_.push_back(b.episode_lengths[k]);
        if (recent_returns_.size() > 100) {
          recent_returns_.pop_front();
          recent_lengths_.pop_front();
        }
      }
    };
    while (apex_pending_ < n) {
      if (apex_learner_->Poll(ingest) > 0) continue;
      if (apex_learner_->alive() == 0) {
        throw Error(fmt::format(
            "every Ape-X actor has been silent for dist.timeout_s = {} s; the learner stops at "
            "env step {} (its checkpoints stay; --resume continues once actors run)",
            tc_.dist.timeout_s, env_steps_));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    apex_pending_ -= n;
  }
  // Offline runs on a dataset with D4RL reference scores log normalised scores too.
  bool normalized() const {
    return offline() && dataset_->metadata().ref_min_score && dataset_->metadata().ref_max_score &&
           *dataset_->metadata().ref_max_score != *dataset_->metadata().ref_min_score;
  }
  double Normalize(double r) const {
    return io::NormalizedScore(r, *dataset_->metadata().ref_min_score,
                               *dataset_->metadata().ref_max_score);
  }

  // One vector step of the exploring policy, stored through the learner.
  void CollectStep() {
    const int n = tc_.num_envs;
    {
      Phase p(P(&LoopProfile::act));
      algo_->Act(obs_.data(), n, /*explore=*/true, actions_.data());
    }
    {
      Phase p(P(&LoopProfile::env));
      StepWith(*vec_, actions_);
    }
    const TransitionRows rows{.n = n,
                              .obs = obs_.data(),
                              .action = actions_.data(),
                              .reward = vec_->rewards().data(),
                              .next_obs = vec_->obs_data(),
                              .terminated = vec_->terminated().data(),
                              .truncated = vec_->truncated().data(),
                              .final_obs = vec_->final_obs_data(),
                              .has_final_obs = vec_->has_final_obs().data()};
    if (apex_actor_) {
      // The episodes this step ends, for the learner's logs (CountEpisodes books them here).
      finished_returns_.clear();
      finished_lengths_.clear();
      for (int i = 0; i < n; ++i) {
        if (!vec_->has_final_obs()[static_cast<size_t>(i)]) continue;
        finished_returns_.push_back(running_return_[static_cast<size_t>(i)] +
                                    vec_->rewards()[static_cast<size_t>(i)]);
        finished_lengths_.push_back(running_length_[static_cast<size_t>(i)] + 1);
      }
      Phase p(P(&LoopProfile::replay));
      apex_actor_->Step(rows, finished_returns_.data(), finished_lengths_.data(),
                        static_cast<int>(finished_returns_.size()),
                        dynamic_cast<algos::OffPolicyAlgorithm&>(*algo_));
    } else {
      Phase p(P(&LoopProfile::replay));
      learner_->Store(rows);
    }
    if (recorder_) recorder_->Record(rows);
    std::memcpy(obs_.data(), vec_->obs_data(), obs_.size());
  }

  template <class Elapsed>
  TrainResult Finish(std::optional<io::ProgressBar>& bar, const Elapsed& elapsed,
                     TrainResult& result) {
    if (bar) bar->Finish();
    const double train_seconds = elapsed();
    // The actors stop collecting before the learner's final evaluation.
    if (apex_learner_) apex_learner_->Stop();
    if (apex_actor_) {
      result.env_steps = env_steps_;
      result.wall_seconds = wall_before_ + elapsed();
      result.finished = true;
      WriteSummary(result);
      return result;
    }
    result.final_eval = Evaluate(Greedy(), tc_.env, tc_.final_eval_episodes,
                                 streams_.final_eval_seed, RunEnvArgs(tc_), Hooks());
    result.final_eval.seed = streams_.final_eval_seed;
    result.final_eval_seed = streams_.final_eval_seed;
    if (normalized()) result.final_normalized_score = Normalize(result.final_eval.mean);
    result.last_eval = last_eval_;
    result.env_steps = env_steps_;
    for (const auto& [name, value] : algo_->Stats()) {
      if (name == "gradient_steps") result.gradient_steps = static_cast<int64_t>(value);
    }
    result.wall_seconds = wall_before_ + elapsed();
    result.finished = true;
    if (tc_.profile) result.profile = ProfileTable(train_seconds);
    if (recorder_) io::WriteMinari(recorder_->dataset(), options_.record_dataset);
    WriteSummary(result);
    return result;
  }

  double* P(double LoopProfile::*field) {
    return PhaseOf(tc_.profile ? &profile_ : nullptr, field);
  }

  // Episode returns and lengths of the envs whose episode ended in this vector step.
  void CountEpisodes(std::optional<io::ProgressBar>& bar) {
    for (int i = 0; i < tc_.num_envs; ++i) {
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
  }

  void WriteSummary(const TrainResult& result) const {
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
    if (apex_actor_) summary.erase("final_eval");  // the learner evaluates
    // The last periodic evaluation (eval_seed's episodes; the one eval_stop_return looked at).
    if (!std::isnan(last_eval_)) summary["last_periodic_eval_mean"] = last_eval_;
    if (offline()) {
      summary["dataset"] = {{"path", tc_.dataset},
                            {"dataset_id", dataset_->metadata().dataset_id},
                            {"episodes", dataset_->num_episodes()},
                            {"steps", dataset_->total_steps()}};
      if (normalized()) {
        summary["dataset"]["ref_min_score"] = *dataset_->metadata().ref_min_score;
        summary["dataset"]["ref_max_score"] = *dataset_->metadata().ref_max_score;
        summary["final_eval"]["normalized_score"] = *result.final_normalized_score;
      }
    }
    if (tc_.profile) {
      json profile = json::object();
      for (const auto& [name, seconds] : result.profile) profile[name] = seconds;
      summary["profile_seconds"] = profile;
    }
    if (apex_learner_) {
      summary["dist"] = {{"mode", "apex"},
                         {"rank", 0},
                         {"world_size", options_.world_size},
                         {"role", "learner"},
                         {"actors", options_.world_size - 1},
                         {"actors_alive", apex_learner_->alive()},
                         {"actor_drops", apex_learner_->drops()},
                         {"blocks_read", apex_learner_->blocks_read()},
                         {"bytes_read", apex_learner_->bytes_read()},
                         {"params_published", apex_learner_->params_published()}};
    }
    if (apex_actor_) {
      summary["dist"] = {{"mode", "apex"},
                         {"rank", options_.rank},
                         {"world_size", options_.world_size},
                         {"role", "actor"},
                         {"epsilon", ApexEpsilon(options_.rank - 1, options_.world_size - 1)},
                         {"blocks_sent", apex_actor_->blocks_sent()},
                         {"bytes_sent", apex_actor_->bytes_sent()},
                         {"param_loads", apex_actor_->param_loads()},
                         {"reconnects", apex_actor_->reconnects()}};
    }
    if (group_ != nullptr) {
      // param_checks passed checks of identical parameters on every rank; param_hash chains
      // every hash checked, so equal values across the ranks' summaries mean equal parameters.
      summary["dist"] = {{"mode", tc_.dist.mode},
                         {"rank", group_->rank()},
                         {"world_size", group_->world_size()},
                         {"param_checks", group_->checks()},
                         {"param_hash", fmt::format("{:016x}", group_->check_chain())}};
    }
    io::WriteFileAtomic(run_dir_ / "summary.json", summary.dump(2) + "\n");
  }

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
    ++updates_;
  }

  ActFn Greedy() {
    return [this](const void* obs, int64_t n, void* a) { algo_->Act(obs, n, false, a); };
  }
  EvalHooks Hooks() {
    return EvalHooks{.reset = [this](int64_t n) { algo_->ResetEpisodes(n); },
                     .observe = [this](const double* r, const uint8_t* d,
                                       int64_t n) { algo_->ObserveStep(r, d, n); }};
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
      if (normalized()) row.emplace_back(Normalize(eval->mean));
    } else {
      row.emplace_back(std::monostate{});
      row.emplace_back(std::monostate{});
      if (normalized()) row.emplace_back(std::monostate{});
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
      SaveAlgorithmState(*algo_, tc_.algo, dir);
      learner_->Save(dir);
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
      // Env steps of actors' blocks read but not yet counted by the loop.
      if (apex_learner_) s["apex_pending_env_steps"] = apex_pending_;
      if (offline()) {
        s["dataset_steps"] = dataset_->total_steps();
        s["dataset_episodes"] = dataset_->num_episodes();
      }
      std::ofstream(dir / "trainer_state.json") << s.dump(1) << "\n";
      std::ofstream(dir / "config.yaml") << ToYaml(resolved_);
      WriteManifest(dir, env_steps_);
    });
  }

  TrainOptions options_;
  fs::path run_dir_;
  YAML::Node resolved_;
  TrainConfig tc_;
  Collective* group_;     // data-parallel runs only
  KeyValueStore* store_;  // Ape-X runs only
  Streams streams_;
  std::unique_ptr<io::Dataset> dataset_;  // offline runs only
  std::vector<Env*> envs_;                // owned by vec_; SetState on resume only
  std::unique_ptr<VectorEnv> vec_;
  std::unique_ptr<algos::Algorithm> algo_;
  Rng sampler_;
  LoopProfile profile_;
  std::unique_ptr<Learner> learner_;              // after sampler_ and profile_, which it refers to
  std::unique_ptr<TransitionRecorder> recorder_;  // --record-dataset only
  std::vector<std::byte> obs_;                    // observations the next actions are chosen from
  std::vector<std::byte> actions_;                // num_envs action rows (int64 or float32[dim])
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
  int64_t updates_ = 0;  // gradient steps of this process (Ape-X parameter publishing)
  // Ape-X (one of the two, on an apex run).
  std::unique_ptr<ApexLearner> apex_learner_;
  std::unique_ptr<ApexActor> apex_actor_;
  int64_t apex_pending_ = 0;              // learner: env steps read from blocks, not yet counted
  int64_t published_at_ = 0;              // learner: updates_ at the last parameter broadcast
  std::vector<double> finished_returns_;  // actor: episodes ended by the current step
  std::vector<int64_t> finished_lengths_;
};

std::string SlashesToUnderscores(std::string s) {
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

// A value of --algo/--env/--seed/--config/--env-arg that --resume would silently ignore.
void CheckResumeOptions(const TrainOptions& o, const TrainConfig& run, const fs::path& run_dir) {
  auto differs = [&](const std::string& flag, const std::string& given, const std::string& was) {
    throw Error(fmt::format(
        "--resume {} continues the run as configured in {}: {} {} differs from the run's {}; "
        "drop {}, or start a new run",
        run_dir.string(), (run_dir / "config.yaml").string(), flag, given, was, flag));
  };
  if (!o.algo.empty() && o.algo != run.algo) differs("--algo", o.algo, run.algo);
  if (!o.env.empty() && o.env != run.env) differs("--env", o.env, run.env);
  if (o.seed && *o.seed != run.seed) {
    differs("--seed", std::to_string(*o.seed), std::to_string(run.seed));
  }
  if (!o.config_path.empty()) {
    throw Error(fmt::format("--resume {} uses the run's own config.yaml; drop --config {}",
                            run_dir.string(), o.config_path));
  }
  if (!o.env_args.empty()) {
    throw Error(
        fmt::format("--resume {} keeps the run's env_kwargs; drop --env-arg", run_dir.string()));
  }
}

// The user's config file (or the preset) as the root of a fresh run's config.
YAML::Node LoadRunConfig(const TrainOptions& o) {
  // A preset is checked as a user's file is: a broken one is an error naming it, not a crash.
  const std::string path = o.config_path.empty() ? PresetPath(o.algo.empty() ? "dqn" : o.algo,
                                                              o.env.empty() ? "CartPole-v1" : o.env)
                                                 : o.config_path;
  YAML::Node root = LoadYamlFile(path);
  if (!root || root.IsNull()) {
    throw Error(fmt::format(
        "config file '{}' is empty; expected a map of key: value (omit --config to use the "
        "preset configs/<algo>/<env>.yaml)",
        path));
  }
  if (!root.IsMap()) {
    throw Error(fmt::format("config file '{}' must be a map of key: value", path));
  }
  return root;
}

}  // namespace

// Rank r > 0 of a data-parallel run keeps its run directory inside rank 0's: <run_dir>/rank<r>
// (its own config, logs, summary and checkpoints: replay, envs and generators are per rank).
fs::path RankDir(const fs::path& base, int rank) {
  return rank == 0 ? base : base / fmt::format("rank{}", rank);
}

TrainResult Train(const TrainOptions& options) {
  const bool multi = options.world_size > 1;
  if (multi) {
    Require(options.rank >= 0 && options.rank < options.world_size && options.join_group,
            "rank {} of a world of {} needs 0 <= rank < world size and a way to join the group",
            options.rank, options.world_size);
    Require(options.record_dataset.empty(),
            "--record-dataset records one process's run; not in a multi-process run");
  }
  // Joined once the config (dist.timeout_s, the layout) is known; nullptr: one process. An
  // Ape-X run shares a key-value store instead of a process group (docs/distributed.md).
  std::unique_ptr<Collective> owned_group;
  Collective* group = nullptr;
  std::unique_ptr<KeyValueStore> store;
  auto join = [&](const TrainConfig& t) {
    if (!multi) return;
    t.dist.CheckLayout(options.world_size);
    if (t.dist.mode == "apex") {
      Require(static_cast<bool>(options.open_store),
              "dist.mode apex needs a key-value store (bellman train under bellman launch or "
              "torchrun's variables)");
      store = options.open_store(options.rank == 0, t.dist.timeout_s);
      return;
    }
    owned_group = options.join_group(t.dist.timeout_s);
    group = owned_group.get();
  };
  // An Ape-X actor keeps no checkpoints: resumed or not, it starts afresh in the learner's run.
  const bool actor_resume = [&] {
    if (!multi || options.rank == 0 || options.resume.empty()) return false;
    const fs::path config = fs::path(options.resume) / "config.yaml";
    if (!fs::exists(config)) return false;
    TrainConfig peek;
    Resolve(LoadYamlFile(config.string()), options.overrides, &peek);
    return peek.dist.mode == "apex";
  }();
  TrainConfig tc;
  YAML::Node resolved;
  fs::path run_dir;
  std::optional<fs::path> resume_ckpt;
  // Offline: the dataset is read and checked against the env before anything is written, so a
  // bad dataset leaves no run directory behind.
  std::unique_ptr<io::Dataset> dataset;
  auto load_dataset = [&] {
    if (tc.dataset.empty()) return;
    const EnvSpec spec = MakeEnv(tc.env, RunEnvArgs(tc))->spec();
    dataset = std::make_unique<io::Dataset>(
        io::ReadDataset(tc.dataset, spec.observation_space, spec.action_space));
    CheckDatasetFitsEnv(*dataset, spec, tc.dataset);
  };
  if (!options.algo.empty()) algos::FindAlgo(options.algo);
  if (!options.env.empty()) CheckEnvId(options.env);
  if (!options.record_dataset.empty()) {
    if (!options.resume.empty() || !options.dataset.empty()) {
      throw Error("--record-dataset records a fresh online run; not with --resume or --dataset");
    }
    if (fs::exists(options.record_dataset) && !fs::is_empty(options.record_dataset)) {
      throw Error(fmt::format("--record-dataset {} exists; a dataset is never overwritten",
                              options.record_dataset));
    }
  }
  if (actor_resume) {
    resolved = Resolve(LoadYamlFile((fs::path(options.resume) / "config.yaml").string()),
                       options.overrides, &tc);
    join(tc);
    run_dir = RankDir(options.resume, options.rank);
    fs::create_directories(run_dir);
  } else if (!options.resume.empty()) {
    // Every rank is given rank 0's run directory and resumes its own.
    resume_ckpt = io::ResolveCheckpoint(RankDir(options.resume, options.rank).string());
    run_dir = resume_ckpt->parent_path().parent_path();
    resolved = Resolve(LoadYamlFile((run_dir / "config.yaml").string()), options.overrides, &tc);
    join(tc);
    CheckResumeOptions(options, tc, run_dir);
    load_dataset();
  } else {
    YAML::Node root = LoadRunConfig(options);
    if (!options.algo.empty() || !root["algo"]) {
      root["algo"] = options.algo.empty() ? "dqn" : options.algo;
    }
    if (!options.env.empty() || !root["env"]) {
      root["env"] = options.env.empty() ? "CartPole-v1" : options.env;
    }
    if (options.seed) root["seed"] = *options.seed;
    if (!options.dataset.empty()) root["dataset"] = options.dataset;
    if (!options.env_args.empty()) {
      // --env-arg on top of the file's env_kwargs.
      YAML::Node kwargs = root["env_kwargs"] && root["env_kwargs"].IsMap()
                              ? root["env_kwargs"]
                              : YAML::Node(YAML::NodeType::Map);
      for (const auto& kv : EnvArgsToYaml(ParseEnvArgs(options.env_args))) {
        kwargs[kv.first.as<std::string>()] = kv.second;
      }
      root["env_kwargs"] = kwargs;
    }
    resolved = Resolve(root, options.overrides, &tc);
    join(tc);
    CheckEnvId(tc.env);
    MakeEnv(tc.env, RunEnvArgs(tc));  // bad env kwargs fail here, before the run directory
    load_dataset();
    run_dir = options.run_dir.empty()
                  ? fs::path(options.runs_root) /
                        // "MinAtar/Breakout-v1" -> "MinAtar_Breakout-v1": one directory level.
                        fmt::format("{}-{}-{}-{}", tc.algo, SlashesToUnderscores(tc.env), tc.seed,
                                    Timestamp())
                  : fs::path(options.run_dir);
    // Rank 0 names the run (a default name has a timestamp that the ranks' clocks may differ on).
    if (group != nullptr) {
      run_dir = RankDir(group->BroadcastString(run_dir.string(), 0), options.rank);
    }
    const bool apex_actor = store != nullptr && options.rank > 0;
    if (apex_actor) {
      // The learner publishes its run directory once its run is built (Run::Announce).
      run_dir = RankDir(WaitApexRunDir(*store, tc.dist.timeout_s), options.rank);
    }
    if (fs::exists(run_dir / "checkpoints") && !apex_actor) {
      throw Error(
          fmt::format("run directory {} already holds a run; use --resume {} to continue "
                      "it, or another --run-dir",
                      run_dir.string(), run_dir.string()));
    }
    fs::create_directories(run_dir);
  }
  io::WriteFileAtomic(run_dir / "config.yaml", ToYaml(resolved));
  Run run(options, run_dir, resolved, tc, std::move(dataset), group, store.get());
  if (resume_ckpt) run.Resume(*resume_ckpt);
  if (group != nullptr) run.AgreeOnStep(resume_ckpt.has_value());
  if (store != nullptr) run.Announce();
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

}  // namespace bellman::train
