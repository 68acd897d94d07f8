// StateDict (state_dict.h): one torch archive key per declared entry.
#include "bellman/nets/state_dict.h"

#include <fmt/format.h>

#include <algorithm>

#include "bellman/core/error.h"

namespace bellman::nets {

void StateDict::Add(const std::string& name, Kind kind, void* object, bool frozen) {
  if (name.empty()) throw Error("StateDict: an entry needs a name");
  const bool taken =
      std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.name == name; });
  if (taken) throw Error(fmt::format("StateDict: entry '{}' is declared twice", name));
  entries_.push_back(Entry{name, kind, object, frozen});
}

void StateDict::AddModule(const std::string& name, torch::nn::Module& module, bool frozen) {
  Add(name, Kind::kModule, &module, frozen);
}
void StateDict::AddOptimizer(const std::string& name, torch::optim::Optimizer& optimizer) {
  Add(name, Kind::kOptimizer, &optimizer);
}
void StateDict::AddTensor(const std::string& name, torch::Tensor& tensor) {
  Add(name, Kind::kTensor, &tensor);
}
void StateDict::AddInt(const std::string& name, int64_t& value) { Add(name, Kind::kInt, &value); }
void StateDict::AddReal(const std::string& name, double& value) { Add(name, Kind::kReal, &value); }
void StateDict::AddRng(const std::string& name, Rng& rng) { Add(name, Kind::kRng, &rng); }
void StateDict::AddFloats(const std::string& name, std::vector<float>& values) {
  Add(name, Kind::kFloats, &values);
}

StateDict StateDict::ModulesOnly() const {
  StateDict only;
  for (const Entry& e : entries_) {
    if (e.kind == Kind::kModule) only.entries_.push_back(e);
  }
  return only;
}

std::string StateDict::Save() const {
  torch::serialize::OutputArchive archive;
  for (const Entry& e : entries_) {
    switch (e.kind) {
      case Kind::kModule: {
        torch::serialize::OutputArchive a;
        static_cast<const torch::nn::Module*>(e.object)->save(a);
        archive.write(e.name, a);
        break;
      }
      case Kind::kOptimizer: {
        torch::serialize::OutputArchive a;
        static_cast<const torch::optim::Optimizer*>(e.object)->save(a);
        archive.write(e.name, a);
        break;
      }
      case Kind::kTensor:
        archive.write(e.name, static_cast<const torch::Tensor*>(e.object)->detach());
        break;
      case Kind::kInt:
        archive.write(e.name,
                      torch::tensor({*static_cast<const int64_t*>(e.object)}, torch::kInt64));
        break;
      case Kind::kReal:
        archive.write(e.name,
                      torch::tensor({*static_cast<const double*>(e.object)}, torch::kFloat64));
        break;
      case Kind::kRng:
        archive.write(e.name, RngToTensor(static_cast<const Rng*>(e.object)->state()));
        break;
      case Kind::kFloats: {
        const auto& v = *static_cast<const std::vector<float>*>(e.object);
        archive.write(
            e.name, torch::from_blob(const_cast<float*>(v.data()), {static_cast<int64_t>(v.size())})
                        .clone());
        break;
      }
    }
  }
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  return bytes;
}

namespace {

// One value tensor of `dtype` with `numel` elements, or a clear error.
torch::Tensor ReadValue(torch::serialize::InputArchive& archive, const std::string& name,
                        torch::ScalarType dtype, int64_t numel) {
  torch::Tensor t;
  if (!archive.try_read(name, t)) throw Error(fmt::format("{}: missing", name));
  if (t.scalar_type() != dtype || t.numel() != numel) {
    throw Error(fmt::format("{}: expected {} {} values, got {} {}", name, numel,
                            c10::toString(dtype), t.numel(), c10::toString(t.scalar_type())));
  }
  return t.contiguous();
}

// torch's Module::load replaces a tensor of another shape without a word (Tensor::set_), so
// every parameter and buffer is checked against the archive first, children recursively (the
// layout of Module::save: own parameters, own buffers, one sub-archive per child).
void CheckModuleFits(torch::serialize::InputArchive& archive, const torch::nn::Module& m,
                     const std::string& path) {
  auto check = [&](const std::string& key, const torch::Tensor& want, bool is_buffer) {
    torch::Tensor got;
    const std::string where = path.empty() ? key : path + "." + key;
    if (!archive.try_read(key, got, is_buffer)) throw Error(fmt::format("{} missing", where));
    if (got.sizes() != want.sizes() || got.scalar_type() != want.scalar_type()) {
      throw Error(fmt::format("{} is {} {}, this config has {} {}", where,
                              fmt::join(got.sizes(), "x"), c10::toString(got.scalar_type()),
                              fmt::join(want.sizes(), "x"), c10::toString(want.scalar_type())));
    }
  };
  for (const auto& p : m.named_parameters(/*recurse=*/false)) check(p.key(), p.value(), false);
  for (const auto& b : m.named_buffers(/*recurse=*/false)) check(b.key(), b.value(), true);
  for (const auto& c : m.named_children()) {
    torch::serialize::InputArchive child;
    const std::string where = path.empty() ? c.key() : path + "." + c.key();
    if (!archive.try_read(c.key(), child)) throw Error(fmt::format("{} missing", where));
    CheckModuleFits(child, *c.value(), where);
  }
}

}  // namespace

