#include "model/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "model/strict_json.h"
#include "tensor/file_bytes.h"

namespace nl {

// Tensor data is copied as-is: every target of this engine (x86-64, wasm32) is little-endian.
static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

constexpr const char* kMetadataKey = "__metadata__";

// One header entry as read, before its checks against the data.
struct HeaderEntry {
  std::string name;
  std::string dtype;
  std::vector<uint64_t> shape;
  uint64_t begin = 0, end = 0;
  bool has_dtype = false, has_shape = false, has_offsets = false;
};

// SAX handler for the header: builds exactly the entries above, refusing any
// other structure, so a hostile header costs no more than its own size.
class HeaderSax {
 public:
  using json = nlohmann::json;
  std::vector<HeaderEntry> entries;
  std::vector<std::pair<std::string, std::string>> metadata;
  std::string error;

  bool null() { return unexpected("null"); }
  bool boolean(bool) { return unexpected("a boolean"); }
  bool binary(json::binary_t&) { return unexpected("binary data"); }
  bool number_float(json::number_float_t, const json::string_t&) {
    return unexpected("a non-integer number (or one beyond 2^64)");
  }
  bool number_integer(json::number_integer_t v) {
    if (v >= 0) return number_unsigned(static_cast<uint64_t>(v));
    return unexpected("a negative number");
  }
  bool number_unsigned(json::number_unsigned_t v) {
    if (state_ == State::kShape) {
      if (entries.back().shape.size() >= static_cast<size_t>(Shape::kMaxRank))
        return fail("tensor " + quote_name(entries.back().name) + " has more than " +
                    std::to_string(Shape::kMaxRank) + " dimensions (the engine's limit)");
      entries.back().shape.push_back(v);
      return true;
    }
    if (state_ == State::kOffsets) {
      if (offsets_read_ >= 2) return fail("tensor " + quote_name(entries.back().name) + ": data_offsets has more than 2 numbers");
      (offsets_read_++ == 0 ? entries.back().begin : entries.back().end) = v;
      return true;
    }
    return unexpected("a number");
  }
  bool string(json::string_t& s) {
    if (state_ == State::kMetadataValue) {
      metadata.back().second = s;
      state_ = State::kMetadata;
      return true;
    }
    if (state_ == State::kDtype) {
      entries.back().dtype = s;
      entries.back().has_dtype = true;
      state_ = State::kEntry;
      return true;
    }
    return unexpected("a string");
  }
  bool start_object(std::size_t) {
    if (state_ == State::kStart) return to(State::kTop);
    if (state_ == State::kEntryValue) return to(in_metadata_ ? State::kMetadata : State::kEntry);
    return unexpected("an object");
  }
  bool end_object() {
    if (state_ == State::kTop) return to(State::kDone);
    if (state_ == State::kMetadata) return to(State::kTop);
    if (state_ == State::kEntry) {
      const HeaderEntry& e = entries.back();
      const char* missing = !e.has_dtype ? "dtype" : !e.has_shape ? "shape" : !e.has_offsets ? "data_offsets" : nullptr;
      if (missing) return fail("tensor " + quote_name(e.name) + " has no \"" + missing + "\"");
      return to(State::kTop);
    }
    return unexpected("the end of an object");
  }
  bool start_array(std::size_t) {
    if (state_ == State::kShapeValue) {
      entries.back().has_shape = true;
      return to(State::kShape);
    }
    if (state_ == State::kOffsetsValue) {
      entries.back().has_offsets = true;
      offsets_read_ = 0;
      return to(State::kOffsets);
    }
    return unexpected("an array");
  }
  bool end_array() {
    if (state_ == State::kShape) return to(State::kEntry);
    if (state_ == State::kOffsets) {
      if (offsets_read_ != 2) return fail("tensor " + quote_name(entries.back().name) + ": data_offsets must hold 2 numbers");
      return to(State::kEntry);
    }
    return unexpected("the end of an array");
  }
  bool key(json::string_t& name) {
    if (state_ == State::kTop) {
      if (!top_keys_.insert(name).second) return fail("duplicate tensor name " + quote_name(name));
      in_metadata_ = name == kMetadataKey;
      if (!in_metadata_) {
        if (name.empty()) return fail("a tensor has an empty name");
        if (entries.size() >= kSafetensorsMaxTensors)
          return fail("more than " + std::to_string(kSafetensorsMaxTensors) + " tensors");
        entries.emplace_back();
        entries.back().name = name;
      }
      return to(State::kEntryValue);
    }
    if (state_ == State::kMetadata) {
      for (const auto& kv : metadata)
        if (kv.first == name) return fail("duplicate __metadata__ key " + quote_name(name));
      metadata.emplace_back(name, std::string());
      return to(State::kMetadataValue);
    }
    if (state_ == State::kEntry) {
      HeaderEntry& e = entries.back();
      if (name == "dtype" && !e.has_dtype) return to(State::kDtype);
      if (name == "shape" && !e.has_shape) return to(State::kShapeValue);
      if (name == "data_offsets" && !e.has_offsets) return to(State::kOffsetsValue);
      return fail("tensor " + quote_name(e.name) + " has an unexpected or repeated key " + quote_name(name) +
                  " (expected dtype, shape, data_offsets)");
    }
    return unexpected("a key");
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    std::string what = e.what();
    const size_t bracket = what.find("] ");
    error = "malformed JSON header: " + (bracket == std::string::npos ? what : what.substr(bracket + 2));
    return false;
  }

