// Minari's dataset folder (minari/dataset/minari_storage.py, _storages/hdf5_storage.py) and
// D4RL's flat HDF5 file, read and written through io/hdf5.h. docs/offline.md lists every field.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "bellman/core/error.h"
#include "bellman/io/atomic_file.h"
#include "bellman/io/dataset.h"
#include "io/hdf5.h"

namespace bellman::io {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// The minari_version written: Minari 0.5.3 accepts datasets claiming 0.4.0 ... 0.5.3 exactly
// (minari/dataset/minari_dataset.py, supported_dataset_versions).
constexpr const char* kMinariVersion = "0.5.3";

// Python's json writes +-inf as the bare tokens Infinity / -Infinity (and NaN), which nlohmann
// neither writes nor reads: bounds go out as sentinel strings replaced afterwards, and come in
// with the tokens turned into strings first.
constexpr const char* kPosInf = "__bellman_inf__";
constexpr const char* kNegInf = "__bellman_-inf__";

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// Box bounds as numpy's tolist() of the space's dtype gives them: float32 values widened to
// double (4.800000190734863), integers as integers.
nlohmann::ordered_json Bounds(const std::vector<double>& v, DType dtype) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (double x : v) {
    if (std::isinf(x)) {
      a.push_back(x > 0 ? kPosInf : kNegInf);
    } else if (dtype == DType::kFloat32) {
      a.push_back(static_cast<double>(static_cast<float>(x)));
    } else if (dtype == DType::kFloat64) {
      a.push_back(x);
    } else {
      a.push_back(static_cast<int64_t>(x));
    }
  }
  return a;
}

// Python json's non-standard tokens (outside strings) as strings nlohmann can parse.
std::string QuoteNonFinite(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      continue;
    }
    bool matched = false;
    for (const char* token : {"-Infinity", "Infinity", "NaN"}) {
      const size_t n = std::strlen(token);
      if (text.compare(i, n, token) == 0) {
        out += std::string("\"") + token + "\"";
        i += n - 1;
        matched = true;
        break;
      }
    }
    if (!matched) out += c;
  }
  return out;
}

double BoundValue(const json& x, const std::string& what) {
  if (x.is_number()) return x.get<double>();
  if (x.is_string()) {
    const std::string s = x.get<std::string>();
    if (s == "inf" || s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-inf" || s == "-Infinity") return -std::numeric_limits<double>::infinity();
    throw Error(fmt::format("{}: bound {} is not a number (NaN bounds are not allowed)", what, s));
  }
  throw Error(fmt::format("{}: bound {} is not a number", what, x.dump()));
}

DType DTypeFromName(const std::string& name, const std::string& what) {
  for (DType d : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt8, DType::kUint8}) {
    if (DTypeName(d) == name) return d;
  }
  throw Error(
      fmt::format("{}: dtype '{}' is not one of float32, float64, int64, int8, uint8", what, name));
}

std::string EpisodeGroup(int64_t e) { return fmt::format("episode_{}", e); }

// Reads a column of `rows` rows shaped like `space`, as its dtype; errors name the field.
std::vector<std::byte> ReadColumn(const h5::File& f, const std::string& path, const Space& space,
                                  int64_t rows) {
  h5::Array a = h5::Read(f, path, h5::ElemOf(space.dtype()));
  std::vector<int64_t> want = {rows};
  if (space.kind() == Space::Kind::kBox)
    want.insert(want.end(), space.shape().begin(), space.shape().end());
  std::vector<int64_t> got = a.shape;
  // A Box of shape (1,) stored as a flat column, or Discrete stored as (T, 1), are the same data.
  int64_t got_n = 1, want_n = 1;
  for (auto d : got) got_n *= d;
  for (auto d : want) want_n *= d;
  if (got.empty() || got[0] != rows || got_n != want_n) {
    std::string g, w;
    for (auto d : got) g += fmt::format("{}{}", g.empty() ? "" : ", ", d);
    for (auto d : want) w += fmt::format("{}{}", w.empty() ? "" : ", ", d);
    throw Error(fmt::format("{}: field '{}' has shape ({}), expected ({}) for {}", f.name(), path,
                            g, w, space.ToString()));
  }
  const bool float_space = space.dtype() == DType::kFloat32 || space.dtype() == DType::kFloat64;
  const bool float_stored = a.stored == h5::Elem::kFloat32 || a.stored == h5::Elem::kFloat64;
  if (!float_space && float_stored) {
    throw Error(fmt::format("{}: field '{}' is {}, expected {} for {}", f.name(), path,
                            h5::ElemName(a.stored), DTypeName(space.dtype()), space.ToString()));
  }
  return std::move(a.bytes);
}

