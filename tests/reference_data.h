// Reader for the PyTorch reference cases written by tests/reference/make_reference.py
// (format NLREF v1, documented at the top of that script), and the per-tensor
// comparison the [torch] tests use.
//
// A case holds a kind (which engine builder rebuilds it), numeric and string
// attributes (the op's settings), and named float32 tensors already in the
// engine's layouts: in0.., out, out_grad, in0_grad.., param/<name>,
// grad/<name>, after/<name>.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tensor/status.h"
#include "tensor/tensor.h"

namespace nl::test {

struct ReferenceCase {
  std::string name;  // file name without .nlref
  std::string kind;
  std::map<std::string, double> numbers;
  std::map<std::string, std::string> strings;
  std::map<std::string, Tensor> tensors;

  const Tensor* find(const std::string& tensor_name) const {
    auto it = tensors.find(tensor_name);
    return it == tensors.end() ? nullptr : &it->second;
  }
  bool has_number(const std::string& key) const { return numbers.count(key) != 0; }
  double number(const std::string& key, double fallback = 0.0) const {
    auto it = numbers.find(key);
    return it == numbers.end() ? fallback : it->second;
  }
  int integer(const std::string& key, int fallback = 0) const {
    return static_cast<int>(std::lround(number(key, fallback)));
  }
  std::string string(const std::string& key) const {
    auto it = strings.find(key);
    return it == strings.end() ? std::string() : it->second;
  }
  // Names of tensors starting with `prefix`, with the prefix removed ("param/" -> "conv1.weight").
  std::vector<std::string> names_with_prefix(const std::string& prefix) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : tensors)
      if (k.rfind(prefix, 0) == 0) out.push_back(k.substr(prefix.size()));
    return out;
  }
};

namespace reference_detail {

// Bounds-checked little-endian reads over the file's bytes.
class ByteReader {
 public:
  ByteReader(const std::vector<char>& bytes, std::string path) : b_(bytes), path_(std::move(path)) {}
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  bool at_end() const { return pos_ == b_.size(); }

