// The off-policy trainer: run directory contents, resume bit for bit after a simulated kill,
// corrupt checkpoints, and (label learning) DQN solving CartPole-v1.
#include <gtest/gtest.h>
#include <torch/script.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bellman/core/error.h"
#include "bellman/io/atomic_file.h"
#include "bellman/nets/threads.h"
#include "bellman/train/train.h"
#include "io/temp_dir.h"

namespace bellman::train {
namespace {

namespace fs = std::filesystem;

using test::Slurp;

// A small run that exercises every piece of state: PER (priorities, beta clock), 3-step
// accumulators (open transitions at the checkpoint), Double DQN, dueling, soft target updates,
// two envs.
void WriteSmallConfig(const fs::path& path) {
  std::ofstream(path) << R"(
n_timesteps: 3000
num_envs: 2
eval_freq: 1000
eval_episodes: 2
final_eval_episodes: 3
log_interval: 250
checkpoint_freq: 1000
keep_checkpoints: 0
dqn:
  lr: 1.0e-3
  batch_size: 32
  buffer_size: 2000
  learning_starts: 300
  train_freq: 2
  gradient_steps: 1
  target_update_interval: 100
  tau: 0.5
  double_q: true
  n_step: 3
  prioritized: true
  exploration_fraction: 0.5
  net:
    hidden_sizes: [32, 32]
    dueling: true
)";
}

TrainOptions SmallOptions(const fs::path& config, const fs::path& run_dir) {
  TrainOptions o;
  o.algo = "dqn";
  o.env = "CartPole-v1";
  o.config_path = config.string();
  o.seed = 7;
  o.run_dir = run_dir.string();
  o.progress = false;
  o.verbose = false;
  return o;
}

nlohmann::json StateWithoutClock(const fs::path& ckpt) {
  auto j = nlohmann::json::parse(Slurp(ckpt / "trainer_state.json"));
  j.erase("wall_seconds");
  return j;
}

TEST(Trainer, WritesRunDirectory) {
  test::TempDir tmp;
  WriteSmallConfig(tmp / "c.yaml");
  TrainResult r = Train(SmallOptions(tmp / "c.yaml", tmp / "run"));
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.env_steps, 3000);
  EXPECT_EQ(r.final_eval.returns.size(), 3u);
  for (const char* f : {"config.yaml", "progress.csv", "summary.json", "checkpoints/latest",
                        "checkpoints/step_3000/dqn.pt", "checkpoints/step_3000/replay.bin",
                        "checkpoints/step_3000/manifest.json"}) {
    EXPECT_TRUE(fs::exists(tmp / "run" / f)) << f;
  }
  bool tfevents = false;
  for (const auto& e : fs::directory_iterator(tmp / "run")) {
    tfevents = tfevents || e.path().filename().string().find("tfevents") != std::string::npos;
  }
  EXPECT_TRUE(tfevents);
  auto summary = nlohmann::json::parse(Slurp(tmp / "run" / "summary.json"));
  EXPECT_EQ(summary["seed"], 7);
  EXPECT_EQ(summary["env_steps"], 3000);
  EXPECT_EQ(summary["final_eval"]["returns"].size(), 3u);
  // The resolved config names every key, e.g. defaults the file did not set.
  const std::string config = Slurp(tmp / "run" / "config.yaml");
  EXPECT_NE(config.find("max_grad_norm"), std::string::npos);
  EXPECT_NE(config.find("seed: 7"), std::string::npos);
  // An existing run is not overwritten by accident.
  EXPECT_THROW(Train(SmallOptions(tmp / "c.yaml", tmp / "run")), Error);
}

