// A minimal protobuf writer for building ONNX models inside tests: the
// hostile-input tests need files that are almost right (one bad length, a
// cycle, a huge dimension), and the layout tests need models whose answer can
// be computed by hand. Field numbers follow onnx/onnx.proto.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace nl::test::onnx {

struct Message {
  std::vector<uint8_t> bytes;

  void varint(uint64_t v) {
    while (v >= 0x80) {
      bytes.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    bytes.push_back(static_cast<uint8_t>(v));
  }
  void key(int field, int wire_type) { varint(static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire_type)); }
  Message& int_field(int field, int64_t v) {
    key(field, 0);
    varint(static_cast<uint64_t>(v));
    return *this;
  }
  Message& bytes_field(int field, const void* data, size_t size) {
    key(field, 2);
    varint(size);
    const auto* p = static_cast<const uint8_t*>(data);
    bytes.insert(bytes.end(), p, p + size);
    return *this;
  }
  Message& string_field(int field, const std::string& s) { return bytes_field(field, s.data(), s.size()); }
  Message& message_field(int field, const Message& m) { return bytes_field(field, m.bytes.data(), m.bytes.size()); }
  Message& float_field(int field, float f) {
    key(field, 5);
    uint8_t b[4];
    std::memcpy(b, &f, 4);
    bytes.insert(bytes.end(), b, b + 4);
    return *this;
  }
  Message& packed_ints(int field, const std::vector<int64_t>& values) {
    Message inner;
    for (int64_t v : values) inner.varint(static_cast<uint64_t>(v));
    return message_field(field, inner);
  }
};

// TensorProto: FLOAT with raw_data (or float_data when raw is false).
inline Message tensor(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values,
                      bool raw = true) {
  Message t;
  for (int64_t d : dims) t.int_field(1, d);
  t.int_field(2, 1);
  if (raw) {
    t.bytes_field(9, values.data(), values.size() * 4);
  } else {
    Message packed;
    for (float v : values) {
      uint8_t b[4];
      std::memcpy(b, &v, 4);
      packed.bytes.insert(packed.bytes.end(), b, b + 4);
    }
    t.message_field(4, packed);
  }
  t.string_field(8, name);
  return t;
}

// TensorProto: INT64 in int64_data.
inline Message int64_tensor(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int64_t>& values) {
  Message t;
  for (int64_t d : dims) t.int_field(1, d);
  t.int_field(2, 7);
  t.packed_ints(7, values);
  t.string_field(8, name);
  return t;
}

inline Message attr_int(const std::string& name, int64_t v) {
  Message a;
  a.string_field(1, name).int_field(3, v).int_field(20, 2);
  return a;
}
inline Message attr_float(const std::string& name, float v) {
  Message a;
  a.string_field(1, name).float_field(2, v).int_field(20, 1);
  return a;
}
inline Message attr_ints(const std::string& name, const std::vector<int64_t>& v) {
  Message a;
  a.string_field(1, name);
  for (int64_t x : v) a.int_field(8, x);
  a.int_field(20, 7);
  return a;
}
inline Message attr_string(const std::string& name, const std::string& v) {
  Message a;
  a.string_field(1, name).string_field(4, v).int_field(20, 3);
  return a;
}
inline Message attr_tensor(const std::string& name, const Message& t) {
  Message a;
  a.string_field(1, name).message_field(5, t).int_field(20, 4);
  return a;
}

inline Message node(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs,
                    const std::string& name = "", const std::vector<Message>& attributes = {}) {
  Message n;
  for (const auto& i : inputs) n.string_field(1, i);
  for (const auto& o : outputs) n.string_field(2, o);
  if (!name.empty()) n.string_field(3, name);
  n.string_field(4, op);
  for (const auto& a : attributes) n.message_field(5, a);
  return n;
}

// ValueInfoProto of a FLOAT tensor; a negative dim is symbolic ("N").
inline Message value_info(const std::string& name, const std::vector<int64_t>& dims, int elem_type = 1) {
  Message shape;
  for (int64_t d : dims) {
    Message dim;
    if (d >= 0) dim.int_field(1, d);
    else dim.string_field(2, "N");
    shape.message_field(1, dim);
  }
  Message tensor_type;
  tensor_type.int_field(1, elem_type).message_field(2, shape);
  Message type;
  type.message_field(1, tensor_type);
  Message v;
  v.string_field(1, name).message_field(2, type);
  return v;
}

inline Message graph(const std::vector<Message>& nodes, const std::vector<Message>& initializers,
                     const std::vector<Message>& inputs, const std::vector<Message>& outputs, const std::string& name = "g") {
  Message g;
  for (const auto& n : nodes) g.message_field(1, n);
  g.string_field(2, name);
  for (const auto& t : initializers) g.message_field(5, t);
  for (const auto& i : inputs) g.message_field(11, i);
  for (const auto& o : outputs) g.message_field(12, o);
  return g;
}

inline std::vector<uint8_t> model(const Message& graph, int64_t opset = 13, int64_t ir_version = 7) {
  Message opset_import;
  opset_import.string_field(1, "").int_field(2, opset);
  Message m;
  m.int_field(1, ir_version).string_field(2, "neuronlens-test").message_field(7, graph).message_field(8, opset_import);
  return m.bytes;
}

}  // namespace nl::test::onnx
