// Dataset folders for the CLI; see data_locations.h.
#include "cli/data_locations.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "data/fashion_mnist.h"
#include "data/mnist_digits.h"

namespace nl::cli {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> search_upwards(fs::path start, const std::string& relative) {
  std::error_code ec;
  for (fs::path dir = start; !dir.empty(); dir = dir.parent_path()) {
    if (fs::is_directory(dir / relative, ec)) return (dir / relative).string();
    if (dir == dir.parent_path()) break;
  }
  return std::nullopt;
}

}  // namespace

DatasetLocations find_dataset_locations(const std::optional<std::string>& fashion_dir,
                                        const std::optional<std::string>& digits_dir) {
  DatasetLocations where;
  const char* env_fashion = std::getenv("NEURONLENS_FASHION_DIR");
  const char* env_digits = std::getenv("NEURONLENS_DIGITS_DIR");
  where.fashion_dir = fashion_dir ? *fashion_dir : env_fashion ? env_fashion : kFashionMnistDir;
  if (digits_dir) {
    where.digits_dir = *digits_dir;
  } else if (env_digits) {
    where.digits_dir = env_digits;
  } else {
    std::error_code ec;
    auto found = search_upwards(fs::current_path(ec), kMnistDigitsSubdir);
    if (!found) {
      const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
      if (!ec) found = search_upwards(exe.parent_path(), kMnistDigitsSubdir);
    }
    where.digits_dir = found ? *found : kMnistDigitsSubdir;  // the loader's error names the npm package
  }
  return where;
}

}  // namespace nl::cli