TEST(Trainer, ResumeAfterKillIsBitExact) {
  test::TempDir tmp;
  WriteSmallConfig(tmp / "c.yaml");
  TrainResult full = Train(SmallOptions(tmp / "c.yaml", tmp / "full"));

  // "Killed" at step 2500: checkpoints at 1000 and 2000 exist, rows up to 2500 were logged.
  TrainOptions killed = SmallOptions(tmp / "c.yaml", tmp / "resumed");
  killed.stop_after_steps = 2500;
  TrainResult part = Train(killed);
  EXPECT_FALSE(part.finished);
  EXPECT_FALSE(fs::exists(tmp / "resumed" / "summary.json"));
  EXPECT_FALSE(fs::exists(tmp / "resumed" / "checkpoints" / "step_3000"));

  TrainOptions resume;
  resume.resume = (tmp / "resumed").string();
  resume.progress = false;
  resume.verbose = false;
  TrainResult done = Train(resume);
  ASSERT_TRUE(done.finished);

  EXPECT_EQ(Slurp(tmp / "full" / "progress.csv"), Slurp(tmp / "resumed" / "progress.csv"));
  EXPECT_EQ(full.final_eval.returns, done.final_eval.returns);
  EXPECT_EQ(full.gradient_steps, done.gradient_steps);
  const fs::path a = tmp / "full" / "checkpoints" / "step_3000";
  const fs::path b = tmp / "resumed" / "checkpoints" / "step_3000";
  EXPECT_EQ(Slurp(a / "replay.bin"), Slurp(b / "replay.bin"));
  EXPECT_EQ(StateWithoutClock(a), StateWithoutClock(b));
  EXPECT_EQ(Slurp(a / "dqn.pt"), Slurp(b / "dqn.pt"));  // nets, optimizer, counters, generator
}

