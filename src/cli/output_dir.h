// The output folder of a method subcommand: created on demand, files written
// whole (through a temporary name, see tensor/file_bytes.h), PNG, JSON and
// CSV helpers, and a list of what was written for the closing summary.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "image/image.h"
#include "tensor/status.h"

namespace nl::cli {

class OutputDir {
 public:
  static Result<OutputDir> create(const std::string& path);
  OutputDir() = default;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  Status write_text(const std::string& name, const std::string& text);
  Status write_png(const std::string& name, const Image& image);
  Status write_json(const std::string& name, const nlohmann::json& value);  // indented, UTF-8
  // A header row and rows of cells; cells are quoted when they hold a comma, quote or newline.
  Status write_csv(const std::string& name, const std::vector<std::string>& header,
                   const std::vector<std::vector<std::string>>& rows);

  const std::vector<std::string>& written() const { return written_; }
  // "wrote 12 files to DIR" on stderr unless quiet.
  void print_summary(bool quiet) const;

 private:
  std::string path_;
  std::vector<std::string> written_;
};

// Number formatting for CSV cells: shortest form that round-trips a float ("0.125", "1e-07").
std::string csv_number(double value);

}  // namespace nl::cli
