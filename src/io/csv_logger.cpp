#include "bellman/io/csv_logger.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>

#include "bellman/core/error.h"
#include "bellman/io/atomic_file.h"

namespace bellman::io {
namespace fs = std::filesystem;

namespace {

std::string JoinRow(const std::vector<std::string>& cells) {
  std::string row;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) row.push_back(',');
    row += CsvLogger::Escape(cells[i]);
  }
  return row;
}

// Splits one CSV line (without its '\n') into cells, undoing Escape.
std::vector<std::string> SplitRow(std::string_view line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cells.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.emplace_back();
    } else {
      cells.back().push_back(c);
    }
  }
  return cells;
}

// Splits file content into records at '\n' outside quotes (a quoted cell may hold a newline).
std::vector<std::string_view> SplitRecords(std::string_view content) {
  std::vector<std::string_view> records;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < content.size(); ++i) {
    if (content[i] == '"') quoted = !quoted;
    if (content[i] == '\n' && !quoted) {
      records.push_back(content.substr(start, i - start));
      start = i + 1;
    }
  }
  if (start < content.size()) records.push_back(content.substr(start));
  return records;
}

}  // namespace

std::string CsvLogger::Escape(std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(cell);
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string CsvLogger::Format(const CsvValue& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(int64_t v) const { return fmt::format("{}", v); }
    // fmt's "{}" is the shortest representation that round-trips (like Python's repr), e.g.
    // 0.1 -> "0.1", 1e-07 -> "1e-07", 500.0 -> "500"; nan/inf as "nan", "inf", "-inf", which
    // pandas and numpy read.
    std::string operator()(double v) const { return fmt::format("{}", v); }
    std::string operator()(const std::string& v) const { return Escape(v); }
  };
  return std::visit(Visitor{}, value);
}

CsvLogger::CsvLogger(const fs::path& path, std::vector<std::string> columns)
    : path_(path), columns_(std::move(columns)) {
  if (columns_.empty()) {
    throw Error(fmt::format("CsvLogger '{}': needs at least one column", path_.string()));
  }
  std::set<std::string> seen;
  for (const std::string& c : columns_) {
    if (c.empty() || c.find_first_of("\r\n") != std::string::npos) {
      throw Error(
          fmt::format("CsvLogger '{}': column names must be non-empty single-line text, "
                      "got '{}'",
                      path_.string(), c));
    }
    if (!seen.insert(c).second) {
      throw Error(fmt::format("CsvLogger '{}': column '{}' appears twice", path_.string(), c));
    }
  }
  header_ = JoinRow(columns_);
  try {
    OpenForAppend();
  } catch (...) {
    if (file_ != nullptr) std::fclose(file_);  // the destructor does not run
    throw;
  }
}

CsvLogger::~CsvLogger() {
  if (file_ != nullptr) std::fclose(file_);
}

void CsvLogger::OpenForAppend() {
  if (!path_.parent_path().empty()) {
    std::error_code ec;
    fs::create_directories(path_.parent_path(), ec);
    if (ec) {
      throw Error(
          fmt::format("cannot create '{}': {}", path_.parent_path().string(), ec.message()));
    }
  }
  std::error_code ec;
  bool write_header = true;
  if (fs::exists(path_, ec)) {
    const std::string content = ReadFile(path_);
    // Everything after the last '\n' is a row cut short by a crash: drop it.
    const size_t last_newline = content.rfind('\n');
    const size_t complete = last_newline == std::string::npos ? 0 : last_newline + 1;
    if (complete < content.size()) {
      if (::truncate(path_.c_str(), static_cast<off_t>(complete)) != 0) {
        throw Error(fmt::format("cannot truncate the partial last line of '{}': {}", path_.string(),
                                std::strerror(errno)));
      }
    }
    if (complete > 0) {
      const std::string_view first = std::string_view(content).substr(0, content.find('\n'));
      if (first != header_) {
        throw Error(fmt::format(
            "'{}' has the columns '{}', but this run logs '{}'; use a new run directory or "
            "remove the file",
            path_.string(), first, header_));
      }
      write_header = false;
    }
  }
  file_ = std::fopen(path_.c_str(), "ab");
  if (file_ == nullptr) {
    throw Error(
        fmt::format("cannot open '{}' for appending: {}", path_.string(), std::strerror(errno)));
  }
  if (write_header) {
    const std::string line = header_ + "\n";
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
      throw Error(fmt::format("cannot write '{}': {}", path_.string(), std::strerror(errno)));
    }
  }
}

void CsvLogger::Log(const std::vector<CsvValue>& values) {
  if (values.size() != columns_.size()) {
    throw Error(fmt::format("CsvLogger '{}': got {} values for {} columns ({})", path_.string(),
                            values.size(), columns_.size(), header_));
  }
  std::string line;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) line.push_back(',');
    line += Format(values[i]);
  }
  line.push_back('\n');
  // One fwrite per row and a flush: a reader (or a crash) sees whole rows except possibly the
  // last, which the resume rule handles.
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    throw Error(fmt::format("cannot write '{}': {}", path_.string(), std::strerror(errno)));
  }
}

int64_t CsvLogger::DropRowsAfter(std::string_view column, double last_kept) {
  size_t index = columns_.size();
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i] == column) index = i;
  }
  if (index == columns_.size()) {
    throw Error(fmt::format("CsvLogger '{}': no column '{}' (columns: {})", path_.string(), column,
                            header_));
  }
  if (std::fflush(file_) != 0) {
    throw Error(fmt::format("cannot write '{}': {}", path_.string(), std::strerror(errno)));
  }
  const std::string content = ReadFile(path_);
  const std::vector<std::string_view> records = SplitRecords(content);
  std::string kept;
  int64_t dropped = 0;
  for (size_t r = 0; r < records.size(); ++r) {
    if (r > 0) {
      const std::vector<std::string> cells = SplitRow(records[r]);
      if (index < cells.size()) {
        const std::string& cell = cells[index];
        double v = 0;
        const auto [end, err] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
        if (err == std::errc() && end == cell.data() + cell.size() && !std::isnan(v) &&
            v > last_kept) {
          ++dropped;
          continue;
        }
      }
    }
    kept.append(records[r]);
    kept.push_back('\n');
  }
  if (dropped == 0) return 0;
  std::fclose(file_);
  file_ = nullptr;
  WriteFileAtomic(path_, kept);
  OpenForAppend();
  return dropped;
}

}  // namespace bellman::io