TEST(Trainer, CorruptCheckpointIsAClearError) {
  test::TempDir tmp;
  WriteSmallConfig(tmp / "c.yaml");
  TrainOptions o = SmallOptions(tmp / "c.yaml", tmp / "run");
  o.stop_after_steps = 1000;
  Train(o);
  const fs::path ckpt = tmp / "run" / "checkpoints" / "step_1000";
  ASSERT_TRUE(fs::exists(ckpt / "replay.bin"));
  TrainOptions resume;
  resume.resume = (tmp / "run").string();
  resume.progress = false;
  resume.verbose = false;

  // A flipped byte.
  std::string bytes = Slurp(ckpt / "replay.bin");
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x40;
  std::ofstream(ckpt / "replay.bin", std::ios::binary) << flipped;
  try {
    Train(resume);
    FAIL() << "corrupt checkpoint accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("replay.bin is corrupt"), std::string::npos) << e.what();
  }
  // A truncated file.
  std::ofstream(ckpt / "replay.bin", std::ios::binary) << bytes.substr(0, bytes.size() - 10);
  try {
    EvaluateCheckpoint((tmp / "run").string(), 1);
    FAIL() << "truncated checkpoint accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  // A missing manifest (an incomplete directory).
  std::ofstream(ckpt / "replay.bin", std::ios::binary) << bytes;
  fs::remove(ckpt / "manifest.json");
  EXPECT_THROW(Train(resume), Error);
}

TEST(Trainer, EvalAndEnjoyLoadACheckpoint) {
  test::TempDir tmp;
  WriteSmallConfig(tmp / "c.yaml");
  TrainResult r = Train(SmallOptions(tmp / "c.yaml", tmp / "run"));
  EvalResult e = EvaluateCheckpoint((tmp / "run").string(), 3);
  EXPECT_EQ(e.seed, r.final_eval_seed);
  EXPECT_EQ(e.returns, r.final_eval.returns);  // same seeds, same greedy policy
  std::ostringstream out;
  std::vector<double> returns = Enjoy((tmp / "run").string(), 1, out);
  ASSERT_EQ(returns.size(), 1u);
  EXPECT_NE(out.str().find("return"), std::string::npos);
}

// eval and enjoy play with the run's TimeLimit (trainer key max_episode_steps), not the env's.
TEST(Trainer, EvalAndEnjoyUseTheRunsTimeLimit) {
  test::TempDir tmp;
  WriteSmallConfig(tmp / "c.yaml");
  TrainOptions o = SmallOptions(tmp / "c.yaml", tmp / "run");
  o.overrides = {"max_episode_steps=7"};
  TrainResult r = Train(o);
  for (double x : r.final_eval.returns) EXPECT_LE(x, 7.0);
  EvalResult e = EvaluateCheckpoint((tmp / "run").string(), 3);
  EXPECT_EQ(e.returns, r.final_eval.returns);
  std::ostringstream out;
  std::vector<double> returns = Enjoy((tmp / "run").string(), 2, out);
  for (double x : returns) EXPECT_LE(x, 7.0);
}

// The final evaluation plays its own episodes: its seed stream is distinct from the periodic
// evaluations' (which eval_stop_return looked at) and from the training envs'.
TEST(Trainer, FinalEvaluationHasItsOwnSeeds) {
  test::TempDir tmp;
  WriteSmallConfig(tmp / "c.yaml");
  TrainOptions o = SmallOptions(tmp / "c.yaml", tmp / "run");
  o.overrides = {"eval_stop_return=1", "final_eval_episodes=4"};  // stop at the first evaluation
  TrainResult r = Train(o);
  ASSERT_TRUE(r.finished);
  EXPECT_EQ(r.env_steps, 1000);
  Policy policy((tmp / "run").string());
  EXPECT_EQ(policy.final_eval_seed(), r.final_eval_seed);
  EXPECT_EQ(r.final_eval.seed, r.final_eval_seed);
  // Periodic episodes use eval_seed + [0, eval_episodes), final ones final_eval_seed + [0, 4).
  const uint64_t a = policy.eval_seed(), b = policy.final_eval_seed();
  EXPECT_TRUE(b + 4 <= a || a + 2 <= b) << a << " " << b;
  ASSERT_EQ(r.final_eval.returns.size(), 4u);
  auto summary = nlohmann::json::parse(Slurp(tmp / "run" / "summary.json"));
  EXPECT_EQ(summary["final_eval"]["seed"].get<uint64_t>(), b);
  EXPECT_EQ(summary["final_eval"]["returns"].get<std::vector<double>>(), r.final_eval.returns);
  EXPECT_EQ(summary["last_periodic_eval_mean"].get<double>(), r.last_eval);
  // The final evaluation equals an evaluation of the checkpoint on final_eval_seed's envs, and
  // the periodic seed gives the periodic evaluation's number.
  EXPECT_EQ(EvaluateCheckpoint((tmp / "run").string(), 4).returns, r.final_eval.returns);
  EXPECT_EQ(EvaluateCheckpoint((tmp / "run").string(), 2, a).mean, r.last_eval);
}

// Every parameter and buffer of two torch archives (nets, optimizer moments), by name, bit for
// bit.
bool SameTensors(const fs::path& a, const fs::path& b) {
  auto named = [](const fs::path& p) {
    torch::jit::Module m = torch::jit::load(p.string());
    std::map<std::string, torch::Tensor> out;
    for (const auto& t : m.named_parameters(/*recurse=*/true)) out[t.name] = t.value;
    for (const auto& t : m.named_buffers(/*recurse=*/true)) out[t.name] = t.value;
    for (const auto& t : m.named_attributes(/*recurse=*/true)) {
      if (t.value.isTensor()) out[t.name] = t.value.toTensor();
    }
    return out;
  };
  // libtorch's plain optimizers key their state by the parameter's address; compare the flat
  // (fast path) state and the nets.
  auto drop_addresses = [](std::map<std::string, torch::Tensor> m) {
    std::erase_if(m, [](const auto& kv) { return kv.first.find(".0x") != std::string::npos; });
    return m;
  };
  const auto ta = drop_addresses(named(a)), tb = drop_addresses(named(b));
  if (ta.size() != tb.size() || ta.size() < 6) return false;
  for (const auto& [name, t] : ta) {
    auto it = tb.find(name);
    if (it == tb.end() || !torch::equal(t, it->second)) {
      std::cout << "differs: " << name << "\n";
      return false;
    }
  }
  return true;
}

// Same seed and config, same numbers with 1 or 2 torch intra-op threads (BLAS stays at 1 thread,
// docs/dqn.md "Determinism"), with the fast path and with plain libtorch modules.
TEST(Trainer, SameResultsWithOneOrTwoTorchThreads) {
  for (const char* fast : {"true", "false"}) {
    test::TempDir tmp;
    WriteSmallConfig(tmp / "c.yaml");
    for (const char* threads : {"1", "2"}) {
      TrainOptions o = SmallOptions(tmp / "c.yaml", tmp / threads);
      o.overrides = {std::string("torch_threads=") + threads, "n_timesteps=1500",
                     "checkpoint_freq=0", std::string("dqn.net.fast_path=") + fast};
      Train(o);
    }
    const fs::path a = tmp / "1", b = tmp / "2";
    EXPECT_EQ(Slurp(a / "progress.csv"), Slurp(b / "progress.csv")) << "fast_path " << fast;
    // Values, not bytes: the plain path's archive lists its tensors in an order that varies
    // between two runs in one process.
    EXPECT_TRUE(SameTensors(a / "checkpoints" / "step_1500" / "dqn.pt",
                            b / "checkpoints" / "step_1500" / "dqn.pt"))
        << "fast_path " << fast;
    EXPECT_EQ(Slurp(a / "checkpoints" / "step_1500" / "replay.bin"),
              Slurp(b / "checkpoints" / "step_1500" / "replay.bin"));
  }
  nets::SetNumThreads(1, 1);
}

TEST(Trainer, ProfileCoversTheRun) {
  test::TempDir tmp;
  WriteSmallConfig(tmp / "c.yaml");
  TrainOptions o = SmallOptions(tmp / "c.yaml", tmp / "run");
  o.overrides = {"profile=true", "n_timesteps=1000"};
  TrainResult r = Train(o);
  std::vector<std::string> names;
  for (const auto& [name, s] : r.profile) {
    names.push_back(name);
    if (name != "other") {
      EXPECT_GE(s, 0.0) << name;
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"env", "replay", "act", "forward", "backward",
                                             "optimizer", "update_other", "target_update", "eval",
                                             "log_checkpoint", "other", "total"}));
  auto summary = nlohmann::json::parse(Slurp(tmp / "run" / "summary.json"));
  EXPECT_GT(summary["profile_seconds"]["backward"].get<double>(), 0.0);
  EXPECT_GT(summary["profile_seconds"]["env"].get<double>(), 0.0);
  // Without the flag nothing is timed.
  TrainResult quiet = Train(SmallOptions(tmp / "c.yaml", tmp / "quiet"));
  EXPECT_TRUE(quiet.profile.empty());
}

