// A reader for the protocol buffers wire format (the encoding of .onnx files),
// written for untrusted input: every varint, length and field is checked
// against the bytes that remain, and errors give the byte offset in the file.
// It decodes fields one at a time; the message schema (which field number
// means what) lives with the caller (onnx_proto.cpp).
//
// The wire format: a message is a sequence of fields, each a varint key
// (field_number << 3 | wire_type) followed by its payload:
//   0 varint · 1 fixed 64-bit · 2 length-delimited (varint length, bytes) ·
//   5 fixed 32-bit · 3/4 groups (deprecated; refused here).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor/status.h"

namespace nl::pb {

enum class WireType : uint8_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kStartGroup = 3, kEndGroup = 4, kFixed32 = 5 };

struct Field {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t value = 0;                // kVarint, kFixed64, kFixed32 (zero-extended)
  std::span<const uint8_t> bytes;    // kBytes: the payload, inside the reader's buffer
  uint64_t bytes_offset = 0;         // kBytes: offset of the payload in the whole file
};

class WireReader {
 public:
  // `data` is one message's bytes; `file_offset` is where they start in the file (for errors).
  explicit WireReader(std::span<const uint8_t> data, uint64_t file_offset = 0)
      : data_(data), file_offset_(file_offset) {}

  bool done() const { return pos_ >= data_.size(); }
  // Decodes the next field; errors name the byte offset and what was wrong.
  Status next(Field* field);

 private:
  Status read_varint(uint64_t* value);
  Status error(const std::string& what) const;

  std::span<const uint8_t> data_;
  uint64_t file_offset_;
  size_t pos_ = 0;
};

// Decodes a varint at the start of `bytes`; returns the bytes consumed, or 0 when
// the varint is truncated, longer than 10 bytes, or overflows 64 bits.
size_t decode_varint(std::span<const uint8_t> bytes, uint64_t* value);

// Checks that a field has the wire type a schema expects ("<where>: field N has wire type T, expected U").
Status expect_wire_type(const Field& field, WireType expected, const char* where);

// A string field: its payload as text, at most max_bytes long.
Result<std::string> field_string(const Field& field, size_t max_bytes, const char* where);

// Repeated scalar fields arrive packed (one kBytes field holding many values)
// or unpacked (one field per value); these append either form to `out`,
// refusing to grow it past max_count.
Status append_varints(const Field& field, std::vector<int64_t>* out, size_t max_count, const char* where);
Status append_fixed32(const Field& field, std::vector<uint32_t>* out, size_t max_count, const char* where);
Status append_fixed64(const Field& field, std::vector<uint64_t>* out, size_t max_count, const char* where);

}  // namespace nl::pb
