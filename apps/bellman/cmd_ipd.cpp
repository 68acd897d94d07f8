// `bellman ipd`: two learners on the memory-1 iterated prisoner's dilemma with exact values
// (train/ipd_learners.h), one row per seed and the mean: reward per step, the discounted
// frequency of each joint outcome, and each agent's cooperation probabilities.
#include <fmt/format.h>

#include <algorithm>

#include "bellman/core/error.h"
#include "bellman/train/ipd_learners.h"
#include "commands.h"

namespace bellman::cli {

namespace {

struct IpdOptions {
  train::IpdLearningConfig config;
  std::string learners = "loqa,loqa";
  std::string seeds = "1-10";
};

// "3", "1-10" or "1,4,7".
std::vector<uint64_t> ParseSeedList(const std::string& text) {
  std::vector<uint64_t> out;
  size_t start = 0;
  try {
    while (start <= text.size()) {
      const size_t comma = std::min(text.find(',', start), text.size());
      const std::string item = text.substr(start, comma - start);
      const size_t dash = item.find('-');
      if (dash == std::string::npos) {
        out.push_back(std::stoull(item));
      } else {
        const uint64_t lo = std::stoull(item.substr(0, dash)),
                       hi = std::stoull(item.substr(dash + 1));
        if (hi < lo || hi - lo > 100000) throw std::invalid_argument("range");
        for (uint64_t s = lo; s <= hi; ++s) out.push_back(s);
      }
      start = comma + 1;
    }
  } catch (const std::exception&) {
    throw Error(
        fmt::format("--seeds '{}' is not a seed list; expected e.g. 3, 1-10 or 1,4,7", text));
  }
  return out;
}

void RunIpd(IpdOptions o) {
  const size_t comma = o.learners.find(',');
  if (comma == std::string::npos) {
    throw Error(fmt::format("--learners '{}' must name two learners, e.g. loqa,naive", o.learners));
  }
  o.config.learners = {o.learners.substr(0, comma), o.learners.substr(comma + 1)};
  o.config.Validate();
  fmt::print("memory-1 IPD, exact values, gamma {}, {} steps of lr {}, learners {} vs {}\n",
             o.config.gamma, o.config.steps, o.config.lr, o.config.learners[0],
             o.config.learners[1]);
  fmt::print(
      "{:>5} {:>9} {:>9} {:>6} {:>6} {:>6} {:>6}   P(C | start, CC, CD, DC, DD) of agent 0; of "
      "agent 1\n",
      "seed", "reward0", "reward1", "CC", "CD", "DC", "DD");
  const std::vector<uint64_t> seeds = ParseSeedList(o.seeds);
  std::array<double, 6> mean{};
  for (uint64_t seed : seeds) {
    o.config.seed = seed;
    const train::IpdLearningResult r = train::TrainIpdPair(o.config);
    fmt::print("{:>5} {:>9.4f} {:>9.4f} {:>6.3f} {:>6.3f} {:>6.3f} {:>6.3f}   [{:.2f}]; [{:.2f}]\n",
               seed, r.average_reward[0], r.average_reward[1], r.occupancy[0], r.occupancy[1],
               r.occupancy[2], r.occupancy[3], fmt::join(r.cooperate[0], " "),
               fmt::join(r.cooperate[1], " "));
    mean[0] += r.average_reward[0];
    mean[1] += r.average_reward[1];
    for (size_t k = 0; k < 4; ++k) mean[2 + k] += r.occupancy[k];
  }
  for (double& m : mean) m /= static_cast<double>(seeds.size());
  fmt::print("{:>5} {:>9.4f} {:>9.4f} {:>6.3f} {:>6.3f} {:>6.3f} {:>6.3f}\n", "mean", mean[0],
             mean[1], mean[2], mean[3], mean[4], mean[5]);
}

}  // namespace

void AddIpdCommand(CLI::App& app) {
  auto o = std::make_shared<IpdOptions>();
  CLI::App* cmd = app.add_subcommand(
      "ipd", "Naive learners and LOQA on the memory-1 iterated prisoner's dilemma (exact values)");
  cmd->add_option("--learners", o->learners, "two of naive | loqa, comma-separated")
      ->capture_default_str();
  cmd->add_option("--seeds", o->seeds, "seeds: 3, 1-10 or 1,4,7")->capture_default_str();
  cmd->add_option("--steps", o->config.steps, "gradient steps")->capture_default_str();
  cmd->add_option("--lr", o->config.lr, "learning rate")->capture_default_str();
  cmd->add_option("--gamma", o->config.gamma, "discount")->capture_default_str();
  cmd->add_option("--temperature", o->config.temperature,
                  "LOQA's opponent model: softmax(Q / temperature)")
      ->capture_default_str();
  cmd->callback([o] { RunIpd(*o); });
}

}  // namespace bellman::cli