std::vector<uint8_t> ReadFlags(const h5::File& f, const std::string& path, int64_t rows) {
  h5::Array a = h5::Read(f, path, h5::Elem::kUint8);
  if (a.shape.size() != 1 || a.shape[0] != rows) {
    throw Error(fmt::format("{}: field '{}' has {} rows, expected {}", f.name(), path,
                            a.shape.empty() ? 0 : a.shape[0], rows));
  }
  std::vector<uint8_t> v(static_cast<size_t>(rows));
  std::memcpy(v.data(), a.bytes.data(), v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] > 1)
      throw Error(
          fmt::format("{}: field '{}' row {} is {}, expected 0 or 1", f.name(), path, i, v[i]));
  }
  return v;
}

// A reward column of `rows` rows (-1: any number, as an episode's rewards define its length).
std::vector<double> ReadRewards(const h5::File& f, const std::string& path, int64_t rows) {
  h5::Array a = h5::Read(f, path, h5::Elem::kFloat64);
  int64_t n = 1;
  for (auto d : a.shape) n *= d;
  if (rows < 0 && !a.shape.empty()) rows = a.shape[0];
  if (a.shape.empty() || a.shape[0] != rows || n != rows) {
    throw Error(fmt::format("{}: field '{}' has {} rows, expected {}", f.name(), path,
                            a.shape.empty() ? 0 : a.shape[0], rows));
  }
  std::vector<double> v(static_cast<size_t>(rows));
  std::memcpy(v.data(), a.bytes.data(), v.size() * sizeof(double));
  return v;
}

std::vector<int64_t> ShapeOf(const Space& s, int64_t rows) {
  std::vector<int64_t> shape = {rows};
  if (s.kind() == Space::Kind::kBox) shape.insert(shape.end(), s.shape().begin(), s.shape().end());
  return shape;
}

json MetadataJson(const Dataset& d) {
  const DatasetMetadata& m = d.metadata();
  json j = {{"dataset_id", m.dataset_id},
            {"total_episodes", d.num_episodes()},
            {"total_steps", d.total_steps()},
            {"data_format", "hdf5"},
            {"jpeg_encoding", false},
            {"minari_version", m.minari_version.empty() ? kMinariVersion : m.minari_version},
            {"observation_space", SpaceToMinariJson(d.observation_space())},
            {"action_space", SpaceToMinariJson(d.action_space())},
            {"algorithm_name", m.algorithm_name},
            {"author", json::array({m.author})},
            {"author_email", json::array({m.author_email})},
            {"code_permalink", m.code_permalink},
            {"description", m.description},
            {"requirements", json::array()}};
  if (!m.env_spec_json.empty()) {
    j["env_spec"] = m.env_spec_json;
    j["eval_env_spec"] = m.env_spec_json;
  }
  if (m.ref_min_score) j["ref_min_score"] = *m.ref_min_score;
  if (m.ref_max_score) j["ref_max_score"] = *m.ref_max_score;
  return j;
}

std::string FirstOrString(const json& j, const char* key) {
  if (!j.contains(key)) return "";
  const json& v = j.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && !v.empty() && v[0].is_string()) return v[0].get<std::string>();
  return "";
}

