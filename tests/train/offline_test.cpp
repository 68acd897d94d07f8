// The offline loop (`bellman train --dataset`): trains from a collected dataset only, writes the
// dataset and normalised scores into summary.json, resumes bit-exactly, and rejects a dataset
// that does not fit the env.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <sstream>

#include "bellman/core/error.h"
#include "bellman/io/atomic_file.h"
#include "bellman/io/dataset.h"
#include "bellman/train/collect.h"
#include "bellman/train/train.h"
#include "io/temp_dir.h"

namespace bellman::train {
namespace {
namespace fs = std::filesystem;
using test::Slurp;

fs::path CollectPendulum(const fs::path& dir, int64_t episodes) {
  CollectOptions c;
  c.env = "Pendulum-v1";
  c.episodes = episodes;
  c.seed = 7;
  c.out = (dir / "pendulum-random").string();
  EXPECT_EQ(Collect(c), episodes);
  return c.out;
}

// 10 random CartPole-v1 episodes in dir/cartpole.
fs::path CollectCartPole(const fs::path& dir) {
  CollectOptions c;
  c.env = "CartPole-v1";
  c.episodes = 10;
  c.seed = 3;
  c.out = (dir / "cartpole").string();
  Collect(c);
  return c.out;
}

TrainOptions OfflineOptions(const std::string& algo, const fs::path& data, const fs::path& run) {
  TrainOptions o;
  o.algo = algo;
  o.env = "Pendulum-v1";
  o.dataset = data.string();
  o.run_dir = run.string();
  o.progress = false;
  o.verbose = false;
  o.overrides = {"n_timesteps=300",       "eval_freq=150",
                 "eval_episodes=1",       "final_eval_episodes=2",
                 "checkpoint_freq=100",   "log_interval=50",
                 algo + ".batch_size=32", algo + ".hidden_sizes=[16]"};
  return o;
}

// Trains options(full) to the end and options(resumed) killed at step 250 then resumed: the two
// runs' final evaluations and progress.csv must be identical. Returns the full run's result.
TrainResult ExpectOfflineResumeIsBitExact(
    const std::function<TrainOptions(const fs::path&)>& options, const fs::path& full_dir,
    const fs::path& resumed_dir) {
  const TrainResult full = Train(options(full_dir));
  EXPECT_TRUE(full.finished);
  EXPECT_EQ(full.gradient_steps, 300);
  TrainOptions killed = options(resumed_dir);
  killed.stop_after_steps = 250;
  EXPECT_FALSE(Train(killed).finished);
  TrainOptions resume;
  resume.resume = resumed_dir.string();
  resume.progress = false;
  resume.verbose = false;
  const TrainResult done = Train(resume);
  EXPECT_TRUE(done.finished);
  EXPECT_EQ(full.final_eval.returns, done.final_eval.returns);
  EXPECT_EQ(Slurp(full_dir / "progress.csv"), Slurp(resumed_dir / "progress.csv"));
  return full;
}

TEST(Offline, CollectWritesWholeSeededEpisodes) {
  test::TempDir tmp;
  const io::Dataset d = io::ReadDataset(CollectPendulum(tmp.path(), 3));
  EXPECT_EQ(d.num_episodes(), 3);
  EXPECT_EQ(d.total_steps(), 600);  // Pendulum's TimeLimit: 200 steps, truncated
  EXPECT_EQ(d.truncations()[199], 1);
  EXPECT_EQ(d.terminations()[199], 0);
  EXPECT_EQ(d.seed(2), std::optional<int64_t>(9));
  EXPECT_EQ(d.metadata().env_id, "Pendulum-v1");
  EXPECT_EQ(d.metadata().max_episode_steps, 200);
}

TEST(Offline, TrainsFromTheDatasetAndResumesBitExactly) {
  test::TempDir tmp;
  const fs::path data = CollectPendulum(tmp.path(), 4);
  for (const std::string algo : {"bc", "td3_bc", "td3_bc_mcep", "iql", "cql"}) {
    SCOPED_TRACE(algo);
    ExpectOfflineResumeIsBitExact(
        [&](const fs::path& run) { return OfflineOptions(algo, data, run); },
        tmp / (algo + "-full"), tmp / (algo + "-resumed"));
    const auto summary = nlohmann::json::parse(Slurp(tmp / (algo + "-full") / "summary.json"));
    EXPECT_EQ(summary.at("dataset").at("steps"), 800);
    EXPECT_EQ(summary.at("episodes"), 0);  // no training episodes are played offline
  }
}

// A small Q-Transformer (width 16, one layer, a 16-unit state layer) for checkpoint tests.
TrainOptions SmallQt(const std::string& algo, const fs::path& data, const fs::path& run) {
  TrainOptions o = OfflineOptions(algo, data, run);
  o.overrides.back() = algo + ".encoder.hidden_sizes=[16]";
  o.overrides.push_back(algo + ".embed_dim=16");
  o.overrides.push_back(algo + ".n_layers=1");
  return o;
}

// Q-Transformer and ARSQ (presets: Pendulum's rewards mapped to [0, 0.01]) on Box actions, and
// Q-Transformer on a Discrete space (CartPole's rewards are 1 already).
TEST(Offline, QTransformerResumesBitExactlyOnBoxAndDiscreteActions) {
  test::TempDir tmp;
  const fs::path data = CollectPendulum(tmp.path(), 4);
  for (const std::string algo : {"q_transformer", "arsq"}) {
    SCOPED_TRACE(algo);
    auto options = [&](const fs::path& run) { return SmallQt(algo, data, run); };
    ExpectOfflineResumeIsBitExact(options, tmp / (algo + "-full"), tmp / (algo + "-resumed"));
    EXPECT_NE(Slurp(tmp / (algo + "-full") / "progress.csv").find("conservative_loss"),
              std::string::npos);
  }
  // A k-means action codebook is part of the checkpoint: resume, and eval without the dataset.
  auto coded = [&](const fs::path& run) {
    TrainOptions o = SmallQt("q_transformer", data, run);
    o.overrides.push_back("q_transformer.action_codes=8");
    return o;
  };
  const TrainResult full =
      ExpectOfflineResumeIsBitExact(coded, tmp / "codes-full", tmp / "codes-resumed");
  EXPECT_EQ(EvaluateCheckpoint((tmp / "codes-full").string(), 2).returns, full.final_eval.returns);
  CollectCartPole(tmp.path());
  io::WriteFileAtomic(tmp / "qt.yaml", "q_transformer:\n  gamma: 0.99\n");  // no CartPole preset
  auto options = [&](const fs::path& run) {
    TrainOptions o = SmallQt("q_transformer", tmp / "cartpole", run);
    o.env = "CartPole-v1";
    o.config_path = (tmp / "qt.yaml").string();
    return o;
  };
  ExpectOfflineResumeIsBitExact(options, tmp / "cartpole-full", tmp / "cartpole-resumed");
}

TEST(Offline, DiscreteAlgorithmsTrainFromACartPoleDatasetAndResumeBitExactly) {
  test::TempDir tmp;
  CollectCartPole(tmp.path());
  for (const std::string algo : {"discrete_bc", "discrete_cql"}) {
    SCOPED_TRACE(algo);
    auto options = [&](const fs::path& run) {
      TrainOptions o = OfflineOptions(algo, tmp / "cartpole", run);
      o.env = "CartPole-v1";
      o.overrides.back() = algo + ".net.hidden_sizes=[16]";
      o.overrides.push_back(algo + ".target_update_interval=50");
      return o;
    };
    ExpectOfflineResumeIsBitExact(options, tmp / (algo + "-full"), tmp / (algo + "-resumed"));
  }
  // The Box algorithm on a Discrete space names the discrete one.
  try {
    TrainOptions o = OfflineOptions("bc", tmp / "cartpole", tmp / "bad");
    o.env = "CartPole-v1";
    o.config_path = PresetPath("bc", "Pendulum-v1");
    Train(o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("for Discrete actions use discrete_bc"), std::string::npos)
        << e.what();
  }
}

TEST(Offline, SameResultAtAnyThreadCount) {
  test::TempDir tmp;
  const fs::path data = CollectPendulum(tmp.path(), 2);
  for (const std::string algo : {"iql", "cql"}) {
    SCOPED_TRACE(algo);
    std::vector<std::string> csv;
    for (const int threads : {1, 2}) {
      const fs::path run = tmp / fmt::format("{}-{}", algo, threads);
      TrainOptions o = OfflineOptions(algo, data, run);
      o.overrides.push_back(fmt::format("torch_threads={}", threads));
      o.overrides.push_back(algo + ".batch_size=256");
      o.overrides.push_back(algo + ".hidden_sizes=[64, 64]");
      o.overrides.push_back("n_timesteps=100");
      Train(o);
      csv.push_back(Slurp(run / "progress.csv"));
    }
    EXPECT_EQ(csv[0], csv[1]);
  }
}

TEST(Offline, RecordDatasetKeepsEveryFinishedEpisodeOfAnOnlineRun) {
  test::TempDir tmp;
  TrainOptions o;
  o.algo = "dqn";
  o.env = "CartPole-v1";
  o.run_dir = (tmp / "run").string();
  o.record_dataset = (tmp / "replay").string();
  o.progress = false;
  o.verbose = false;
  o.overrides = {"n_timesteps=2000",      "num_envs=2",
                 "eval_freq=0",           "checkpoint_freq=0",
                 "final_eval_episodes=1", "dqn.learning_starts=500"};
  o.config_path = PresetPath("dqn", "CartPole-v1-fast");
  const TrainResult r = Train(o);
  const io::Dataset d = io::ReadDataset(tmp / "replay");
  const auto summary = nlohmann::json::parse(Slurp(tmp / "run" / "summary.json"));
  EXPECT_EQ(d.num_episodes(), summary.at("episodes").get<int64_t>());
  EXPECT_LE(d.total_steps(), r.env_steps);
  EXPECT_GT(d.total_steps(), r.env_steps - 2 * 500);  // at most one unfinished episode per env
  for (double x : d.rewards()) EXPECT_EQ(x, 1.0);
  for (int64_t e = 0; e < d.num_episodes(); ++e) {
    const int64_t last = d.first_step(e) + d.steps(e) - 1;
    EXPECT_TRUE(d.terminations()[last] || d.truncations()[last]) << "episode " << e;
  }
  // A second run into the same folder is refused, and the dataset is left as it was.
  o.run_dir = (tmp / "run2").string();
  EXPECT_THROW(Train(o), Error);
  EXPECT_EQ(io::ReadDataset(tmp / "replay").total_steps(), d.total_steps());
}

TEST(Offline, DatasetMakeRecipesShareTheirPolicies) {
  test::TempDir tmp;
  MakeDatasetOptions m;
  m.env = "Pendulum-v1";
  m.seed = 5;
  m.steps = 1000;
  m.policies = (tmp / "policies").string();
  m.level = "medium-expert";
  m.out = (tmp / "me").string();
  MakeDataset(m);
  const io::Dataset me = io::ReadDataset(m.out);
  EXPECT_EQ(me.metadata().dataset_id, "bellman/Pendulum-v1-medium-expert-v0");
  EXPECT_EQ(me.num_episodes(), 10);  // 5 medium + 5 expert episodes of 200 steps
  ASSERT_TRUE(me.metadata().ref_min_score && me.metadata().ref_max_score);
  EXPECT_LT(*me.metadata().ref_min_score, *me.metadata().ref_max_score);
  // The medium run stopped at a third of the way from random to expert.
  const auto medium = nlohmann::json::parse(Slurp(tmp / "policies" / "medium" / "summary.json"));
  EXPECT_LT(medium.at("env_steps").get<int64_t>(), 20'000);
  m.level = "medium-replay";
  m.out = (tmp / "mr").string();
  MakeDataset(m);  // reuses the medium run: its recorded transitions
  const io::Dataset mr = io::ReadDataset(m.out);
  EXPECT_EQ(mr.num_episodes(), medium.at("episodes").get<int64_t>());
  EXPECT_EQ(mr.metadata().ref_max_score, me.metadata().ref_max_score);
  m.level = "random";
  m.out = (tmp / "random").string();
  MakeDataset(m);  // references from the same random episodes and the same expert
  const io::Dataset random = io::ReadDataset(m.out);
  EXPECT_EQ(random.total_steps(), 1000);
  EXPECT_EQ(random.metadata().ref_min_score, me.metadata().ref_min_score);
  EXPECT_EQ(random.metadata().ref_max_score, me.metadata().ref_max_score);
  m.level = "replay";
  m.out = (tmp / "bad").string();
  EXPECT_THROW(MakeDataset(m), Error);  // replay is MinAtar's
  m.level = "medum";
  try {
    MakeDataset(m);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'medium'"), std::string::npos) << e.what();
  }
}

TEST(Offline, NormalisedScoresFromTheDatasetsReferences) {
  test::TempDir tmp;
  const fs::path data = CollectPendulum(tmp.path(), 2);
  // References written into the metadata as a D4RL-style dataset carries them.
  io::Dataset d = io::ReadDataset(data);
  d.metadata().ref_min_score = -1500.0;
  d.metadata().ref_max_score = -150.0;
  io::WriteMinari(d, tmp / "with-refs");
  const TrainResult r = Train(OfflineOptions("bc", tmp / "with-refs", tmp / "run"));
  ASSERT_TRUE(r.final_normalized_score.has_value());
  EXPECT_DOUBLE_EQ(*r.final_normalized_score,
                   100.0 * (r.final_eval.mean + 1500.0) / (-150.0 + 1500.0));
  const auto summary = nlohmann::json::parse(Slurp(tmp / "run" / "summary.json"));
  EXPECT_DOUBLE_EQ(summary.at("final_eval").at("normalized_score").get<double>(),
                   *r.final_normalized_score);
  EXPECT_NE(Slurp(tmp / "run" / "progress.csv").find("eval_normalized_score"), std::string::npos);
}

TEST(Offline, NormalizeRewardScalesByCorlsReturnRange) {
  test::TempDir tmp;
  const fs::path data = CollectPendulum(tmp.path(), 4);
  // CORL's modify_reward: r * max_episode_steps / (max - min episode return), written here by
  // hand into a second dataset; training on it unscaled must match normalize_reward exactly.
  const io::Dataset d = io::ReadDataset(data);
  std::vector<double> returns(4, 0.0);
  for (int64_t e = 0; e < 4; ++e) {
    for (int64_t i = 0; i < d.steps(e); ++i) returns[e] += d.rewards()[d.first_step(e) + i];
  }
  const auto [lo, hi] = std::minmax_element(returns.begin(), returns.end());
  const double scale = 200.0 / (*hi - *lo);
  io::Dataset scaled(d.observation_space(), d.action_space(), d.metadata());
  for (int64_t e = 0; e < 4; ++e) {
    const size_t first = static_cast<size_t>(d.first_step(e)), t = static_cast<size_t>(d.steps(e));
    std::vector<double> r(d.rewards().begin() + first, d.rewards().begin() + first + t);
    for (double& x : r) x *= scale;
    scaled.AddEpisode(
        std::span(d.observations()).subspan((first + e) * d.obs_bytes(), (t + 1) * d.obs_bytes()),
        std::span(d.actions()).subspan(first * d.action_bytes(), t * d.action_bytes()), r,
        std::span(d.terminations()).subspan(first, t), std::span(d.truncations()).subspan(first, t),
        d.seed(e));
  }
  io::WriteMinari(scaled, tmp / "scaled");
  TrainOptions by_flag = OfflineOptions("iql", data, tmp / "flag");
  by_flag.overrides.push_back("iql.normalize_reward=true");
  const TrainResult a = Train(by_flag);
  const TrainResult b = Train(OfflineOptions("iql", tmp / "scaled", tmp / "by-hand"));
  EXPECT_EQ(Slurp(tmp / "flag" / "progress.csv"), Slurp(tmp / "by-hand" / "progress.csv"));
  EXPECT_EQ(a.final_eval.returns, b.final_eval.returns);
  const TrainResult plain = Train(OfflineOptions("iql", data, tmp / "plain"));
  EXPECT_NE(Slurp(tmp / "flag" / "progress.csv"), Slurp(tmp / "plain" / "progress.csv"));
  // Online runs have no dataset to scale.
  TrainOptions online = OfflineOptions("iql", data, tmp / "online");
  online.dataset.clear();
  online.overrides.push_back("iql.normalize_reward=true");
  try {
    Train(online);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("iql.normalize_reward"), std::string::npos) << e.what();
  }
}

// Reads one column of a progress.csv.
std::vector<std::string> CsvColumn(const fs::path& csv, const std::string& name) {
  std::istringstream in(Slurp(csv));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  for (std::istringstream h(line); std::getline(h, line, ',');) header.push_back(line);
  const auto col = std::find(header.begin(), header.end(), name) - header.begin();
  std::vector<std::string> values;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string cell;
    for (int64_t k = 0; k <= col && std::getline(row, cell, ','); ++k) {
    }
    values.push_back(cell);
  }
  return values;
}

TEST(Offline, McepLeavesTd3BcsCriticAndTargetPolicyAsTheyWere) {
  test::TempDir tmp;
  const fs::path data = CollectPendulum(tmp.path(), 4);
  // The evaluation actor is drawn after td3_bc's networks and never feeds the critic: the
  // critic and the target actor follow td3_bc's trajectory bit for bit, and only what plays
  // differs.
  TrainOptions plain = OfflineOptions("td3_bc", data, tmp / "td3_bc");
  TrainOptions mcep = OfflineOptions("td3_bc_mcep", data, tmp / "mcep");
  const TrainResult a = Train(plain), b = Train(mcep);
  for (const char* column : {"critic_loss", "actor_loss", "q_mean"}) {
    EXPECT_EQ(CsvColumn(tmp / "td3_bc" / "progress.csv", column),
              CsvColumn(tmp / "mcep" / "progress.csv", column))
        << column;
  }
  const std::vector<std::string> eval_loss =
      CsvColumn(tmp / "mcep" / "progress.csv", "eval_actor_loss");
  ASSERT_FALSE(eval_loss.empty());
  EXPECT_NE(eval_loss.back(), "0");
  EXPECT_NE(a.final_eval.returns, b.final_eval.returns);
  TrainOptions bad = OfflineOptions("td3", data, tmp / "bad");
  bad.overrides.push_back("td3.mcep_alpha=10");
  try {
    Train(bad);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("td3.mcep_alpha (10) needs a constrained target policy"),
              std::string::npos)
        << e.what();
  }
}

