// Output folders; see output_dir.h.
#include "cli/output_dir.h"

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "image/png_encode.h"
#include "tensor/file_bytes.h"

namespace nl::cli {

Result<OutputDir> OutputDir::create(const std::string& path) {
  if (path.empty()) return Status::Error("--out needs a folder");
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec || !std::filesystem::is_directory(path, ec))
    return Status::Error(path + ": cannot create the output folder (" + (ec ? ec.message() : "not a folder") + ")");
  OutputDir out;
  out.path_ = path;
  return out;
}

Status OutputDir::write_text(const std::string& name, const std::string& text) {
  NL_RETURN_IF_ERROR(write_file_bytes(file(name), std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size())));
  written_.push_back(name);
  return Status::Ok();
}

Status OutputDir::write_png(const std::string& name, const Image& image) {
  auto png = encode_png(image);
  if (!png.ok()) return Status::Error(name + ": " + png.status().message());
  NL_RETURN_IF_ERROR(write_file_bytes(file(name), png.value()));
  written_.push_back(name);
  return Status::Ok();
}

Status OutputDir::write_json(const std::string& name, const nlohmann::json& value) {
  return write_text(name, value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

Status OutputDir::write_csv(const std::string& name, const std::vector<std::string>& header,
                            const std::vector<std::vector<std::string>>& rows) {
  auto cell = [](const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string quoted = "\"";
    for (char c : s) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
  };
  std::string text;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) text += ',';
      text += cell(cells[i]);
    }
    text += "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
  return write_text(name, text);
}

void OutputDir::print_summary(bool quiet) const {
  if (!quiet) std::fprintf(stderr, "wrote %zu files to %s\n", written_.size(), path_.c_str());
}

std::string csv_number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", value);
  return buf;
}

}  // namespace nl::cli