DatasetMetadata MetadataFromJson(const json& j, const std::string& file) {
  DatasetMetadata m;
  if (!j.is_object()) throw Error(fmt::format("{}: expected a JSON object", file));
  for (const char* key : {"dataset_id", "observation_space", "action_space", "data_format"}) {
    if (!j.contains(key)) throw Error(fmt::format("{}: missing field '{}'", file, key));
  }
  const std::string format = j.at("data_format").get<std::string>();
  if (format != "hdf5") {
    throw Error(
        fmt::format("{}: data_format '{}' is not supported (expected 'hdf5')", file, format));
  }
  m.dataset_id = j.at("dataset_id").get<std::string>();
  m.minari_version = j.value("minari_version", "");
  if (m.minari_version.empty()) {
    throw Error(fmt::format("{}: missing field 'minari_version'", file));
  }
  // The dataset versions Minari 0.5.3 reads (0.4.0 ... 0.5.3); ">=" specifiers of older
  // bellman files are not Minari's and are refused too.
  static const char* const kSupported[] = {"0.4.0", "0.4.1", "0.4.2", "0.4.3",
                                           "0.5.0", "0.5.1", "0.5.2", "0.5.3"};
  bool supported = false;
  for (const char* v : kSupported) supported = supported || m.minari_version == v;
  if (!supported) {
    throw Error(fmt::format(
        "{}: minari_version '{}' is not a dataset version this reader knows (0.4.0 ... 0.5.3)",
        file, m.minari_version));
  }
  if (j.value("jpeg_encoding", false) == true) {
    // Minari stores uint8 image spaces (>= 32x32, bounds 0..255) as JPEG bytes then.
    m.jpeg_encoding = true;
  }
  if (j.contains("env_spec") && j.at("env_spec").is_string()) {
    m.env_spec_json = j.at("env_spec").get<std::string>();
    const json spec = json::parse(m.env_spec_json, nullptr, false);
    if (spec.is_object()) {
      m.env_id = spec.value("id", "");
      if (spec.contains("max_episode_steps") && spec.at("max_episode_steps").is_number()) {
        m.max_episode_steps = spec.at("max_episode_steps").get<int64_t>();
      }
    }
  }
  if (j.contains("ref_min_score") && j.at("ref_min_score").is_number()) {
    m.ref_min_score = j.at("ref_min_score").get<double>();
  }
  if (j.contains("ref_max_score") && j.at("ref_max_score").is_number()) {
    m.ref_max_score = j.at("ref_max_score").get<double>();
  }
  m.algorithm_name = j.value("algorithm_name", "");
  m.author = FirstOrString(j, "author");
  m.author_email = FirstOrString(j, "author_email");
  m.code_permalink = j.value("code_permalink", "");
  m.description = j.value("description", "");
  return m;
}

Dataset ReadMinari(const fs::path& metadata_path, const fs::path& hdf5_path) {
  const std::string file = metadata_path.string();
  const json j = json::parse(QuoteNonFinite(ReadFile(metadata_path)), nullptr, false);
  if (j.is_discarded()) throw Error(fmt::format("{}: not valid JSON", file));
  DatasetMetadata m = MetadataFromJson(j, file);
  Space obs_space = SpaceFromMinariJson(j.at("observation_space").get<std::string>(),
                                        file + ": observation_space");
  Space act_space =
      SpaceFromMinariJson(j.at("action_space").get<std::string>(), file + ": action_space");
  Dataset d(obs_space, act_space, m);
  h5::File f = h5::File::Open(hdf5_path);
  // Episodes by id (episode_0, episode_1, ...), not by HDF5's name order (episode_10 < _2).
  const std::vector<std::string> members = h5::Members(f, "/");
  int64_t n = 0;
  for (const auto& name : members) {
    if (name.rfind("episode_", 0) == 0) ++n;
  }
  for (int64_t e = 0; e < n; ++e) {
    const std::string g = EpisodeGroup(e);
    if (!h5::IsGroup(f, g)) {
      throw Error(fmt::format("{}: missing group '{}' ({} episode groups)", f.name(), g, n));
    }
    const std::vector<double> rewards = ReadRewards(f, g + "/rewards", /*rows=*/-1);
    const auto t = static_cast<int64_t>(rewards.size());
    try {
      d.AddEpisode(ReadColumn(f, g + "/observations", obs_space, t + 1),
                   ReadColumn(f, g + "/actions", act_space, t), rewards,
                   ReadFlags(f, g + "/terminations", t), ReadFlags(f, g + "/truncations", t),
                   h5::ReadIntAttr(f, g, "seed"));
    } catch (const Error& err) {
      const std::string what = err.what();
      if (what.rfind(f.name(), 0) == 0) throw;
      throw Error(fmt::format("{}: {}", f.name(), what));
    }
  }
  if (j.contains("total_steps") && j.at("total_steps").is_number() &&
      j.at("total_steps").get<int64_t>() != d.total_steps()) {
    throw Error(fmt::format("{}: total_steps is {}, the episodes in {} hold {}", file,
                            j.at("total_steps").get<int64_t>(), f.name(), d.total_steps()));
  }
  return d;
}