TEST(Offline, BestOfNPlaysTheCandidateWithTheHighestQ) {
  test::TempDir tmp;
  const fs::path data = CollectPendulum(tmp.path(), 4);
  TrainOptions bc = OfflineOptions("bc", data, tmp / "bc");
  bc.overrides.push_back("bc.loss=gaussian");
  Train(bc);
  Train(OfflineOptions("iql", data, tmp / "iql"));
  const io::Dataset d = io::ReadDataset(data);
  const int64_t m = 5, k = 4;
  const std::byte* obs = d.observations().data();  // the first 5 observations of episode 0
  // Two copies of the base policy start from the same explore stream: one draws the candidates
  // by hand, the other inside BestOfNAct.
  Policy by_hand((tmp / "bc").string()), base((tmp / "bc").string());
  Policy critic((tmp / "iql").string());
  std::vector<std::byte> rep(static_cast<size_t>(m * k) * d.obs_bytes());
  for (int64_t i = 0; i < m * k; ++i) {
    std::memcpy(rep.data() + i * d.obs_bytes(), obs + (i / k) * d.obs_bytes(), d.obs_bytes());
  }
  std::vector<float> candidates(static_cast<size_t>(m * k));
  std::vector<double> q(static_cast<size_t>(m * k));
  by_hand.Sample(rep.data(), m * k, candidates.data());
  critic.QValues(rep.data(), candidates.data(), m * k, q.data());
  std::vector<float> played(static_cast<size_t>(m));
  BestOfNAct(base, critic, static_cast<int>(k), obs, m, played.data());
  for (int64_t i = 0; i < m; ++i) {
    const auto first = q.begin() + i * k;
    const int64_t best = std::max_element(first, first + k) - first;
    EXPECT_EQ(played[i], candidates[i * k + best]) << "observation " << i;
  }
  // The candidates are samples: they differ (a Gaussian BC policy), and the mean is not among
  // them in general; the critic gives them different values.
  EXPECT_NE(candidates[0], candidates[1]);
  EXPECT_NE(q[0], q[1]);
  // N = 1 plays the base policy's sample.
  Policy one_a((tmp / "bc").string()), one_b((tmp / "bc").string());
  std::vector<float> sampled(static_cast<size_t>(m)), best_of_one(static_cast<size_t>(m));
  one_a.Sample(obs, m, sampled.data());
  BestOfNAct(one_b, critic, 1, obs, m, best_of_one.data());
  EXPECT_EQ(sampled, best_of_one);
  // A run without a critic cannot rank; N must be >= 1.
  try {
    EvaluateBestOfN((tmp / "bc").string(), (tmp / "bc").string(), 4, 1);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the bc run has no Q-function"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(EvaluateBestOfN((tmp / "bc").string(), (tmp / "iql").string(), 0, 1), Error);
  // The distillation data: each episode's actions are BestOfNAct's on its observations, in
  // episode order (one explore stream); everything else is the dataset's.
  EXPECT_EQ(RelabelBestOfN(data.string(), (tmp / "bc").string(), (tmp / "iql").string(), 3,
                           (tmp / "relabelled").string()),
            800);
  const io::Dataset rd = io::ReadDataset(tmp / "relabelled");
  Policy replay_base((tmp / "bc").string());
  for (int64_t e = 0; e < d.num_episodes(); ++e) {
    const auto first = static_cast<size_t>(d.first_step(e)), t = static_cast<size_t>(d.steps(e));
    std::vector<float> expected(t);
    BestOfNAct(replay_base, critic, 3, d.observations().data() + (first + e) * d.obs_bytes(),
               static_cast<int64_t>(t), expected.data());
    EXPECT_EQ(0, std::memcmp(rd.actions().data() + first * sizeof(float), expected.data(),
                             t * sizeof(float)))
        << "episode " << e;
  }
  EXPECT_EQ(rd.observations(), d.observations());
  EXPECT_EQ(rd.rewards(), d.rewards());
  EXPECT_EQ(rd.terminations(), d.terminations());
  EXPECT_NE(rd.actions(), d.actions());
  EXPECT_NE(rd.metadata().dataset_id.find("-bestof3-v"), std::string::npos)
      << rd.metadata().dataset_id;
  EXPECT_TRUE(Train(OfflineOptions("bc", tmp / "relabelled", tmp / "distilled")).finished);
  const EvalResult r = EvaluateBestOfN((tmp / "bc").string(), (tmp / "iql").string(), 4, 2);
  EXPECT_EQ(r.returns.size(), 2u);
  EXPECT_EQ(r.returns,
            EvaluateBestOfN((tmp / "bc").string(), (tmp / "iql").string(), 4, 2).returns);
}

TrainOptions SmallDt(const fs::path& data, const fs::path& run) {
  TrainOptions o = OfflineOptions("dt", data, run);
  o.overrides = {"n_timesteps=300",       "eval_freq=150",       "eval_episodes=2",
                 "final_eval_episodes=2", "checkpoint_freq=100", "log_interval=50",
                 "dt.batch_size=8",       "dt.embed_dim=16",     "dt.n_layers=1",
                 "dt.n_heads=2",          "dt.context=4",        "dt.warmup_steps=50",
                 "dt.target_return=-200"};
  return o;
}

TEST(Offline, DecisionTransformerResumesBitExactlyAndConditionsOnTheTarget) {
  test::TempDir tmp;
  const fs::path data = CollectPendulum(tmp.path(), 4);
  const TrainResult full = ExpectOfflineResumeIsBitExact(
      [&](const fs::path& run) { return SmallDt(data, run); }, tmp / "full", tmp / "resumed");
  EXPECT_NE(Slurp(tmp / "full" / "progress.csv").find("dt_loss"), std::string::npos);
  // The same weights conditioned on another return play other actions: a second run with only
  // target_return changed trains identically (the target is used at evaluation only).
  TrainOptions other = SmallDt(data, tmp / "other");
  other.overrides.back() = "dt.target_return=-1500";
  const TrainResult low = Train(other);
  EXPECT_EQ(CsvColumn(tmp / "full" / "progress.csv", "dt_loss"),
            CsvColumn(tmp / "other" / "progress.csv", "dt_loss"));
  EXPECT_NE(full.final_eval.returns, low.final_eval.returns);
  // eval of the checkpoint replays the final evaluation (reset and reward hooks included).
  EXPECT_EQ(EvaluateCheckpoint((tmp / "full").string(), 2).returns, full.final_eval.returns);
  // Offline only, and the target must be given.
  TrainOptions online = SmallDt(data, tmp / "online");
  online.dataset.clear();
  EXPECT_THROW(Train(online), Error);
  // A config without the key (the Pendulum preset has one).
  io::WriteFileAtomic(tmp / "dt.yaml", "dt:\n  context: 4\n");
  TrainOptions no_target = SmallDt(data, tmp / "no-target");
  no_target.config_path = (tmp / "dt.yaml").string();
  no_target.overrides.pop_back();
  try {
    Train(no_target);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dt.target_return must be set"), std::string::npos)
        << e.what();
  }
}

TEST(Offline, ADatasetOfAnotherEnvIsAClearError) {
  test::TempDir tmp;
  CollectOptions c;
  c.env = "CartPole-v1";
  c.episodes = 2;
  c.out = (tmp / "cartpole").string();
  Collect(c);
  try {
    Train(OfflineOptions("bc", tmp / "cartpole", tmp / "run"));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not fit Pendulum-v1"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(tmp / "run"));  // nothing written for a dataset that does not fit
  TrainOptions online_algo = OfflineOptions("ppo", tmp / "cartpole", tmp / "run2");
  online_algo.env = "CartPole-v1";
  online_algo.overrides = {"n_timesteps=10"};
  EXPECT_THROW(Train(online_algo), Error);  // PPO learns on-policy only
}

}  // namespace
}  // namespace bellman::train