  bool raw(void* dst, size_t n) {
    if (failed()) return false;
    if (n > b_.size() - pos_) {
      error_ = path_ + ": truncated at byte " + std::to_string(pos_) + " (wanted " + std::to_string(n) + " more)";
      return false;
    }
    std::memcpy(dst, b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  // The engine and the script both assume a little-endian host (x86-64, wasm).
  uint8_t u8() { uint8_t v = 0; raw(&v, 1); return v; }
  uint32_t u32() { uint32_t v = 0; raw(&v, 4); return v; }
  int64_t i64() { int64_t v = 0; raw(&v, 8); return v; }
  double f64() { double v = 0; raw(&v, 8); return v; }
  std::string str() {
    const uint32_t n = u32();
    if (failed()) return {};
    if (n > 4096) { error_ = path_ + ": string of " + std::to_string(n) + " bytes at byte " + std::to_string(pos_); return {}; }
    std::string s(n, '\0');
    raw(s.data(), n);
    return s;
  }
  void fail(const std::string& why) { if (!failed()) error_ = path_ + ": " + why; }

 private:
  const std::vector<char>& b_;
  std::string path_;
  size_t pos_ = 0;
  std::string error_;
};

inline Shape shape_of(const std::vector<int64_t>& d) {
  switch (d.size()) {
    case 0: return Shape{};
    case 1: return Shape{d[0]};
    case 2: return Shape{d[0], d[1]};
    case 3: return Shape{d[0], d[1], d[2]};
    default: return Shape{d[0], d[1], d[2], d[3]};
  }
}

}  // namespace reference_detail

inline Status read_reference_case(const std::string& dir, const std::string& name, ReferenceCase* out) {
  const std::string path = dir + "/" + name + ".nlref";
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Error("cannot open " + path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  reference_detail::ByteReader r(bytes, path);
  char magic[8] = {};
  r.raw(magic, 8);
  if (!r.failed() && std::memcmp(magic, "NLREF\0\0\0", 8) != 0) r.fail("not an NLREF file (bad magic)");
  const uint32_t version = r.u32();
  if (!r.failed() && version != 1) r.fail("NLREF version " + std::to_string(version) + ", this reader knows 1");
  *out = ReferenceCase();
  out->name = name;
  out->kind = r.str();
  const uint32_t attrs = r.u32();
  for (uint32_t i = 0; i < attrs && !r.failed(); ++i) {
    std::string key = r.str();
    const uint8_t type = r.u8();
    if (type == 0) out->numbers[key] = r.f64();
    else if (type == 1) out->strings[key] = r.str();
    else r.fail("attribute '" + key + "' has unknown type " + std::to_string(type));
  }
  const uint32_t count = r.u32();
  for (uint32_t i = 0; i < count && !r.failed(); ++i) {
    std::string key = r.str();
    const uint32_t rank = r.u32();
    if (rank > 4) { r.fail("tensor '" + key + "' has rank " + std::to_string(rank)); break; }
    std::vector<int64_t> dims(rank);
    int64_t elements = 1;
    for (auto& d : dims) {
      d = r.i64();
      if (d < 0 || d > (int64_t{1} << 28)) { r.fail("tensor '" + key + "' has dimension " + std::to_string(d)); break; }
      elements *= d;
    }
    if (r.failed()) break;
    if (elements > (int64_t{1} << 28)) { r.fail("tensor '" + key + "' is too large"); break; }
    Tensor t(reference_detail::shape_of(dims));
    r.raw(t.data(), static_cast<size_t>(elements) * sizeof(float));
    out->tensors[key] = std::move(t);
  }
  if (!r.failed() && !r.at_end()) r.fail("trailing bytes after the last tensor");
  if (r.failed()) return Status::Error(r.error());
  return Status::Ok();
}

// Case names listed in <dir>/index.txt (written last by the script: its
// presence means the set is complete). Lines starting with '#' are comments.
inline Status read_reference_index(const std::string& dir, std::vector<std::string>* names) {
  std::ifstream f(dir + "/index.txt");
  if (!f) return Status::Error("no reference index " + dir + "/index.txt");
  names->clear();
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    names->push_back(line);
  }
  if (names->empty()) return Status::Error(dir + "/index.txt lists no cases");
  return Status::Ok();
}

// ---- comparison -------------------------------------------------------------------------

struct TensorComparison {
  double relative_error = 0.0;  // max|a - b| / max(max|b|, tiny), b the reference
  double max_abs_error = 0.0;
  int64_t worst_index = -1;
  std::string detail;           // shapes, worst element and the first values, for failure messages
  bool shape_ok = true;
};

// Compares `actual` with `expected` element by element. Shapes must agree up
// to dimensions of size 1 (the engine may keep [N, 1, 1, C] where PyTorch gives [N, C]).
inline TensorComparison compare_tensors(const Tensor& actual, const Tensor& expected) {
  TensorComparison c;
  auto squeezed = [](const Shape& s) {
    std::vector<int64_t> d;
    for (int i = 0; i < s.rank(); ++i)
      if (s[i] != 1) d.push_back(s[i]);
    return d;
  };
  std::ostringstream s;
  s << "engine " << actual.shape().str() << " vs torch " << expected.shape().str();
  if (squeezed(actual.shape()) != squeezed(expected.shape())) {
    c.shape_ok = false;
    c.relative_error = INFINITY;
    c.detail = s.str() + ": shapes differ";
    return c;
  }
  double max_ref = 0.0;
  for (int64_t i = 0; i < expected.elements(); ++i) {
    const double a = actual[i], b = expected[i];
    max_ref = std::max(max_ref, std::fabs(b));
    const double err = std::isfinite(a) ? std::fabs(a - b) : INFINITY;
    if (err > c.max_abs_error || c.worst_index < 0) {
      c.max_abs_error = err;
      c.worst_index = i;
    }
  }
  c.relative_error = c.max_abs_error / std::max(max_ref, 1e-30);
  s.precision(7);
  s << "; max|ref| " << max_ref << ", max abs error " << c.max_abs_error;
  if (c.worst_index >= 0)
    s << " at [" << c.worst_index << "] (engine " << actual[c.worst_index] << ", torch " << expected[c.worst_index] << ")";
  const int64_t shown = std::min<int64_t>(expected.elements(), 6);
  s << "\n    engine first: ";
  for (int64_t i = 0; i < shown; ++i) s << actual[i] << " ";
  s << "\n    torch  first: ";
  for (int64_t i = 0; i < shown; ++i) s << expected[i] << " ";
  c.detail = s.str();
  return c;
}

}  // namespace nl::test
