#include "envs/mujoco_model.h"

#include <fmt/format.h>

#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "bellman/core/error.h"
#include "bellman/core/suggest.h"
#include "envs/mujoco_assets.h"

namespace bellman {

namespace {

struct MjVfsDeleter {
  void operator()(mjVFS* vfs) const {
    mj_deleteVFS(vfs);
    delete vfs;
  }
};

std::shared_ptr<const mjModel> Compile(const std::string& file) {
  const MjcfFile* found = nullptr;
  std::vector<std::string> names;
  for (const MjcfFile& f : MjcfFiles()) {
    names.emplace_back(f.name);
    if (f.name == file) found = &f;
  }
  if (!found) {
    throw Error(fmt::format("no embedded MuJoCo model '{}'{}", file, DidYouMean(file, names)));
  }
  // mjVFS holds 2000 file names inline (~2 MB): keep it off the stack.
  std::unique_ptr<mjVFS, MjVfsDeleter> vfs(new mjVFS);
  mj_defaultVFS(vfs.get());
  const int size = static_cast<int>(found->text.size());
  if (mj_makeEmptyFileVFS(vfs.get(), file.c_str(), size) != 0) {
    throw Error(fmt::format("MuJoCo: cannot make virtual file '{}'", file));
  }
  const int index = mj_findFileVFS(vfs.get(), file.c_str());
  if (index < 0) throw Error(fmt::format("MuJoCo: virtual file '{}' not found", file));
  std::memcpy(vfs->filedata[index], found->text.data(), found->text.size());
  char error[1000] = "";
  mjModel* m = mj_loadXML(file.c_str(), vfs.get(), error, sizeof(error));
  if (!m) throw Error(fmt::format("MuJoCo cannot load '{}': {}", file, error));
  return std::shared_ptr<const mjModel>(
      m, [](const mjModel* p) { mj_deleteModel(const_cast<mjModel*>(p)); });
}

}  // namespace

std::shared_ptr<const mjModel> LoadMjcfModel(const std::string& file) {
  // mj_loadXML keeps parser state in globals and is not thread-safe, hence one lock around
  // loading; the weak cache lets all live envs of a file share one model without keeping it
  // alive after the last of them is gone.
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<const mjModel>> cache;
  std::lock_guard<std::mutex> lock(mu);
  std::weak_ptr<const mjModel>& slot = cache[file];
  if (std::shared_ptr<const mjModel> m = slot.lock()) return m;
  std::shared_ptr<const mjModel> m = Compile(file);
  slot = m;
  return m;
}

}  // namespace bellman
