// `bellman bench mcts`: simulations/s of MuZero's search (planning::Search on the learned model
// of train/muzero.h) against bench/mcts_python.py, the paper's pseudocode search in Python with
// the same weights (Debian's python3-torch), measured in the same run on the same positions.
// The Python search is also the check: without root noise both must visit identically.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "bellman/core/error.h"
#include "bellman/envs/registry.h"
#include "bellman/train/muzero.h"
#include "commands.h"

namespace bellman::cli {

namespace {

namespace fs = std::filesystem;

struct BenchMctsOptions {
  std::vector<std::string> ids = {"CartPole-v1", "MinAtar/Breakout-v1"};
  std::string load;  // trained networks for a single --env (otherwise an untrained net)
  int64_t simulations = 50;
  int64_t positions = 20;
  int64_t leaf_batch = 8;
  double seconds = 1.0;  // minimum time of each C++ measurement
  std::string python = "/usr/bin/python3";
#ifdef BELLMAN_SOURCE_DIR
  std::string script = std::string(BELLMAN_SOURCE_DIR) + "/bench/mcts_python.py";
#else
  std::string script = "bench/mcts_python.py";
#endif
  uint64_t seed = 0;
};

std::string RunCommand(const std::string& cmd) {
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) throw Error(fmt::format("cannot run: {}", cmd));
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  if (status != 0) {
    throw Error(fmt::format("the Python baseline failed (status {}): {}\n{}", status, cmd, out));
  }
  return out;
}

// Root observations along a random-action trajectory (resets when it ends).
std::vector<std::vector<std::byte>> Positions(const std::string& id, int64_t n, uint64_t seed) {
  std::unique_ptr<Env> env = MakeEnv(id);
  Rng rng(seed);
  std::vector<std::byte> obs(env->observation_space().byte_size());
  env->Reset(seed, obs.data());
  std::vector<std::vector<std::byte>> out;
  const int64_t na = env->action_space().n(), start = env->action_space().start();
  while (static_cast<int64_t>(out.size()) < n) {
    out.push_back(obs);
    for (int k = 0; k < 3; ++k) {
      const int64_t a = start + rng.Integers(0, na);
      const StepResult r = env->Step(&a, obs.data());
      if (r.terminated || r.truncated) env->Reset(std::nullopt, obs.data());
    }
  }
  return out;
}

// Simulations/s of the C++ search over the positions, repeated for at least `seconds`; the
// visit counts of the first pass.
double TimeSearch(const train::MuZeroAgent& agent, const std::vector<std::vector<std::byte>>& pos,
                  const planning::MctsConfig& c, double seconds,
                  std::vector<std::vector<int64_t>>* visits) {
  Rng unused(0);
  int64_t sims = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0.0;
  do {
    for (const auto& p : pos) {
      const auto model = agent.Model(p.data());
      const planning::MctsResult r = planning::Search(*model, c, unused);
      if (visits != nullptr && visits->size() < pos.size()) visits->push_back(r.visits);
      sims += c.num_simulations;
    }
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(sims) / elapsed;
}

void RunBenchMcts(const BenchMctsOptions& o) {
  if (!o.load.empty() && o.ids.size() != 1) {
    throw Error("bench mcts --load needs exactly one --env (the networks' env)");
  }
  const fs::path dir = fs::temp_directory_path() / fmt::format("bellman-bench-mcts-{}", getpid());
  fs::create_directories(dir);
  fmt::print(
      "bellman bench mcts: {} simulations per search, {} positions, {} hardware threads, "
      "one thread each side; Python: {} {}\n",
      o.simulations, o.positions, std::thread::hardware_concurrency(), o.python, o.script);
  fmt::print("{:<22} {:>12} {:>16} {:>12} {:>8} {:>14}\n", "env", "C++ sims/s",
             fmt::format("C++ batch {}/s", o.leaf_batch), "Python/s", "ratio", "same visits");
  bool all_same = true;
  for (const std::string& id : o.ids) {
    train::MuZeroConfig c;
    c.env_id = id;
    c.seed = o.seed;
    train::MuZeroAgent agent = train::MakeMuZeroAgent(c);
    if (!o.load.empty()) agent.Load(o.load);
    const std::vector<std::vector<std::byte>> pos = Positions(id, o.positions, o.seed);
    const fs::path nets = dir / "nets.json", obs = dir / "obs.f32";
    agent.ExportJson(nets.string());
    {
      const Space os = MakeEnv(id)->observation_space();
      std::ofstream f(obs, std::ios::binary);
      for (const auto& p : pos) {
        std::vector<float> row;
        if (os.dtype() == DType::kUint8) {
          for (std::byte b : p) row.push_back(static_cast<float>(std::to_integer<uint8_t>(b)));
        } else if (os.dtype() == DType::kFloat32) {
          row.resize(p.size() / sizeof(float));
          std::memcpy(row.data(), p.data(), p.size());
        } else {
          throw Error(fmt::format("bench mcts: {} has {} observations", id, os.ToString()));
        }
        f.write(reinterpret_cast<const char*>(row.data()),
                static_cast<std::streamsize>(row.size() * sizeof(float)));
      }
    }
    planning::MctsConfig mc = c.mcts;
    mc.num_simulations = o.simulations;
    mc.root_noise = false;
    std::vector<std::vector<int64_t>> visits;
    const double cpp = TimeSearch(agent, pos, mc, o.seconds, &visits);
    mc.leaf_batch = o.leaf_batch;
    const double cpp_batched = TimeSearch(agent, pos, mc, o.seconds, nullptr);
    const std::string out = RunCommand(
        fmt::format("'{}' '{}' --nets '{}' --obs '{}' --simulations {} --gamma {} --pb-c-init {} "
                    "--pb-c-base {} 2>&1",
                    o.python, o.script, nets.string(), obs.string(), o.simulations, c.mcts.gamma,
                    c.mcts.pb_c_init, c.mcts.pb_c_base));
    nlohmann::json py;
    try {
      py = nlohmann::json::parse(out.substr(out.find('{')));
    } catch (const std::exception& e) {
      throw Error(fmt::format("cannot read the Python baseline's output: {}\n{}", e.what(), out));
    }
    const auto py_visits = py.at("visits").get<std::vector<std::vector<int64_t>>>();
    int64_t same = 0;
    for (size_t i = 0; i < visits.size() && i < py_visits.size(); ++i)
      same += visits[i] == py_visits[i];
    all_same = all_same && same == static_cast<int64_t>(pos.size());
    const double python = py.at("sims_per_s").get<double>();
    fmt::print("{:<22} {:>12.0f} {:>16.0f} {:>12.0f} {:>7.1f}x {:>8}/{:<5}\n", id, cpp, cpp_batched,
               python, cpp / python, same, pos.size());
  }
  fs::remove_all(dir);
  if (!all_same) {
    throw Error("the C++ and Python searches visited differently on some positions");
  }
}

}  // namespace

void AddBenchMctsCommand(CLI::App& bench) {
  auto o = std::make_shared<BenchMctsOptions>();
  CLI::App* cmd = bench.add_subcommand(
      "mcts", "MuZero search simulations/s against the pseudocode's search in Python");
  cmd->add_option("--env", o->ids, "env ids (Discrete actions)")->capture_default_str();
  cmd->add_option("--load", o->load, "trained MuZero networks (bellman muzero --out) for one env");
  cmd->add_option("--simulations", o->simulations, "simulations per search")->capture_default_str();
  cmd->add_option("--positions", o->positions, "root positions searched")->capture_default_str();
  cmd->add_option("--leaf-batch", o->leaf_batch, "leaves per model call, second C++ column")
      ->capture_default_str();
  cmd->add_option("--seconds", o->seconds, "minimum time of each C++ measurement")
      ->capture_default_str();
  cmd->add_option("--python", o->python, "Python with torch")->capture_default_str();
  cmd->add_option("--script", o->script, "the Python search")->capture_default_str();
  cmd->add_option("--seed", o->seed, "network and position seed")->capture_default_str();
  cmd->callback([o] { RunBenchMcts(*o); });
}

}  // namespace bellman::cli
