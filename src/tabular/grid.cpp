// Grid pictures of V and greedy policies for FrozenLake and CliffWalking.
#include "bellman/tabular/grid.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "bellman/core/error.h"

namespace bellman::tabular {

namespace {

// Display width of a UTF-8 string: one column per code point (the arrows are single-width).
size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Appends s right-aligned in `width` columns. (append, not operator+: GCC 12 -O3 raises a false
// -Wrestrict on std::string concatenation.)
void AppendPadded(std::string& out, const std::string& s, size_t width) {
  const size_t w = DisplayWidth(s);
  if (w < width) out.append(width - w, ' ');
  out.append(s);
}

std::string Block(const std::vector<std::string>& cells, int64_t nrow, int64_t ncol) {
  size_t width = 1;
  for (const std::string& c : cells) width = std::max(width, DisplayWidth(c));
  std::string out;
  for (int64_t r = 0; r < nrow; ++r) {
    for (int64_t c = 0; c < ncol; ++c) {
      out.append(c == 0 ? "  " : " ");
      AppendPadded(out, cells[r * ncol + c], width);
    }
    out += '\n';
  }
  return out;
}

// Gymnasium's FrozenLake MAPS.
constexpr const char* kFrozenLake4x4[] = {"SFFF", "FHFH", "FFFH", "HFFG"};
constexpr const char* kFrozenLake8x8[] = {"SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF",
                                          "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"};

std::optional<GridLayout> FrozenLakeLayout(const EnvArgs& args, const std::string& default_map) {
  GridLayout g;
  g.action_arrows = {"←", "↓", "→", "↑"};  // LEFT DOWN RIGHT UP
  std::optional<std::vector<std::string>> desc;
  if (auto it = args.find("desc"); it != args.end()) {
    if (auto* d = std::get_if<std::vector<std::string>>(&it->second)) desc = *d;
  }
  if (!desc) {
    std::optional<std::string> map_name = default_map;
    if (auto it = args.find("map_name"); it != args.end()) {
      if (auto* m = std::get_if<std::string>(&it->second)) {
        map_name = *m;
      } else if (std::holds_alternative<std::monostate>(it->second)) {
        map_name.reset();
      }
    }
    if (!map_name) {
      // desc=None, map_name=None: Gymnasium draws a random 8x8 map that P alone does not reveal.
      g.nrow = g.ncol = 8;
      return g;
    }
    if (*map_name == "4x4") {
      desc = std::vector<std::string>(std::begin(kFrozenLake4x4), std::end(kFrozenLake4x4));
    } else if (*map_name == "8x8") {
      desc = std::vector<std::string>(std::begin(kFrozenLake8x8), std::end(kFrozenLake8x8));
    } else {
      return std::nullopt;
    }
  }
  if (desc->empty() || (*desc)[0].empty()) return std::nullopt;
  g.nrow = static_cast<int64_t>(desc->size());
  g.ncol = static_cast<int64_t>((*desc)[0].size());
  for (const std::string& row : *desc) {
    if (static_cast<int64_t>(row.size()) != g.ncol) return std::nullopt;
    for (char c : row) g.cell_labels.push_back(c == 'H' || c == 'G' ? std::string(1, c) : "");
  }
  return g;
}

}  // namespace

std::optional<GridLayout> GridLayoutFor(const std::string& env_id, const EnvArgs& args) {
  if (env_id == "FrozenLake-v1") return FrozenLakeLayout(args, "4x4");
  if (env_id == "FrozenLake8x8-v1") return FrozenLakeLayout(args, "8x8");
  if (env_id == "CliffWalking-v1" || env_id == "CliffWalkingSlippery-v1") {
    GridLayout g;
    g.nrow = 4;
    g.ncol = 12;
    g.action_arrows = {"↑", "→", "↓", "←"};  // UP RIGHT DOWN LEFT
    for (int64_t s = 0; s < 48; ++s) {
      const bool cliff = s / 12 == 3 && s % 12 >= 1 && s % 12 <= 10;
      g.cell_labels.emplace_back(cliff ? "C" : s == 47 ? "G" : "");
    }
    return g;
  }
  return std::nullopt;
}

std::string FormatGrid(const std::vector<double>& V, const std::vector<int64_t>& policy,
                       int64_t nrow, int64_t ncol, const std::vector<std::string>& action_arrows,
                       const std::vector<std::string>& cell_labels, int precision) {
  if (nrow <= 0 || ncol <= 0) {
    throw Error(fmt::format("FormatGrid: grid must be at least 1 x 1, got {} x {}", nrow, ncol));
  }
  const size_t n = static_cast<size_t>(nrow * ncol);
  if (V.size() != n || policy.size() != n) {
    throw Error(fmt::format("FormatGrid: V has {} and policy {} entries, expected {} x {} = {}",
                            V.size(), policy.size(), nrow, ncol, n));
  }
  if (!cell_labels.empty() && cell_labels.size() != n) {
    throw Error(fmt::format("FormatGrid: cell_labels has {} entries, expected 0 or {}",
                            cell_labels.size(), n));
  }
  if (precision < 0 || precision > 17) {
    throw Error(fmt::format("FormatGrid: precision must be in [0, 17], got {}", precision));
  }
  std::vector<std::string> values, arrows;
  for (size_t s = 0; s < n; ++s) {
    values.push_back(fmt::format("{:.{}f}", V[s], precision));
    if (!cell_labels.empty() && !cell_labels[s].empty()) {
      arrows.push_back(cell_labels[s]);
      continue;
    }
    const int64_t a = policy[s];
    if (a < 0 || a >= static_cast<int64_t>(action_arrows.size())) {
      throw Error(fmt::format("FormatGrid: policy[{}] = {} has no arrow (action_arrows has {})", s,
                              a, action_arrows.size()));
    }
    arrows.push_back(action_arrows[a]);
  }
  std::string out = "V:\n";
  out.append(Block(values, nrow, ncol));
  out.append("policy:\n");
  out.append(Block(arrows, nrow, ncol));
  return out;
}

std::string FormatGrid(const std::vector<double>& V, const std::vector<int64_t>& policy,
                       const GridLayout& layout, int precision) {
  return FormatGrid(V, policy, layout.nrow, layout.ncol, layout.action_arrows, layout.cell_labels,
                    precision);
}

}  // namespace bellman::tabular