void WriteEpisodes(const Dataset& d, const h5::File& f) {
  const size_t ob = d.obs_bytes(), ab = d.action_bytes();
  for (int64_t e = 0; e < d.num_episodes(); ++e) {
    const std::string g = EpisodeGroup(e);
    h5::CreateGroup(f, g);
    h5::CreateGroup(f, g + "/infos");
    const int64_t t = d.steps(e), first = d.first_step(e);
    const std::byte* obs = d.observations().data() + static_cast<size_t>(first + e) * ob;
    h5::Write(f, g + "/observations", h5::ElemOf(d.observation_space().dtype()),
              ShapeOf(d.observation_space(), t + 1), obs);
    h5::Write(f, g + "/actions", h5::ElemOf(d.action_space().dtype()), ShapeOf(d.action_space(), t),
              d.actions().data() + static_cast<size_t>(first) * ab);
    h5::Write(f, g + "/rewards", h5::Elem::kFloat64, {t}, d.rewards().data() + first);
    h5::Write(f, g + "/terminations", h5::Elem::kBool, {t}, d.terminations().data() + first);
    h5::Write(f, g + "/truncations", h5::Elem::kBool, {t}, d.truncations().data() + first);
    h5::WriteAttr(f, g, "id", e);
    h5::WriteAttr(f, g, "total_steps", t);
    if (d.seed(e)) h5::WriteAttr(f, g, "seed", *d.seed(e));  // absent when None, as Minari
  }
}

}  // namespace

std::string SpaceToMinariJson(const Space& s) {
  nlohmann::ordered_json j;  // Minari's key order
  switch (s.kind()) {
    case Space::Kind::kDiscrete:
      j = {{"type", "Discrete"}, {"dtype", "int64"}, {"start", s.start()}, {"n", s.n()}};
      break;
    case Space::Kind::kBox:
      j = {{"type", "Box"},
           {"dtype", DTypeName(s.dtype())},
           {"shape", s.shape()},
           {"low", Bounds(s.low(), s.dtype())},
           {"high", Bounds(s.high(), s.dtype())}};
      break;
    default:
      throw Error(fmt::format("datasets hold Discrete or Box spaces, got {}", s.ToString()));
  }
  // Python json's Infinity tokens in place of the sentinels (compact separators: both parse).
  std::string text = j.dump();
  ReplaceAll(text, std::string("\"") + kPosInf + "\"", "Infinity");
  ReplaceAll(text, std::string("\"") + kNegInf + "\"", "-Infinity");
  return text;
}

Space SpaceFromMinariJson(const std::string& text, const std::string& what) {
  const json j = json::parse(QuoteNonFinite(text), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type")) {
    throw Error(fmt::format("{}: not a serialised space: {}", what, text.substr(0, 80)));
  }
  const std::string type = j.at("type").get<std::string>();
  if (type == "Discrete") {
    return Space::Discrete(j.at("n").get<int64_t>(), j.value("start", int64_t{0}));
  }
  if (type == "Box") {
    const auto shape = j.at("shape").get<std::vector<int64_t>>();
    const DType dtype = DTypeFromName(j.at("dtype").get<std::string>(), what);
    int64_t n = 1;
    for (auto x : shape) n *= x;
    std::vector<double> low, high;
    for (const auto& x : j.at("low")) low.push_back(BoundValue(x, what));
    for (const auto& x : j.at("high")) high.push_back(BoundValue(x, what));
    if (static_cast<int64_t>(low.size()) != n || static_cast<int64_t>(high.size()) != n) {
      throw Error(fmt::format("{}: Box low/high have {}/{} values, shape needs {}", what,
                              low.size(), high.size(), n));
    }
    return Space::Box(low, high, shape, dtype);
  }
  throw Error(fmt::format("{}: space type '{}' is not supported (Discrete or Box)", what, type));
}

