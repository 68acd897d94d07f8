// "Did you mean ...?" for unknown names (config keys, env ids, kwargs).
#pragma once

#include <string>
#include <vector>

namespace bellman {

// Levenshtein distance between a and b.
size_t EditDistance(const std::string& a, const std::string& b);
// " (did you mean 'x'?)" for the nearest candidate within a sensible distance, else "".
std::string DidYouMean(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace bellman
