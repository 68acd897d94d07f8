// progress.csv: one header row, then one row per Log call, flushed as it is written.
//
// Resume rule (docs/io.md): opening an existing file appends to it. Its first line must equal
// this logger's header (otherwise bellman::Error: the columns changed between runs). A last line
// without its '\n' (the process died mid-write) is cut off first; every complete row stays.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bellman::io {

// One cell: empty (monostate; e.g. an eval return on a step without evaluation), an integer, a
// double (written in the shortest form that reads back to the same double), or text.
using CsvValue = std::variant<std::monostate, int64_t, double, std::string>;

class CsvLogger {
 public:
  CsvLogger(const std::filesystem::path& path, std::vector<std::string> columns);
  ~CsvLogger();
  CsvLogger(const CsvLogger&) = delete;
  CsvLogger& operator=(const CsvLogger&) = delete;

  // One row; values in column order, exactly one per column.
  void Log(const std::vector<CsvValue>& values);

  // Resume helper: rewrites the file (atomically) without the rows whose `column` holds a number
  // greater than `last_kept`, so that a run resumed from the checkpoint at step T (last_kept = T)
  // does not log steps T+1... twice. Rows whose cell is empty or not a number are kept. Returns
  // the number of rows dropped. Not called implicitly: by default nothing written is removed.
  int64_t DropRowsAfter(std::string_view column, double last_kept);

  const std::filesystem::path& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }

  // RFC 4180 quoting: a cell holding a comma, quote, CR or LF is quoted, quotes doubled.
  static std::string Escape(std::string_view cell);
  static std::string Format(const CsvValue& value);

 private:
  void OpenForAppend();

  std::filesystem::path path_;
  std::vector<std::string> columns_;
  std::string header_;
  std::FILE* file_ = nullptr;
};

}  // namespace bellman::io
