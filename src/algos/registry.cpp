// The algorithm registry (include/bellman/algos/algorithm.h): ids -> config resolver + factory.
#include <fmt/format.h>

#include <algorithm>

#include "bellman/algos/algorithm.h"
#include "bellman/core/error.h"
#include "bellman/core/suggest.h"

namespace bellman::algos {

// One registration function per algorithm file.
AlgoRegistration DqnRegistration();
AlgoRegistration C51Registration();
AlgoRegistration RainbowRegistration();
AlgoRegistration QrDqnRegistration();
AlgoRegistration IqnRegistration();
AlgoRegistration IdqnRegistration();
AlgoRegistration Td3Registration();
AlgoRegistration DdpgRegistration();
AlgoRegistration SacRegistration();
AlgoRegistration PpoRegistration();
AlgoRegistration DsacTRegistration();
AlgoRegistration DecqnRegistration();
AlgoRegistration RevaluedRegistration();
AlgoRegistration CqnRegistration();

const std::vector<AlgoRegistration>& AlgoRegistry() {
  static const std::vector<AlgoRegistration> registry = [] {
    std::vector<AlgoRegistration> r{
        DqnRegistration(),      C51Registration(),  RainbowRegistration(), QrDqnRegistration(),
        IqnRegistration(),      IdqnRegistration(), Td3Registration(),     DdpgRegistration(),
        SacRegistration(),      PpoRegistration(),  DsacTRegistration(),   DecqnRegistration(),
        RevaluedRegistration(), CqnRegistration()};
    std::sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return r;
  }();
  return registry;
}

const AlgoRegistration& FindAlgo(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& r : AlgoRegistry()) {
    if (r.name == name) return r;
    names.push_back(r.name);
  }
  throw Error(fmt::format("unknown algorithm '{}'{}; algorithms: {}", name, DidYouMean(name, names),
                          fmt::join(names, ", ")));
}

}  // namespace bellman::algos
