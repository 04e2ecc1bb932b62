// Raw DEFLATE reader and writer; see raw_inflate.h. Sections:
//   1. the tables of RFC 1951 (length and distance bases)
//   2. BitReader and canonical Huffman decoding
//   3. inflate_raw: stored, fixed and dynamic blocks
//   4. deflate_raw: greedy LZ77 into a fixed-Huffman block
#include "link/raw_inflate.h"

#include <algorithm>
#include <array>
#include <string>

namespace nl {
namespace {

// ---- 1. RFC 1951 tables --------------------------------------------------------------
constexpr std::array<uint16_t, 29> kLengthBase = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                                  31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<uint8_t, 29> kLengthExtra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                  2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<uint16_t, 30> kDistanceBase = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                                    33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                                    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<uint8_t, 30> kDistanceExtra = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                    6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
// The order in which a dynamic block lists the code lengths of its code-length code.
constexpr std::array<uint8_t, 19> kCodeLengthOrder = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
constexpr int kMaxBits = 15;
constexpr size_t kWindow = 32768;

// ---- 2. bits and Huffman codes ---------------------------------------------------------
class BitReader {
 public:
  explicit BitReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  // Reads n <= 16 bits, least significant first; false past the end.
  bool bits(int n, uint32_t* out) {
    while (count_ < n) {
      if (pos_ >= bytes_.size()) return false;
      buffer_ |= static_cast<uint32_t>(bytes_[pos_++]) << count_;
      count_ += 8;
    }
    *out = buffer_ & ((1u << n) - 1);
    buffer_ >>= n;
    count_ -= n;
    return true;
  }
  void align_to_byte() { buffer_ = 0, count_ = 0; }
  size_t byte_position() const { return pos_; }
  size_t size() const { return bytes_.size(); }
  const uint8_t* at(size_t pos) const { return bytes_.data() + pos; }
  void skip_bytes(size_t n) { pos_ += n; }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  uint32_t buffer_ = 0;
  int count_ = 0;
};

// A canonical Huffman code as counts per length and symbols in code order;
// decoded one bit at a time (links are small: simplicity over speed).
struct HuffmanCode {
  std::array<uint16_t, kMaxBits + 1> count{};
  std::vector<uint16_t> symbols;
};

// Builds the code from each symbol's length (0: unused). Over-subscribed
// lengths are an error; an incomplete code is allowed (RFC 1951 permits one
// distance code), and reading one of its missing codes fails in decode().
Status build_code(std::span<const uint8_t> lengths, HuffmanCode* code, const char* what) {
  code->count.fill(0);
  for (uint8_t l : lengths) code->count[l]++;
  code->count[0] = 0;
  int left = 1;
  for (int len = 1; len <= kMaxBits; ++len) {
    left = left * 2 - code->count[len];
    if (left < 0) return Status::Error(std::string("the ") + what + " code is over-subscribed");
  }
  std::array<uint16_t, kMaxBits + 2> offset{};
  for (int len = 1; len <= kMaxBits; ++len) offset[len + 1] = offset[len] + code->count[len];
  code->symbols.assign(offset[kMaxBits + 1], 0);
  for (size_t s = 0; s < lengths.size(); ++s)
    if (lengths[s]) code->symbols[offset[lengths[s]]++] = static_cast<uint16_t>(s);
  return Status::Ok();
}

// The next symbol, or -1 on missing bits or a code the table does not hold.
int decode(BitReader& in, const HuffmanCode& code) {
  int value = 0, first = 0, index = 0;
  for (int len = 1; len <= kMaxBits; ++len) {
    uint32_t bit;
    if (!in.bits(1, &bit)) return -1;
    value |= static_cast<int>(bit);
    const int count = code.count[len];
    if (value - first < count) return code.symbols[static_cast<size_t>(index + value - first)];
    index += count;
    first = (first + count) << 1;
    value <<= 1;
  }
  return -1;
}

// ---- 3. inflate ------------------------------------------------------------------------
class Inflater {
 public:
  Inflater(std::span<const uint8_t> bytes, size_t max_output) : in_(bytes), max_output_(max_output) {}

  Result<std::vector<uint8_t>> run() {
    uint32_t last = 0, type = 0;
    do {
      if (!in_.bits(1, &last) || !in_.bits(2, &type)) return truncated();
      Status s = type == 0   ? stored_block()
                 : type == 1 ? fixed_block()
                 : type == 2 ? dynamic_block()
                             : Status::Error("a block of the reserved type 3");
      if (!s.ok()) return s;
    } while (!last);
    if (in_.byte_position() != in_.size())
      return Status::Error(std::to_string(in_.size() - in_.byte_position()) + " bytes follow the final block");
    return std::move(out_);
  }

