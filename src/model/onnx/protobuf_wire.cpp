// Protocol buffers wire-format reader: see protobuf_wire.h.
#include "model/onnx/protobuf_wire.h"

#include <cstring>

namespace nl::pb {

namespace {

const char* wire_type_name(WireType t) {
  switch (t) {
    case WireType::kVarint: return "varint";
    case WireType::kFixed64: return "fixed64";
    case WireType::kBytes: return "length-delimited";
    case WireType::kStartGroup: return "start-group";
    case WireType::kEndGroup: return "end-group";
    case WireType::kFixed32: return "fixed32";
  }
  return "unknown";
}

uint64_t load_le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

size_t decode_varint(std::span<const uint8_t> bytes, uint64_t* value) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes.size() && i < 10; ++i) {
    const uint64_t b = bytes[i];
    // The 10th byte holds bit 63 only: anything more would overflow 64 bits.
    if (i == 9 && b > 1) return 0;
    v |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *value = v;
      return i + 1;
    }
  }
  return 0;
}

Status WireReader::error(const std::string& what) const {
  return Status::Error("protobuf: at byte " + std::to_string(file_offset_ + pos_) + ": " + what);
}

Status WireReader::read_varint(uint64_t* value) {
  const size_t n = decode_varint(data_.subspan(pos_), value);
  if (n == 0) {
    // With fewer than 10 bytes left, decoding fails only when every byte says "more follows".
    const bool truncated = data_.size() - pos_ < 10;
    return error(truncated ? "the file ends inside a varint (truncated?)"
                           : "a varint is longer than 10 bytes or overflows 64 bits");
  }
  pos_ += n;
  return Status::Ok();
}

Status WireReader::next(Field* field) {
  uint64_t key = 0;
  NL_RETURN_IF_ERROR(read_varint(&key));
  const uint64_t number = key >> 3;
  const auto type = static_cast<WireType>(key & 7);
  if (number == 0 || number > 0x1fffffff)
    return error("field number " + std::to_string(number) + " is outside 1..536870911 (not a protobuf message?)");
  field->number = static_cast<uint32_t>(number);
  field->type = type;
  field->value = 0;
  field->bytes = {};
  const size_t remaining = data_.size() - pos_;
  switch (type) {
    case WireType::kVarint:
      return read_varint(&field->value);
    case WireType::kFixed64:
      if (remaining < 8) return error("field " + std::to_string(number) + " needs 8 bytes, " + std::to_string(remaining) + " remain");
      field->value = load_le(data_.data() + pos_, 8);
      pos_ += 8;
      return Status::Ok();
    case WireType::kFixed32:
      if (remaining < 4) return error("field " + std::to_string(number) + " needs 4 bytes, " + std::to_string(remaining) + " remain");
      field->value = load_le(data_.data() + pos_, 4);
      pos_ += 4;
      return Status::Ok();
    case WireType::kBytes: {
      uint64_t length = 0;
      NL_RETURN_IF_ERROR(read_varint(&length));
      const size_t left = data_.size() - pos_;
      if (length > left)
        return error("field " + std::to_string(number) + " claims " + std::to_string(length) + " bytes but only " +
                     std::to_string(left) + " remain (truncated or corrupt)");
      field->bytes = data_.subspan(pos_, static_cast<size_t>(length));
      field->bytes_offset = file_offset_ + pos_;
      pos_ += static_cast<size_t>(length);
      return Status::Ok();
    }
    case WireType::kStartGroup:
    case WireType::kEndGroup:
      return error("field " + std::to_string(number) + " uses the deprecated group encoding, which ONNX never uses");
  }
  return error("field " + std::to_string(number) + " has the invalid wire type " + std::to_string(key & 7));
}

Status expect_wire_type(const Field& field, WireType expected, const char* where) {
  if (field.type == expected) return Status::Ok();
  return Status::Error(std::string(where) + ": field " + std::to_string(field.number) + " has wire type " +
                       wire_type_name(field.type) + ", expected " + wire_type_name(expected));
}

Result<std::string> field_string(const Field& field, size_t max_bytes, const char* where) {
  NL_RETURN_IF_ERROR(expect_wire_type(field, WireType::kBytes, where));
  if (field.bytes.size() > max_bytes)
    return Status::Error(std::string(where) + ": a string field of " + std::to_string(field.bytes.size()) +
                         " bytes (at byte " + std::to_string(field.bytes_offset) + ") is longer than the limit of " +
                         std::to_string(max_bytes));
  return std::string(reinterpret_cast<const char*>(field.bytes.data()), field.bytes.size());
}

namespace {

Status too_many(const char* where, size_t max_count) {
  return Status::Error(std::string(where) + ": more than " + std::to_string(max_count) + " values in a repeated field");
}

template <typename T>
Status append_fixed(const Field& field, std::vector<T>* out, size_t max_count, const char* where, WireType unpacked_type) {
  constexpr size_t kSize = sizeof(T);
  if (field.type == unpacked_type) {
    if (out->size() >= max_count) return too_many(where, max_count);
    out->push_back(static_cast<T>(field.value));
    return Status::Ok();
  }
  NL_RETURN_IF_ERROR(expect_wire_type(field, WireType::kBytes, where));
  if (field.bytes.size() % kSize != 0)
    return Status::Error(std::string(where) + ": a packed field of " + std::to_string(field.bytes.size()) +
                         " bytes is not a whole number of " + std::to_string(kSize) + "-byte values");
  const size_t count = field.bytes.size() / kSize;
  if (count > max_count - out->size()) return too_many(where, max_count);
  const size_t start = out->size();
  out->resize(start + count);
  for (size_t i = 0; i < count; ++i) (*out)[start + i] = static_cast<T>(load_le(field.bytes.data() + i * kSize, kSize));
  return Status::Ok();
}

}  // namespace

Status append_varints(const Field& field, std::vector<int64_t>* out, size_t max_count, const char* where) {
  if (field.type == WireType::kVarint) {
    if (out->size() >= max_count) return too_many(where, max_count);
    out->push_back(static_cast<int64_t>(field.value));
    return Status::Ok();
  }
  NL_RETURN_IF_ERROR(expect_wire_type(field, WireType::kBytes, where));
  std::span<const uint8_t> rest = field.bytes;
  while (!rest.empty()) {
    if (out->size() >= max_count) return too_many(where, max_count);
    uint64_t v = 0;
    const size_t n = decode_varint(rest, &v);
    if (n == 0)
      return Status::Error(std::string(where) + ": a packed varint field (at byte " + std::to_string(field.bytes_offset) +
                           ") holds a truncated or overlong varint");
    out->push_back(static_cast<int64_t>(v));
    rest = rest.subspan(n);
  }
  return Status::Ok();
}

Status append_fixed32(const Field& field, std::vector<uint32_t>* out, size_t max_count, const char* where) {
  return append_fixed(field, out, max_count, where, WireType::kFixed32);
}

Status append_fixed64(const Field& field, std::vector<uint64_t>* out, size_t max_count, const char* where) {
  return append_fixed(field, out, max_count, where, WireType::kFixed64);
}

}  // namespace nl::pb