void WriteMinari(const Dataset& d, const fs::path& dir) {
  if (fs::exists(dir) && !(fs::is_directory(dir) && fs::is_empty(dir))) {
    throw Error(fmt::format("dataset folder '{}' already exists; choose another --out or remove it",
                            dir.string()));
  }
  if (fs::exists(dir)) fs::remove(dir);
  if (!dir.parent_path().empty()) fs::create_directories(dir.parent_path());
  AtomicDirectory out(dir);
  fs::create_directories(out.path() / "data");
  {
    h5::File f = h5::File::Create(out.path() / "data" / "main_data.hdf5");
    WriteEpisodes(d, f);
    f.Flush();
  }
  out.WriteFile("data/metadata.json", MetadataJson(d).dump(2) + "\n");
  out.Commit();
}

void WriteD4rl(const Dataset& d, const fs::path& file) {
  const int64_t n = d.total_steps();
  const size_t ob = d.obs_bytes();
  std::vector<std::byte> obs(static_cast<size_t>(n) * ob), next(static_cast<size_t>(n) * ob);
  for (int64_t t = 0; t < n; ++t) {
    const std::byte* row = d.obs_row_of_step(t);
    std::memcpy(obs.data() + static_cast<size_t>(t) * ob, row, ob);
    std::memcpy(next.data() + static_cast<size_t>(t) * ob, row + ob, ob);
  }
  // D4RL stores float32 rewards and bool terminals/timeouts; a timeout marks the last step of
  // every episode that did not terminate (so episodes split back exactly).
  std::vector<float> rewards(d.rewards().begin(), d.rewards().end());
  std::vector<uint8_t> timeouts(d.truncations());
  for (int64_t e = 0; e < d.num_episodes(); ++e) {
    const auto last = static_cast<size_t>(d.first_step(e) + d.steps(e) - 1);
    if (!d.terminations()[last]) timeouts[last] = 1;
  }
  const fs::path tmp = file.parent_path() / (".tmp-" + file.filename().string());
  {
    h5::File f = h5::File::Create(tmp);
    const h5::Elem obs_elem = h5::ElemOf(d.observation_space().dtype());
    h5::Write(f, "observations", obs_elem, ShapeOf(d.observation_space(), n), obs.data());
    h5::Write(f, "next_observations", obs_elem, ShapeOf(d.observation_space(), n), next.data());
    h5::Write(f, "actions", h5::ElemOf(d.action_space().dtype()), ShapeOf(d.action_space(), n),
              d.actions().data());
    h5::Write(f, "rewards", h5::Elem::kFloat32, {n}, rewards.data());
    h5::Write(f, "terminals", h5::Elem::kBool, {n}, d.terminations().data());
    h5::Write(f, "timeouts", h5::Elem::kBool, {n}, timeouts.data());
    f.Flush();
  }
  FsyncPath(tmp);
  fs::rename(tmp, file);
  FsyncPath(file.parent_path().empty() ? fs::path(".") : file.parent_path());
}