 private:
  static Status truncated() { return Status::Error("the compressed data ends early"); }

  Status too_large() const {
    return Status::Error("it decompresses to more than the limit of " + std::to_string(max_output_) + " bytes");
  }

  Status stored_block() {
    in_.align_to_byte();
    const size_t at = in_.byte_position();
    if (in_.size() - at < 4) return truncated();
    const uint8_t* p = in_.at(at);
    const uint32_t len = p[0] | p[1] << 8, nlen = p[2] | p[3] << 8;
    if ((len ^ 0xFFFFu) != nlen) return Status::Error("a stored block's length check does not match");
    if (in_.size() - at - 4 < len) return truncated();
    if (len > max_output_ - out_.size()) return too_large();
    out_.insert(out_.end(), p + 4, p + 4 + len);
    in_.skip_bytes(4 + len);
    return Status::Ok();
  }

  Status fixed_block() {
    static const auto codes = [] {
      std::array<uint8_t, 288> lit{};
      std::fill(lit.begin(), lit.begin() + 144, 8);
      std::fill(lit.begin() + 144, lit.begin() + 256, 9);
      std::fill(lit.begin() + 256, lit.begin() + 280, 7);
      std::fill(lit.begin() + 280, lit.end(), 8);
      std::array<uint8_t, 30> dist{};
      dist.fill(5);
      std::pair<HuffmanCode, HuffmanCode> c;
      (void)build_code(lit, &c.first, "fixed literal");
      (void)build_code(dist, &c.second, "fixed distance");
      return c;
    }();
    return codes_block(codes.first, codes.second);
  }

  Status dynamic_block() {
    uint32_t hlit, hdist, hclen;
    if (!in_.bits(5, &hlit) || !in_.bits(5, &hdist) || !in_.bits(4, &hclen)) return truncated();
    hlit += 257, hdist += 1, hclen += 4;
    if (hlit > 286 || hdist > 30) return Status::Error("a dynamic block declares too many codes");
    std::array<uint8_t, 19> cl_lengths{};
    for (uint32_t i = 0; i < hclen; ++i) {
      uint32_t v;
      if (!in_.bits(3, &v)) return truncated();
      cl_lengths[kCodeLengthOrder[i]] = static_cast<uint8_t>(v);
    }
    HuffmanCode cl_code;
    NL_RETURN_IF_ERROR(build_code(cl_lengths, &cl_code, "code-length"));
    std::array<uint8_t, 286 + 30> lengths{};
    for (uint32_t i = 0; i < hlit + hdist;) {
      const int sym = decode(in_, cl_code);
      if (sym < 0) return Status::Error("a code length is not in the code-length code");
      if (sym < 16) {
        lengths[i++] = static_cast<uint8_t>(sym);
        continue;
      }
      uint32_t repeat, extra;
      uint8_t value = 0;
      if (sym == 16) {
        if (i == 0) return Status::Error("a repeat of the previous code length comes first");
        value = lengths[i - 1];
        if (!in_.bits(2, &extra)) return truncated();
        repeat = 3 + extra;
      } else if (sym == 17) {
        if (!in_.bits(3, &extra)) return truncated();
        repeat = 3 + extra;
      } else {
        if (!in_.bits(7, &extra)) return truncated();
        repeat = 11 + extra;
      }
      if (i + repeat > hlit + hdist) return Status::Error("code lengths repeat past the end of the list");
      while (repeat--) lengths[i++] = value;
    }
    if (lengths[256] == 0) return Status::Error("the block has no end-of-block code");
    HuffmanCode lit, dist;
    NL_RETURN_IF_ERROR(build_code(std::span<const uint8_t>(lengths.data(), hlit), &lit, "literal/length"));
    NL_RETURN_IF_ERROR(build_code(std::span<const uint8_t>(lengths.data() + hlit, hdist), &dist, "distance"));
    return codes_block(lit, dist);
  }

  Status codes_block(const HuffmanCode& lit, const HuffmanCode& dist) {
    while (true) {
      const int sym = decode(in_, lit);
      if (sym < 0) return Status::Error("a literal/length code is missing or truncated");
      if (sym == 256) return Status::Ok();
      if (sym < 256) {
        if (out_.size() >= max_output_) return too_large();
        out_.push_back(static_cast<uint8_t>(sym));
        continue;
      }
      const int li = sym - 257;
      if (li >= static_cast<int>(kLengthBase.size())) return Status::Error("an invalid length code " + std::to_string(sym));
      uint32_t extra;
      if (!in_.bits(kLengthExtra[li], &extra)) return truncated();
      const size_t length = kLengthBase[li] + extra;
      const int di = decode(in_, dist);
      if (di < 0 || di >= static_cast<int>(kDistanceBase.size()))
        return Status::Error("a distance code is missing, truncated or invalid");
      if (!in_.bits(kDistanceExtra[di], &extra)) return truncated();
      const size_t distance = kDistanceBase[di] + extra;
      if (distance > out_.size())
        return Status::Error("a back reference reaches " + std::to_string(distance) + " bytes back, before the start");
      if (length > max_output_ - out_.size()) return too_large();
      const size_t from = out_.size() - distance;
      for (size_t k = 0; k < length; ++k) out_.push_back(out_[from + k]);  // may overlap its own output
    }
  }

