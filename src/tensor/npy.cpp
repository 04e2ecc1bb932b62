// NumPy .npy reading and writing: see npy.h. The header is a Python dict
// literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }
// padded with spaces and ended by a newline; parsed here by a small scanner
// that accepts exactly those three keys.
#include "tensor/npy.h"

#include <cctype>
#include <cstring>
#include <string_view>

#include "tensor/file_bytes.h"

namespace nl {

namespace {

constexpr uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr size_t kMaxHeaderBytes = 1 << 16;

struct Scanner {
  std::string_view s;
  size_t pos = 0;
  void skip_space() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t' || s[pos] == '\n')) ++pos;
  }
  bool eat(char c) {
    skip_space();
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool quoted(std::string* out) {
    skip_space();
    if (pos >= s.size() || (s[pos] != '\'' && s[pos] != '"')) return false;
    const char q = s[pos++];
    const size_t end = s.find(q, pos);
    if (end == std::string_view::npos) return false;
    *out = std::string(s.substr(pos, end - pos));
    pos = end + 1;
    return true;
  }
  bool word(std::string* out) {
    skip_space();
    size_t end = pos;
    while (end < s.size() && std::isalpha(static_cast<unsigned char>(s[end]))) ++end;
    if (end == pos) return false;
    *out = std::string(s.substr(pos, end - pos));
    pos = end;
    return true;
  }
  bool integer(int64_t* out) {
    skip_space();
    size_t end = pos;
    int64_t v = 0;
    while (end < s.size() && s[end] >= '0' && s[end] <= '9') {
      if (v > (int64_t{1} << 40)) return false;
      v = v * 10 + (s[end] - '0');
      ++end;
    }
    if (end == pos) return false;
    // Python 2 era files may write 3L.
    if (end < s.size() && s[end] == 'L') ++end;
    *out = v;
    pos = end;
    return true;
  }
};

}  // namespace

Result<Tensor> parse_npy(std::span<const uint8_t> b, const std::string& source) {
  const auto fail = [&](const std::string& why) { return Status::Error(source + ": " + why); };
  if (b.size() < 10 || std::memcmp(b.data(), kMagic, 6) != 0) return fail("not a NumPy .npy file (no \\x93NUMPY magic)");
  const int major = b[6];
  size_t header_len = 0, header_start = 0;
  if (major == 1) {
    header_len = b[8] | (static_cast<size_t>(b[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) return fail("truncated .npy header");
    header_len = b[8] | (static_cast<size_t>(b[9]) << 8) | (static_cast<size_t>(b[10]) << 16) |
                 (static_cast<size_t>(b[11]) << 24);
    header_start = 12;
  } else {
    return fail(".npy format version " + std::to_string(major) + " is not supported (1 to 3)");
  }
  if (header_len > kMaxHeaderBytes || header_len > b.size() - header_start)
    return fail("the .npy header claims " + std::to_string(header_len) + " bytes, more than the file holds");
  Scanner sc{std::string_view(reinterpret_cast<const char*>(b.data() + header_start), header_len)};
  std::string descr;
  bool fortran = false, have_descr = false, have_fortran = false, have_shape = false;
  std::vector<int64_t> shape;
  if (!sc.eat('{')) return fail("the .npy header is not a dict");
  while (!sc.eat('}')) {
    std::string key;
    if (!sc.quoted(&key) || !sc.eat(':')) return fail("malformed .npy header");
    if (key == "descr") {
      if (!sc.quoted(&descr)) return fail("malformed 'descr' in the .npy header");
      have_descr = true;
    } else if (key == "fortran_order") {
      std::string w;
      if (!sc.word(&w) || (w != "True" && w != "False")) return fail("malformed 'fortran_order' in the .npy header");
      fortran = w == "True";
      have_fortran = true;
    } else if (key == "shape") {
      if (!sc.eat('(')) return fail("malformed 'shape' in the .npy header");
      while (!sc.eat(')')) {
        int64_t d = 0;
        if (!sc.integer(&d)) return fail("malformed 'shape' in the .npy header");
        if (shape.size() >= 8) return fail("the array has too many dimensions");
        shape.push_back(d);
        sc.eat(',');
      }
      have_shape = true;
    } else {
      return fail("unexpected key '" + key + "' in the .npy header");
    }
    sc.eat(',');
    if (sc.pos >= sc.s.size()) return fail("unterminated .npy header");
  }
  if (!have_descr || !have_fortran || !have_shape) return fail("the .npy header lacks descr, fortran_order or shape");
  if (fortran) return fail("Fortran-order arrays are not supported; save a C-order array (np.ascontiguousarray)");
  size_t width = 0;
  if (descr == "<f4") width = 4;
  else if (descr == "<f8") width = 8;
  else return fail("element type '" + descr + "' is not supported; save float32 ('<f4')");
  if (shape.empty() || shape.size() > static_cast<size_t>(Shape::kMaxRank))
    return fail("the array has " + std::to_string(shape.size()) + " dimensions; 1 to 4 are supported");
  int64_t elements = 1;
  for (int64_t d : shape) {
    if (d <= 0) return fail("the array has an empty dimension");
    if (elements > kNpyMaxElements / d) return fail("the array has more than " + std::to_string(kNpyMaxElements) + " elements");
    elements *= d;
  }
  const size_t data_start = header_start + header_len;
  const uint64_t expected = static_cast<uint64_t>(elements) * width;
  if (b.size() - data_start != expected)
    return fail("the data holds " + std::to_string(b.size() - data_start) + " bytes but shape and type need " +
                std::to_string(expected));
  Shape s;
  switch (shape.size()) {
    case 1: s = Shape{shape[0]}; break;
    case 2: s = Shape{shape[0], shape[1]}; break;
    case 3: s = Shape{shape[0], shape[1], shape[2]}; break;
    default: s = Shape{shape[0], shape[1], shape[2], shape[3]}; break;
  }
  Tensor t(s);
  const uint8_t* p = b.data() + data_start;
  for (int64_t i = 0; i < elements; ++i) {
    if (width == 4) std::memcpy(&t[i], p + i * 4, 4);
    else {
      double v;
      std::memcpy(&v, p + i * 8, 8);
      t[i] = static_cast<float>(v);
    }
  }
  return t;
}

Result<Tensor> read_npy(const std::string& path) {
  auto bytes = read_file_bytes(path, kNpyMaxBytes);
  if (!bytes.ok()) return bytes.status();
  return parse_npy(bytes.value(), path);
}

std::vector<uint8_t> encode_npy(const Tensor& t) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  const int rank = t.shape().rank();
  for (int i = 0; i < rank; ++i) header += (i ? ", " : "") + std::to_string(t.shape()[i]);
  header += rank == 1 ? ",), }" : "), }";
  // Pad so the data starts 64-byte aligned; the header ends with a newline.
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::vector<uint8_t> out(kMagic, kMagic + 6);
  out.push_back(1);
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(header.size() & 0xff));
  out.push_back(static_cast<uint8_t>(header.size() >> 8));
  out.insert(out.end(), header.begin(), header.end());
  const size_t start = out.size();
  out.resize(start + static_cast<size_t>(t.elements()) * 4);
  if (t.elements() > 0) std::memcpy(out.data() + start, t.data(), static_cast<size_t>(t.elements()) * 4);
  return out;
}

Status write_npy(const std::string& path, const Tensor& tensor) { return write_file_bytes(path, encode_npy(tensor)); }

Tensor nchw_to_nhwc(const Tensor& x) {
  const Shape& s = x.shape();
  const int64_t N = s[0], C = s[1], H = s[2], W = s[3];
  Tensor y(Shape{N, H, W, C});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) y[((n * H + h) * W + w) * C + c] = x[((n * C + c) * H + h) * W + w];
  return y;
}

Tensor nhwc_to_nchw(const Tensor& x) {
  const Shape& s = x.shape();
  const int64_t N = s[0], H = s[1], W = s[2], C = s[3];
  Tensor y(Shape{N, C, H, W});
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) y[((n * C + c) * H + h) * W + w] = x[((n * H + h) * W + w) * C + c];
  return y;
}

}  // namespace nl