TEST(Trainer, BadOverrideNamesTheKey) {
  test::TempDir tmp;
  WriteSmallConfig(tmp / "c.yaml");
  TrainOptions o = SmallOptions(tmp / "c.yaml", tmp / "run");
  o.overrides = {"gamma=1.5"};
  try {
    Train(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "dqn.gamma must be in [0, 1], got 1.5");
  }
}

// Every preset a learning test or the README names resolves, variants included: a preset name
// ("CartPole-v1-fast") is not an env id, and only an unmatched one is checked as an env id.
TEST(Trainer, PresetPathFindsVariantsAndNamesUnknownEnvs) {
  for (const auto& [algo, preset] :
       std::vector<std::pair<std::string, std::string>>{{"dqn", "CartPole-v1-fast"},
                                                        {"c51", "CartPole-v1-fast"},
                                                        {"qrdqn", "CartPole-v1-fast"},
                                                        {"ppo", "CartPole-v1-fast"},
                                                        {"td3", "Pendulum-v1-fast"},
                                                        {"dqn", "CartPole-v1"},
                                                        {"dqn", "MinAtar/Breakout-v1"}}) {
    const std::string path = PresetPath(algo, preset);
    EXPECT_TRUE(fs::exists(path)) << path;
    EXPECT_EQ(fs::path(path).parent_path().filename().string(), algo) << path;
  }
  EXPECT_EQ(fs::path(PresetPath("dqn", "CartPole-v1-fast")).filename().string(),
            "CartPole-v1-fast.yaml");
  try {
    PresetPath("dqn", "CartPol-v1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown environment id 'CartPol-v1' (did you mean "
                                         "'CartPole-v1'?)"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bellman::train
