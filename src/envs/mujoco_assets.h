// Private: the MJCF files of assets/mujoco/, compiled into the library by CMakeLists.txt (a
// generated source holds them as raw string literals), so no file is read at run time.
#pragma once

#include <span>
#include <string_view>

namespace bellman {

struct MjcfFile {
  std::string_view name;  // file name, e.g. "hopper.xml"
  std::string_view text;  // the XML
};

std::span<const MjcfFile> MjcfFiles();

}  // namespace bellman
