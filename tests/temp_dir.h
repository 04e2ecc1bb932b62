// A fresh temporary folder per test, removed afterwards. Names are random so
// the native, sanitizer and Node runs of the suite can share a machine.
#pragma once
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace nl::test {

class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = (std::filesystem::temp_directory_path() /
             ("neuronlens-test-" + std::to_string(random()) + "-" + std::to_string(random()))).string();
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `bytes` to <dir>/name and returns the path.
  template <typename Bytes>
  std::string write(const std::string& name, const Bytes& bytes) const {
    std::ofstream out(file(name), std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return file(name);
  }

 private:
  std::string path_;
};

}  // namespace nl::test