  BitReader in_;
  size_t max_output_;
  std::vector<uint8_t> out_;
};

// ---- 4. deflate ------------------------------------------------------------------------
class BitWriter {
 public:
  // Writes n bits of v, least significant first.
  void bits(uint32_t v, int n) {
    buffer_ |= static_cast<uint64_t>(v) << count_;
    count_ += n;
    while (count_ >= 8) {
      out_.push_back(static_cast<uint8_t>(buffer_));
      buffer_ >>= 8;
      count_ -= 8;
    }
  }
  // Huffman codes are defined most significant bit first.
  void code(uint32_t c, int n) {
    uint32_t reversed = 0;
    for (int i = 0; i < n; ++i) reversed |= ((c >> i) & 1u) << (n - 1 - i);
    bits(reversed, n);
  }
  std::vector<uint8_t> finish() {
    if (count_ > 0) out_.push_back(static_cast<uint8_t>(buffer_));
    return std::move(out_);
  }

 private:
  std::vector<uint8_t> out_;
  uint64_t buffer_ = 0;
  int count_ = 0;
};

void write_literal_length(BitWriter& w, int sym) {
  if (sym < 144) w.code(0x30 + sym, 8);
  else if (sym < 256) w.code(0x190 + sym - 144, 9);
  else if (sym < 280) w.code(sym - 256, 7);
  else w.code(0xC0 + sym - 280, 8);
}

void write_match(BitWriter& w, size_t length, size_t distance) {
  int li = static_cast<int>(kLengthBase.size()) - 1;
  while (kLengthBase[li] > length) --li;
  write_literal_length(w, 257 + li);
  w.bits(static_cast<uint32_t>(length - kLengthBase[li]), kLengthExtra[li]);
  int di = static_cast<int>(kDistanceBase.size()) - 1;
  while (kDistanceBase[di] > distance) --di;
  w.code(static_cast<uint32_t>(di), 5);
  w.bits(static_cast<uint32_t>(distance - kDistanceBase[di]), kDistanceExtra[di]);
}

}  // namespace

Result<std::vector<uint8_t>> inflate_raw(std::span<const uint8_t> compressed, size_t max_output) {
  return Inflater(compressed, max_output).run();
}

std::vector<uint8_t> deflate_raw(std::span<const uint8_t> bytes) {
  constexpr int kHashBits = 14;
  constexpr size_t kMinMatch = 3, kMaxMatch = 258, kMaxChain = 32;
  std::vector<int64_t> head(size_t{1} << kHashBits, -1), previous(bytes.size(), -1);
  auto hash = [&](size_t i) {
    const uint32_t v = bytes[i] | bytes[i + 1] << 8 | bytes[i + 2] << 16;
    return (v * 2654435761u) >> (32 - kHashBits);
  };
  auto insert = [&](size_t i) {
    if (i + kMinMatch > bytes.size()) return;
    const uint32_t h = hash(i);
    previous[i] = head[h];
    head[h] = static_cast<int64_t>(i);
  };
  BitWriter w;
  w.bits(1, 1);  // final block
  w.bits(1, 2);  // fixed Huffman codes
  size_t i = 0;
  while (i < bytes.size()) {
    size_t best_length = 0, best_distance = 0;
    if (i + kMinMatch <= bytes.size()) {
      int64_t candidate = head[hash(i)];
      const size_t limit = std::min(kMaxMatch, bytes.size() - i);
      for (size_t chain = 0; candidate >= 0 && chain < kMaxChain; ++chain, candidate = previous[candidate]) {
        const size_t from = static_cast<size_t>(candidate);
        if (i - from > kWindow) break;
        size_t length = 0;
        while (length < limit && bytes[from + length] == bytes[i + length]) ++length;
        if (length > best_length) best_length = length, best_distance = i - from;
        if (length == limit) break;
      }
    }
    if (best_length >= kMinMatch) {
      write_match(w, best_length, best_distance);
      for (size_t k = 0; k < best_length; ++k) insert(i + k);
      i += best_length;
    } else {
      write_literal_length(w, bytes[i]);
      insert(i);
      ++i;
    }
  }
  write_literal_length(w, 256);
  return w.finish();
}

}  // namespace nl