void StateDict::Load(std::string_view bytes) const {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(bytes.data(), bytes.size());
  } catch (const c10::Error& e) {
    throw Error(fmt::format("not a state archive ({})", e.what_without_backtrace()));
  }
  for (const Entry& e : entries_) {
    try {
      switch (e.kind) {
        case Kind::kModule: {
          torch::serialize::InputArchive a;
          if (!archive.try_read(e.name, a)) throw Error(fmt::format("{}: missing", e.name));
          auto& m = *static_cast<torch::nn::Module*>(e.object);
          try {
            CheckModuleFits(a, m, "");
          } catch (const Error& err) {
            throw Error(fmt::format("{}: {}", e.name, err.what()));
          }
          m.load(a);
          if (e.frozen) {
            for (auto& p : m.parameters()) p.requires_grad_(false);
          }
          break;
        }
        case Kind::kOptimizer: {
          torch::serialize::InputArchive a;
          if (!archive.try_read(e.name, a)) throw Error(fmt::format("{}: missing", e.name));
          static_cast<torch::optim::Optimizer*>(e.object)->load(a);
          break;
        }
        case Kind::kTensor: {
          auto& dst = *static_cast<torch::Tensor*>(e.object);
          torch::Tensor t;
          if (!archive.try_read(e.name, t)) throw Error(fmt::format("{}: missing", e.name));
          if (t.sizes() != dst.sizes() || t.scalar_type() != dst.scalar_type()) {
            throw Error(fmt::format("{}: expected shape {} {}, got {} {}", e.name,
                                    fmt::join(dst.sizes(), "x"), c10::toString(dst.scalar_type()),
                                    fmt::join(t.sizes(), "x"), c10::toString(t.scalar_type())));
          }
          torch::NoGradGuard no_grad;
          dst.copy_(t);
          break;
        }
        case Kind::kInt:
          *static_cast<int64_t*>(e.object) =
              ReadValue(archive, e.name, torch::kInt64, 1).data_ptr<int64_t>()[0];
          break;
        case Kind::kReal:
          *static_cast<double*>(e.object) =
              ReadValue(archive, e.name, torch::kFloat64, 1).data_ptr<double>()[0];
          break;
        case Kind::kRng: {
          torch::Tensor t;
          if (!archive.try_read(e.name, t)) throw Error(fmt::format("{}: missing", e.name));
          static_cast<Rng*>(e.object)->set_state(RngFromTensor(t, e.name));
          break;
        }
        case Kind::kFloats: {
          auto& v = *static_cast<std::vector<float>*>(e.object);
          const torch::Tensor t =
              ReadValue(archive, e.name, torch::kFloat32, static_cast<int64_t>(v.size()));
          std::copy_n(t.data_ptr<float>(), v.size(), v.begin());
          break;
        }
      }
    } catch (const c10::Error& err) {
      throw Error(fmt::format("{}: does not fit ({})", e.name, err.what_without_backtrace()));
    }
  }
}

torch::nn::Module& StateDict::module(const std::string& name) const {
  std::vector<std::string> modules;
  for (const Entry& e : entries_) {
    if (e.kind != Kind::kModule) continue;
    if (e.name == name) return *static_cast<torch::nn::Module*>(e.object);
    modules.push_back(e.name);
  }
  throw Error(
      fmt::format("no module '{}' in this state; modules: {}", name, fmt::join(modules, ", ")));
}

std::vector<std::string> StateDict::names() const {
  std::vector<std::string> out;
  for (const Entry& e : entries_) out.push_back(e.name);
  return out;
}

torch::Tensor RngToTensor(const RngState& s) {
  auto t = torch::empty({6}, torch::kInt64);
  auto* p = t.data_ptr<int64_t>();
  p[0] = static_cast<int64_t>(static_cast<uint64_t>(s.state >> 64));
  p[1] = static_cast<int64_t>(static_cast<uint64_t>(s.state));
  p[2] = static_cast<int64_t>(static_cast<uint64_t>(s.inc >> 64));
  p[3] = static_cast<int64_t>(static_cast<uint64_t>(s.inc));
  p[4] = s.has_uint32 ? 1 : 0;
  p[5] = static_cast<int64_t>(s.uinteger);
  return t;
}

RngState RngFromTensor(const torch::Tensor& t, const std::string& what) {
  if (t.numel() != 6 || t.scalar_type() != torch::kInt64) {
    throw Error(fmt::format("{}: expected 6 int64 words", what));
  }
  const torch::Tensor c = t.contiguous();
  const auto* p = c.data_ptr<int64_t>();
  auto u128 = [](int64_t hi, int64_t lo) {
    return (static_cast<unsigned __int128>(static_cast<uint64_t>(hi)) << 64) |
           static_cast<uint64_t>(lo);
  };
  RngState s;
  s.state = u128(p[0], p[1]);
  s.inc = u128(p[2], p[3]);
  s.has_uint32 = p[4] != 0;
  s.uinteger = static_cast<uint32_t>(p[5]);
  return s;
}

}  // namespace bellman::nets