Dataset ReadDataset(const fs::path& path, const std::optional<Space>& observation_space,
                    const std::optional<Space>& action_space) {
  if (fs::is_directory(path)) {
    for (const fs::path& dir : {path / "data", path}) {
      if (fs::exists(dir / "metadata.json")) {
        return ReadMinari(dir / "metadata.json", dir / "main_data.hdf5");
      }
    }
    throw Error(
        fmt::format("'{}' is not a Minari dataset folder (no data/metadata.json or metadata.json)",
                    path.string()));
  }
  // D4RL's flat file.
  h5::File f = h5::File::Open(path);
  for (const char* key : {"observations", "actions", "rewards", "terminals"}) {
    if (!h5::Exists(f, key)) throw Error(fmt::format("{}: missing field '{}'", f.name(), key));
  }
  h5::Array probe_obs = h5::Read(f, "observations", h5::Elem::kFloat32);
  h5::Array probe_act = h5::Read(f, "actions", h5::Elem::kFloat32);
  const int64_t n = probe_obs.rows();
  auto inferred = [](const h5::Array& a) {
    std::vector<int64_t> shape;
    for (size_t k = 1; k < a.shape.size(); ++k) shape.push_back(a.shape[k]);
    if (shape.empty()) shape.push_back(1);
    return Space::Box(-std::numeric_limits<double>::infinity(),
                      std::numeric_limits<double>::infinity(), shape, DType::kFloat32);
  };
  const Space os = observation_space ? *observation_space : inferred(probe_obs);
  // Integer actions of one column are a Discrete space (D4RL files of discrete envs).
  auto inferred_action = [&]() {
    const bool integer =
        probe_act.stored == h5::Elem::kInt64 || probe_act.stored == h5::Elem::kInt32 ||
        probe_act.stored == h5::Elem::kInt8 || probe_act.stored == h5::Elem::kUint8;
    if (!integer || probe_act.shape.size() != 1) return inferred(probe_act);
    const h5::Array a = h5::Read(f, "actions", h5::Elem::kInt64);
    int64_t max_action = 0;
    for (int64_t t = 0; t < a.rows(); ++t) {
      int64_t v;
      std::memcpy(&v, a.bytes.data() + t * 8, 8);
      max_action = std::max(max_action, v);
    }
    return Space::Discrete(max_action + 1);
  };
  const Space as = action_space ? *action_space : inferred_action();
  DatasetMetadata m;
  m.dataset_id = path.stem().string();
  m.minari_version = kMinariVersion;
  Dataset d(os, as, m);
  const std::vector<std::byte> obs = ReadColumn(f, "observations", os, n);
  const std::vector<std::byte> acts = ReadColumn(f, "actions", as, n);
  const std::vector<double> rewards = ReadRewards(f, "rewards", n);
  const std::vector<uint8_t> terminals = ReadFlags(f, "terminals", n);
  const std::vector<uint8_t> timeouts =
      h5::Exists(f, "timeouts") ? ReadFlags(f, "timeouts", n) : std::vector<uint8_t>(n, 0);
  std::vector<std::byte> next;
  if (h5::Exists(f, "next_observations")) next = ReadColumn(f, "next_observations", os, n);
  const size_t ob = os.byte_size(), ab = as.byte_size();
  int64_t start = 0;
  for (int64_t t = 0; t < n; ++t) {
    const bool last = terminals[t] || timeouts[t] || t == n - 1;
    if (!last) continue;
    const int64_t len = t + 1 - start;
    std::vector<std::byte> ep_obs(static_cast<size_t>(len + 1) * ob);
    std::memcpy(ep_obs.data(), obs.data() + static_cast<size_t>(start) * ob,
                static_cast<size_t>(len) * ob);
    // The final observation: next_observations of the last step, else (old D4RL files without
    // it) the last observation repeated, which no bootstrap reads after a terminal.
    const std::byte* final_row = next.empty() ? obs.data() + static_cast<size_t>(t) * ob
                                              : next.data() + static_cast<size_t>(t) * ob;
    std::memcpy(ep_obs.data() + static_cast<size_t>(len) * ob, final_row, ob);
    std::vector<uint8_t> term(terminals.begin() + start, terminals.begin() + t + 1);
    std::vector<uint8_t> trunc(static_cast<size_t>(len), 0);
    if (!terminals[t]) trunc.back() = 1;
    try {
      d.AddEpisode(
          ep_obs,
          std::span(acts.data() + static_cast<size_t>(start) * ab, static_cast<size_t>(len) * ab),
          std::span(rewards.data() + start, static_cast<size_t>(len)), term, trunc);
    } catch (const Error& err) {
      throw Error(fmt::format("{}: {}", f.name(), err.what()));
    }
    start = t + 1;
  }
  return d;
}

}  // namespace bellman::io