 private:
  enum class State {
    kStart, kTop, kEntryValue, kEntry, kDtype, kShapeValue, kShape, kOffsetsValue, kOffsets,
    kMetadata, kMetadataValue, kDone
  };
  State state_ = State::kStart;
  bool in_metadata_ = false;
  int offsets_read_ = 0;
  std::set<std::string> top_keys_;

  bool to(State s) {
    state_ = s;
    return true;
  }
  bool fail(std::string message) {
    error = std::move(message);
    return false;
  }
  bool unexpected(const char* what) {
    const char* where = "here";
    switch (state_) {
      case State::kStart: where = "where the header's object belongs"; break;
      case State::kEntryValue: where = in_metadata_ ? "as __metadata__ (must be an object of strings)" : "as a tensor entry (must be an object)"; break;
      case State::kDtype: where = "as a dtype (must be a string such as \"F32\")"; break;
      case State::kShapeValue: case State::kShape: where = "in a shape (must be an array of non-negative integers)"; break;
      case State::kOffsetsValue: case State::kOffsets: where = "in data_offsets (must be 2 non-negative integers)"; break;
      case State::kMetadataValue: where = "as a __metadata__ value (must be a string)"; break;
      case State::kDone: where = "after the header's object"; break;
      default: break;
    }
    std::string entry = (!entries.empty() && state_ != State::kStart && state_ != State::kTop &&
                         state_ != State::kDone && !in_metadata_)
                            ? " (tensor " + quote_name(entries.back().name) + ")" : "";
    return fail(std::string("unexpected ") + what + " " + where + entry);
  }
};

size_t dtype_size(const std::string& dtype) {
  static const std::pair<const char*, size_t> kKnown[] = {
      {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
      {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4}, {"F64", 8}, {"I64", 8}, {"U64", 8}};
  for (const auto& [name, size] : kKnown)
    if (dtype == name) return size;
  return 0;
}

std::string shape_text(const std::vector<uint64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

}  // namespace

Result<SafetensorsContents> parse_safetensors(std::span<const uint8_t> bytes, const std::string& source) {
  if (bytes.size() < 8)
    return Status::Error(source + ": truncated safetensors file (" + std::to_string(bytes.size()) +
                         " bytes; the header length alone takes 8)");
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | bytes[static_cast<size_t>(i)];
  if (header_bytes > bytes.size() - 8)
    return Status::Error(source + ": the header length field says " + std::to_string(header_bytes) +
                         " bytes but only " + std::to_string(bytes.size() - 8) +
                         " follow it (truncated, or not a safetensors file)");
  if (header_bytes > kSafetensorsMaxHeaderBytes)
    return Status::Error(source + ": JSON header of " + describe_byte_count(header_bytes) + " exceeds the limit of " +
                         describe_byte_count(kSafetensorsMaxHeaderBytes));
  const auto header = bytes.subspan(8, static_cast<size_t>(header_bytes));
  if (header.empty() || header[0] != '{')
    return Status::Error(source + ": not a safetensors file (the JSON header must start with '{')");
  HeaderSax sax;
  const bool parsed = nlohmann::json::sax_parse(header.begin(), header.end(), &sax);
  if (!parsed || !sax.error.empty())
    return Status::Error(source + ": " + (sax.error.empty() ? std::string("malformed JSON header") : sax.error));

  const auto data = bytes.subspan(8 + static_cast<size_t>(header_bytes));
  std::vector<HeaderEntry>& entries = sax.entries;
  for (const HeaderEntry& e : entries) {
    const size_t element_size = dtype_size(e.dtype);
    if (e.dtype != "F32")
      return Status::Error(source + ": tensor " + quote_name(e.name) + " has dtype " + quote_name(e.dtype) +
                           (element_size ? "" : " (not a safetensors dtype)") +
                           "; only F32 is supported (convert the weights to float32)");
    if (e.begin > e.end || e.end > data.size())
      return Status::Error(source + ": tensor " + quote_name(e.name) + " has data_offsets [" + std::to_string(e.begin) +
                           ", " + std::to_string(e.end) + "] outside the " + std::to_string(data.size()) +
                           " data bytes");
    // Elements, without overflow: the product of the non-zero dimensions is
    // capped far above anything a file can hold (and Shape::elements() stays exact).
    constexpr uint64_t kMaxElements = uint64_t{1} << 40;
    uint64_t nonzero_product = 1;
    bool has_zero = false, absurd = false;
    for (uint64_t d : e.shape) {
      if (d == 0) has_zero = true;
      else if (nonzero_product > kMaxElements / d) absurd = true;
      else nonzero_product *= d;
    }
    if (absurd)
      return Status::Error(source + ": tensor " + quote_name(e.name) + " has shape " + shape_text(e.shape) +
                           ", more elements than any file can hold");
    const uint64_t span_bytes = e.end - e.begin;
    const uint64_t expected = has_zero ? 0 : nonzero_product * sizeof(float);
    if (expected != span_bytes)
      return Status::Error(source + ": tensor " + quote_name(e.name) + " has shape " + shape_text(e.shape) + " (F32, " +
                           std::to_string(expected) + " bytes) but data_offsets [" + std::to_string(e.begin) + ", " +
                           std::to_string(e.end) + "] span " + std::to_string(span_bytes) + " bytes");
  }
  // The ranges must tile the data: sorted by offset, each begins where the last ended.
  std::vector<size_t> order(entries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return entries[a].begin != entries[b].begin ? entries[a].begin < entries[b].begin : entries[a].end < entries[b].end;
  });
  uint64_t covered = 0;
  const HeaderEntry* previous = nullptr;
  for (size_t i : order) {
    const HeaderEntry& e = entries[i];
    if (e.begin < covered)
      return Status::Error(source + ": tensors " + quote_name(previous->name) + " [" + std::to_string(previous->begin) +
                           ", " + std::to_string(previous->end) + ") and " + quote_name(e.name) + " [" +
                           std::to_string(e.begin) + ", " + std::to_string(e.end) + ") overlap");
    if (e.begin > covered)
      return Status::Error(source + ": data bytes [" + std::to_string(covered) + ", " + std::to_string(e.begin) +
                           ") belong to no tensor (the format allows no holes)");
    covered = e.end;
    previous = &e;
  }
  if (covered != data.size())
    return Status::Error(source + ": data bytes [" + std::to_string(covered) + ", " + std::to_string(data.size()) +
                         ") belong to no tensor (the format allows no holes)");

  SafetensorsContents contents;
  contents.metadata = std::move(sax.metadata);
  std::sort(contents.metadata.begin(), contents.metadata.end());
  contents.tensors.reserve(entries.size());
  for (size_t i : order) {
    const HeaderEntry& e = entries[i];
    Shape shape;
    const auto& d = e.shape;
    switch (d.size()) {
      case 0: shape = Shape{}; break;
      case 1: shape = Shape{int64_t(d[0])}; break;
      case 2: shape = Shape{int64_t(d[0]), int64_t(d[1])}; break;
      case 3: shape = Shape{int64_t(d[0]), int64_t(d[1]), int64_t(d[2])}; break;
      default: shape = Shape{int64_t(d[0]), int64_t(d[1]), int64_t(d[2]), int64_t(d[3])}; break;
    }
    NamedTensor named{e.name, Tensor(shape)};
    if (e.end > e.begin) std::memcpy(named.tensor.data(), data.data() + e.begin, static_cast<size_t>(e.end - e.begin));
    contents.tensors.push_back(std::move(named));
  }
  return contents;
}

Result<SafetensorsContents> read_safetensors(const std::string& path) {
  auto bytes = read_file_bytes(path, kSafetensorsMaxFileBytes);
  if (!bytes.ok()) return bytes.status();
  return parse_safetensors(bytes.value(), path);
}

Result<std::vector<uint8_t>> serialize_safetensors(std::span<const TensorToWrite> tensors,
                                                    const std::vector<std::pair<std::string, std::string>>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const TensorToWrite& t : tensors) {
    if (t.name.empty()) return Status::Error("safetensors: a tensor has an empty name");
    if (t.name == kMetadataKey) return Status::Error("safetensors: the name __metadata__ is reserved");
    if (!names.insert(t.name).second) return Status::Error("safetensors: two tensors are named " + quote_name(t.name));
    nlohmann::ordered_json shape = nlohmann::ordered_json::array();
    for (int i = 0; i < t.tensor->shape().rank(); ++i) shape.push_back(t.tensor->shape()[i]);
    const uint64_t size = static_cast<uint64_t>(t.tensor->elements()) * sizeof(float);
    header[t.name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
    header[kMetadataKey] = meta;
  }
  std::string text = dump_json(header, -1);
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  text.append((8 - text.size() % 8) % 8, ' ');
  std::vector<uint8_t> bytes(8 + text.size() + static_cast<size_t>(offset));
  for (int i = 0; i < 8; ++i) bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(uint64_t(text.size()) >> (8 * i));
  std::memcpy(bytes.data() + 8, text.data(), text.size());
  uint8_t* out = bytes.data() + 8 + text.size();
  for (const TensorToWrite& t : tensors) {
    const size_t size = static_cast<size_t>(t.tensor->elements()) * sizeof(float);
    if (size) std::memcpy(out, t.tensor->data(), size);
    out += size;
  }
  return bytes;
}

Status write_safetensors(const std::string& path, std::span<const TensorToWrite> tensors,
                         const std::vector<std::pair<std::string, std::string>>& metadata) {
  auto bytes = serialize_safetensors(tensors, metadata);
  if (!bytes.ok()) return Status::Error(path + ": " + bytes.status().message());
  return write_file_bytes(path, bytes.value());
}

}  // namespace nl
