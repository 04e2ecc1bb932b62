// Parsing the ONNX message subset: see onnx_proto.h. One function per message;
// each walks its fields with a WireReader, keeps the fields the importer uses
// and skips the rest. Sections: 1. helpers · 2. TensorProto · 3. AttributeProto,
// NodeProto · 4. ValueInfoProto · 5. GraphProto, ModelProto.
#include "model/onnx/onnx_proto.h"

#include <algorithm>
#include <cstring>

#include "model/onnx/protobuf_wire.h"

namespace nl {

namespace {

using pb::Field;
using pb::WireReader;
using pb::WireType;
using L = OnnxLimits;

// ---- 1. helpers -----------------------------------------------------------------------------

Status too_deep(const char* what) {
  return Status::Error(std::string("ONNX: ") + what + " is nested deeper than " + std::to_string(L::kMaxDepth) +
                       " messages");
}

Status count_limit(const char* what, size_t limit) {
  return Status::Error(std::string("ONNX: more than ") + std::to_string(limit) + " " + what);
}

// A varint field as a signed 64-bit integer (protobuf's int64/int32 encoding).
Status read_int(const Field& f, int64_t* out, const char* where) {
  NL_RETURN_IF_ERROR(pb::expect_wire_type(f, WireType::kVarint, where));
  *out = static_cast<int64_t>(f.value);
  return Status::Ok();
}

Status read_string(const Field& f, std::string* out, const char* where) {
  auto s = pb::field_string(f, L::kMaxStringBytes, where);
  if (!s.ok()) return s.status();
  *out = std::move(s.value());
  return Status::Ok();
}

// ---- 2. TensorProto ----------------------------------------------------------------------------

Status parse_tensor(std::span<const uint8_t> bytes, uint64_t offset, int depth, OnnxTensor* t) {
  if (depth > L::kMaxDepth) return too_deep("a TensorProto");
  constexpr const char* kWhere = "ONNX TensorProto";
  WireReader r(bytes, offset);
  Field f;
  while (!r.done()) {
    NL_RETURN_IF_ERROR(r.next(&f));
    switch (f.number) {
      case 1:  // dims
        NL_RETURN_IF_ERROR(pb::append_varints(f, &t->dims, L::kMaxRank, "ONNX TensorProto dims"));
        break;
      case 2: {  // data_type
        int64_t v = 0;
        NL_RETURN_IF_ERROR(read_int(f, &v, kWhere));
        t->data_type = static_cast<int32_t>(v);
        break;
      }
      case 4:  // float_data
        NL_RETURN_IF_ERROR(pb::append_fixed32(f, &t->float_data, L::kMaxTensorElements, "ONNX TensorProto float_data"));
        break;
      case 5:  // int32_data
      case 7:  // int64_data
        NL_RETURN_IF_ERROR(pb::append_varints(f, &t->int_data, L::kMaxTensorElements, "ONNX TensorProto int data"));
        break;
      case 8:
        NL_RETURN_IF_ERROR(read_string(f, &t->name, kWhere));
        break;
      case 9:  // raw_data
        NL_RETURN_IF_ERROR(pb::expect_wire_type(f, WireType::kBytes, kWhere));
        t->raw_data = f.bytes;
        t->has_raw_data = true;
        break;
      case 10:  // double_data
        NL_RETURN_IF_ERROR(pb::append_fixed64(f, &t->double_data, L::kMaxTensorElements, "ONNX TensorProto double_data"));
        break;
      case 14: {  // data_location
        int64_t v = 0;
        NL_RETURN_IF_ERROR(read_int(f, &v, kWhere));
        t->external = v == 1;
        break;
      }
      default:
        break;  // segment, string_data, external_data, doc_string, uint64_data: unused
    }
  }
  t->elements = 1;
  for (int64_t d : t->dims) {
    if (d < 0)
      return Status::Error("ONNX: tensor '" + t->name + "' has a negative dimension " + std::to_string(d));
    if (d != 0 && t->elements > L::kMaxTensorElements / d)
      return Status::Error("ONNX: tensor '" + t->name + "' has more than " + std::to_string(L::kMaxTensorElements) +
                           " elements (the limit)");
    t->elements *= d;
  }
  if (t->elements > L::kMaxTensorElements)
    return Status::Error("ONNX: tensor '" + t->name + "' has more than " + std::to_string(L::kMaxTensorElements) +
                         " elements (the limit)");
  return Status::Ok();
}

// ---- 3. AttributeProto, NodeProto -----------------------------------------------------------------

Status parse_attribute(std::span<const uint8_t> bytes, uint64_t offset, int depth, OnnxAttribute* a) {
  if (depth > L::kMaxDepth) return too_deep("an AttributeProto");
  constexpr const char* kWhere = "ONNX AttributeProto";
  WireReader r(bytes, offset);
  Field f;
  while (!r.done()) {
    NL_RETURN_IF_ERROR(r.next(&f));
    switch (f.number) {
      case 1:
        NL_RETURN_IF_ERROR(read_string(f, &a->name, kWhere));
        break;
      case 2: {  // f
        NL_RETURN_IF_ERROR(pb::expect_wire_type(f, WireType::kFixed32, kWhere));
        const uint32_t bits = static_cast<uint32_t>(f.value);
        static_assert(sizeof(float) == sizeof(uint32_t));
        std::memcpy(&a->f, &bits, 4);
        break;
      }
      case 3:
        NL_RETURN_IF_ERROR(read_int(f, &a->i, kWhere));
        break;
      case 4:
        NL_RETURN_IF_ERROR(read_string(f, &a->s, kWhere));
        break;
      case 5: {  // t
        NL_RETURN_IF_ERROR(pb::expect_wire_type(f, WireType::kBytes, kWhere));
        a->t.clear();
        a->t.emplace_back();
        NL_RETURN_IF_ERROR(parse_tensor(f.bytes, f.bytes_offset, depth + 1, &a->t.back()));
        break;
      }
      case 7: {  // floats
        std::vector<uint32_t> bits;
        NL_RETURN_IF_ERROR(pb::append_fixed32(f, &bits, L::kMaxAttributeValues - a->floats.size(), "ONNX attribute floats"));
        for (uint32_t b : bits) {
          float v;
          std::memcpy(&v, &b, 4);
          a->floats.push_back(v);
        }
        break;
      }
      case 8:  // ints
        NL_RETURN_IF_ERROR(pb::append_varints(f, &a->ints, L::kMaxAttributeValues, "ONNX attribute ints"));
        break;
      case 20: {  // type
        int64_t v = 0;
        NL_RETURN_IF_ERROR(read_int(f, &v, kWhere));
        a->type = static_cast<int32_t>(v);
        break;
      }
      default:
        break;  // g, graphs, tensors, strings, sparse tensors, type protos, ref_attr_name: not read
    }
  }
  return Status::Ok();
}

Status parse_node(std::span<const uint8_t> bytes, uint64_t offset, int depth, OnnxNode* n) {
  if (depth > L::kMaxDepth) return too_deep("a NodeProto");
  constexpr const char* kWhere = "ONNX NodeProto";
  WireReader r(bytes, offset);
  Field f;
  while (!r.done()) {
    NL_RETURN_IF_ERROR(r.next(&f));
    switch (f.number) {
      case 1:
      case 2: {
        auto& list = f.number == 1 ? n->inputs : n->outputs;
        if (list.size() >= L::kMaxNodeInputs) return count_limit("inputs or outputs on one node", L::kMaxNodeInputs);
        list.emplace_back();
        NL_RETURN_IF_ERROR(read_string(f, &list.back(), kWhere));
        break;
      }
      case 3:
        NL_RETURN_IF_ERROR(read_string(f, &n->name, kWhere));
        break;
      case 4:
        NL_RETURN_IF_ERROR(read_string(f, &n->op_type, kWhere));
        break;
      case 5:
        if (n->attributes.size() >= L::kMaxAttributes) return count_limit("attributes on one node", L::kMaxAttributes);
        NL_RETURN_IF_ERROR(pb::expect_wire_type(f, WireType::kBytes, kWhere));
        n->attributes.emplace_back();
        NL_RETURN_IF_ERROR(parse_attribute(f.bytes, f.bytes_offset, depth + 1, &n->attributes.back()));
        break;
      case 7:
        NL_RETURN_IF_ERROR(read_string(f, &n->domain, kWhere));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

// ---- 4. ValueInfoProto ----------------------------------------------------------------------------

Status parse_shape(std::span<const uint8_t> bytes, uint64_t offset, OnnxValueInfo* v) {
  constexpr const char* kWhere = "ONNX TensorShapeProto";
  WireReader r(bytes, offset);
  Field f;
  v->has_shape = true;
  while (!r.done()) {
    NL_RETURN_IF_ERROR(r.next(&f));
    if (f.number != 1) continue;
    NL_RETURN_IF_ERROR(pb::expect_wire_type(f, WireType::kBytes, kWhere));
    if (v->dims.size() >= L::kMaxRank) return count_limit("dimensions in a shape", L::kMaxRank);
    OnnxDim dim;
    WireReader dr(f.bytes, f.bytes_offset);
    Field d;
    while (!dr.done()) {
      NL_RETURN_IF_ERROR(dr.next(&d));
      if (d.number == 1) {
        NL_RETURN_IF_ERROR(read_int(d, &dim.value, kWhere));
        dim.has_value = true;
      } else if (d.number == 2) {
        NL_RETURN_IF_ERROR(read_string(d, &dim.param, kWhere));
        dim.has_value = false;
      }
    }
    v->dims.push_back(std::move(dim));
  }
  return Status::Ok();
}

Status parse_value_info(std::span<const uint8_t> bytes, uint64_t offset, int depth, OnnxValueInfo* v) {
  if (depth > L::kMaxDepth) return too_deep("a ValueInfoProto");
  constexpr const char* kWhere = "ONNX ValueInfoProto";
  WireReader r(bytes, offset);
  Field f;
  while (!r.done()) {
    NL_RETURN_IF_ERROR(r.next(&f));
    if (f.number == 1) {
      NL_RETURN_IF_ERROR(read_string(f, &v->name, kWhere));
    } else if (f.number == 2) {  // TypeProto
      NL_RETURN_IF_ERROR(pb::expect_wire_type(f, WireType::kBytes, kWhere));
      WireReader tr(f.bytes, f.bytes_offset);
      Field t;
      while (!tr.done()) {
        NL_RETURN_IF_ERROR(tr.next(&t));
        if (t.number != 1) continue;  // sequence, map, optional, sparse: not tensors
        NL_RETURN_IF_ERROR(pb::expect_wire_type(t, WireType::kBytes, kWhere));
        v->is_tensor = true;
        WireReader ttr(t.bytes, t.bytes_offset);
        Field tt;
        while (!ttr.done()) {
          NL_RETURN_IF_ERROR(ttr.next(&tt));
          if (tt.number == 1) {
            int64_t e = 0;
            NL_RETURN_IF_ERROR(read_int(tt, &e, kWhere));
            v->elem_type = static_cast<int32_t>(e);
          } else if (tt.number == 2) {
            NL_RETURN_IF_ERROR(pb::expect_wire_type(tt, WireType::kBytes, kWhere));
            v->dims.clear();
            NL_RETURN_IF_ERROR(parse_shape(tt.bytes, tt.bytes_offset, v));
          }
        }
      }
    }
  }
  return Status::Ok();
}

// ---- 5. GraphProto, ModelProto ----------------------------------------------------------------------

Status parse_graph(std::span<const uint8_t> bytes, uint64_t offset, int depth, OnnxGraph* g) {
  if (depth > L::kMaxDepth) return too_deep("a GraphProto");
  constexpr const char* kWhere = "ONNX GraphProto";
  WireReader r(bytes, offset);
  Field f;
  while (!r.done()) {
    NL_RETURN_IF_ERROR(r.next(&f));
    switch (f.number) {
      case 1:
        if (g->nodes.size() >= L::kMaxNodes) return count_limit("nodes", L::kMaxNodes);
        NL_RETURN_IF_ERROR(pb::expect_wire_type(f, WireType::kBytes, kWhere));
        g->nodes.emplace_back();
        g->nodes.back().index = g->nodes.size() - 1;
        NL_RETURN_IF_ERROR(parse_node(f.bytes, f.bytes_offset, depth + 1, &g->nodes.back()));
        break;
      case 2:
        NL_RETURN_IF_ERROR(read_string(f, &g->name, kWhere));
        break;
      case 5:
        if (g->initializers.size() >= L::kMaxInitializers) return count_limit("initializers", L::kMaxInitializers);
        NL_RETURN_IF_ERROR(pb::expect_wire_type(f, WireType::kBytes, kWhere));
        g->initializers.emplace_back();
        NL_RETURN_IF_ERROR(parse_tensor(f.bytes, f.bytes_offset, depth + 1, &g->initializers.back()));
        break;
      case 11:
      case 12:
      case 13: {
        auto& list = f.number == 11 ? g->inputs : f.number == 12 ? g->outputs : g->value_info;
        if (list.size() >= L::kMaxGraphValues) return count_limit("graph inputs, outputs or value infos", L::kMaxGraphValues);
        NL_RETURN_IF_ERROR(pb::expect_wire_type(f, WireType::kBytes, kWhere));
        list.emplace_back();
        NL_RETURN_IF_ERROR(parse_value_info(f.bytes, f.bytes_offset, depth + 1, &list.back()));
        break;
      }
      case 15:
        ++g->sparse_initializers;
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

// A hint for files that are clearly something else.
std::string what_it_looks_like(std::span<const uint8_t> b) {
  auto starts = [&](const char* magic, size_t n) {
    return b.size() >= n && std::equal(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n),
                                       reinterpret_cast<const uint8_t*>(magic));
  };
  if (starts("\x89PNG", 4)) return " (it looks like a PNG image)";
  if (starts("\xff\xd8\xff", 3)) return " (it looks like a JPEG image)";
  if (starts("PK\x03\x04", 4)) return " (it looks like a zip archive, e.g. a PyTorch .pt file)";
  if (starts("\x93NUMPY", 6)) return " (it looks like a NumPy .npy file)";
  if (starts("\x1f\x8b", 2)) return " (it looks like a gzip file)";
  if (!b.empty() && (b[0] == '{' || b[0] == '[')) return " (it looks like JSON text)";
  return "";
}

}  // namespace

std::string onnx_type_name(int32_t type) {
  static const char* kNames[] = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
                                 "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
  if (type >= 0 && type < static_cast<int32_t>(std::size(kNames))) return kNames[type];
  return "type " + std::to_string(type);
}

const OnnxAttribute* OnnxNode::attribute(const std::string& attribute_name) const {
  for (const auto& a : attributes)
    if (a.name == attribute_name) return &a;
  return nullptr;
}

Result<OnnxModel> parse_onnx_model(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return Status::Error("ONNX: the file is empty");
  OnnxModel m;
  constexpr const char* kWhere = "ONNX ModelProto";
  WireReader r(bytes, 0);
  Field f;
  Status s;
  while (s.ok() && !r.done()) {
    s = r.next(&f);
    if (!s.ok()) break;
    switch (f.number) {
      case 1:
        s = read_int(f, &m.ir_version, kWhere);
        break;
      case 2:
        s = read_string(f, &m.producer_name, kWhere);
        break;
      case 3:
        s = read_string(f, &m.producer_version, kWhere);
        break;
      case 7:
        s = pb::expect_wire_type(f, WireType::kBytes, kWhere);
        if (s.ok() && m.has_graph) s = Status::Error("ONNX: the model holds more than one graph");
        if (s.ok()) s = parse_graph(f.bytes, f.bytes_offset, 1, &m.graph);
        m.has_graph = true;
        break;
      case 8: {
        if (m.opset_imports.size() >= L::kMaxOpsetImports) {
          s = count_limit("opset imports", L::kMaxOpsetImports);
          break;
        }
        s = pb::expect_wire_type(f, WireType::kBytes, kWhere);
        if (!s.ok()) break;
        OnnxOpsetImport op;
        WireReader or_(f.bytes, f.bytes_offset);
        Field o;
        while (s.ok() && !or_.done()) {
          s = or_.next(&o);
          if (!s.ok()) break;
          if (o.number == 1) s = read_string(o, &op.domain, kWhere);
          else if (o.number == 2) s = read_int(o, &op.version, kWhere);
        }
        m.opset_imports.push_back(std::move(op));
        break;
      }
      case 25:
        ++m.functions;
        break;
      default:
        break;
    }
  }
  if (!s.ok())
    return Status::Error(s.message().rfind("ONNX", 0) == 0 ? s.message()
                                                           : "ONNX: " + s.message() + what_it_looks_like(bytes));
  if (!m.has_graph || m.ir_version <= 0)
    return Status::Error(std::string("ONNX: the file is not an ONNX model: it has no ") +
                         (m.has_graph ? "IR version" : "graph") + what_it_looks_like(bytes));
  return m;
}

}  // namespace nl
