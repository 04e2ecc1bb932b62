// Constant tensors for the ONNX importer: decoding TensorProto payloads and a
// few folds on constants. See onnx_constant.h.
#include "model/onnx/onnx_constant.h"

#include <bit>
#include <cmath>
#include <climits>
#include <cstdint>
#include <cstring>

namespace nl {

static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian; so must the host be");

namespace {

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const int exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0) magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // zero and subnormals
  else if (exponent == 31) magnitude = mantissa ? NAN : INFINITY;
  else magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  uint32_t bits;
  std::memcpy(&bits, &magnitude, 4);
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

std::string dims_str(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

int64_t dims_elements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return -1;
    if (d != 0 && n > OnnxLimits::kMaxTensorElements / d) return -1;
    n *= d;
  }
  return n;
}

Result<ConstTensor> decode_onnx_tensor(const OnnxTensor& t) {
  const std::string what = "tensor '" + t.name + "' (" + onnx_type_name(t.data_type) + ", " + dims_str(t.dims) + ")";
  if (t.external)
    return Status::Error(what + " keeps its data in an external file, which is not supported: export with the weights "
                                "inside the .onnx file");
  const int64_t n = t.elements;
  ConstTensor out;
  out.dims = t.dims;
  size_t width = 0;
  const auto type = static_cast<OnnxType>(t.data_type);
  switch (type) {
    case OnnxType::kFloat: case OnnxType::kInt32: case OnnxType::kUint32: width = 4; break;
    case OnnxType::kDouble: case OnnxType::kInt64: case OnnxType::kUint64: width = 8; break;
    case OnnxType::kFloat16: case OnnxType::kInt16: case OnnxType::kUint16: case OnnxType::kBfloat16: width = 2; break;
    case OnnxType::kInt8: case OnnxType::kUint8: case OnnxType::kBool: width = 1; break;
    default:
      return Status::Error(what + ": the element type " + onnx_type_name(t.data_type) + " is not supported");
  }
  out.is_int = !(type == OnnxType::kFloat || type == OnnxType::kDouble || type == OnnxType::kFloat16 ||
                 type == OnnxType::kBfloat16);
  const auto count_error = [&](size_t have) {
    return Status::Error(what + " should hold " + std::to_string(n) + " values but its data holds " +
                         std::to_string(have));
  };
  if (out.is_int) out.ints.resize(static_cast<size_t>(n));
  else out.floats.resize(static_cast<size_t>(n));

  if (t.has_raw_data) {
    if (t.raw_data.size() != static_cast<uint64_t>(n) * width) return count_error(t.raw_data.size() / width);
    const uint8_t* p = t.raw_data.data();
    for (int64_t i = 0; i < n; ++i, p += width) {
      const size_t k = static_cast<size_t>(i);
      switch (type) {
        case OnnxType::kFloat: out.floats[k] = load<float>(p); break;
        case OnnxType::kDouble: out.floats[k] = static_cast<float>(load<double>(p)); break;
        case OnnxType::kFloat16: out.floats[k] = half_to_float(load<uint16_t>(p)); break;
        case OnnxType::kBfloat16: {
          const uint32_t bits = static_cast<uint32_t>(load<uint16_t>(p)) << 16;
          std::memcpy(&out.floats[k], &bits, 4);
          break;
        }
        case OnnxType::kInt64: out.ints[k] = load<int64_t>(p); break;
        case OnnxType::kUint64: out.ints[k] = static_cast<int64_t>(load<uint64_t>(p)); break;
        case OnnxType::kInt32: out.ints[k] = load<int32_t>(p); break;
        case OnnxType::kUint32: out.ints[k] = load<uint32_t>(p); break;
        case OnnxType::kInt16: out.ints[k] = load<int16_t>(p); break;
        case OnnxType::kUint16: out.ints[k] = load<uint16_t>(p); break;
        case OnnxType::kInt8: out.ints[k] = load<int8_t>(p); break;
        case OnnxType::kUint8: case OnnxType::kBool: out.ints[k] = *p; break;
        default: break;
      }
    }
    return out;
  }
  // Typed fields: FLOAT in float_data, DOUBLE in double_data, INT64 in int64_data,
  // everything narrower (and FLOAT16's bits) in int32_data.
  if (type == OnnxType::kFloat) {
    if (t.float_data.size() != static_cast<size_t>(n)) return count_error(t.float_data.size());
    for (size_t i = 0; i < t.float_data.size(); ++i) std::memcpy(&out.floats[i], &t.float_data[i], 4);
  } else if (type == OnnxType::kDouble) {
    if (t.double_data.size() != static_cast<size_t>(n)) return count_error(t.double_data.size());
    for (size_t i = 0; i < t.double_data.size(); ++i) {
      double v;
      std::memcpy(&v, &t.double_data[i], 8);
      out.floats[i] = static_cast<float>(v);
    }
  } else {
    if (type == OnnxType::kUint64 || type == OnnxType::kUint32)
      return Status::Error(what + ": unsigned 32/64-bit values are supported only as raw_data");
    if (t.int_data.size() != static_cast<size_t>(n)) return count_error(t.int_data.size());
    for (size_t i = 0; i < t.int_data.size(); ++i) {
      if (type == OnnxType::kFloat16) out.floats[i] = half_to_float(static_cast<uint16_t>(t.int_data[i]));
      else if (type == OnnxType::kBfloat16) {
        const uint32_t bits = static_cast<uint32_t>(t.int_data[i] & 0xffff) << 16;
        std::memcpy(&out.floats[i], &bits, 4);
      } else if (type == OnnxType::kInt64) out.ints[i] = t.int_data[i];
      else out.ints[i] = static_cast<int32_t>(t.int_data[i]);  // int32_data holds sign-extended int32 varints
    }
  }
  return out;
}

Result<std::vector<int64_t>> const_as_ints(const ConstTensor& t, const std::string& what) {
  if (t.is_int) return t.ints;
  std::vector<int64_t> out;
  out.reserve(t.floats.size());
  for (float v : t.floats) {
    if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9.0e15f)
      return Status::Error(what + " must hold whole numbers, found " + std::to_string(v));
    out.push_back(static_cast<int64_t>(v));
  }
  return out;
}

Result<std::vector<int64_t>> broadcast_dims(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    const int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (da != db && da != 1 && db != 1)
      return Status::Error("shapes " + dims_str(a) + " and " + dims_str(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Result<ConstTensor> const_binary(const std::string& op, const ConstTensor& a, const ConstTensor& b) {
  auto dims = broadcast_dims(a.dims, b.dims);
  if (!dims.ok()) return dims.status();
  const int64_t n = dims_elements(dims.value());
  if (n < 0 || n > kMaxFoldedElements)
    return Status::Error("a folded " + op + " of constants " + dims_str(a.dims) + " and " + dims_str(b.dims) +
                         " would have more than " + std::to_string(kMaxFoldedElements) + " elements");
  ConstTensor out;
  out.dims = dims.value();
  out.is_int = a.is_int && b.is_int;
  const size_t rank = out.dims.size();
  // Index of output element i in an operand (broadcast dims contribute stride 0).
  auto source_index = [&](const ConstTensor& t, int64_t i) {
    int64_t index = 0, stride = 1;
    for (size_t k = rank; k-- > 0;) {
      const int64_t coord = i % out.dims[k];
      i /= out.dims[k];
      const size_t offset = rank - t.dims.size();
      if (k >= offset) {
        const int64_t d = t.dims[k - offset];
        if (d != 1) index += coord * stride;
        stride *= d;
      }
    }
    return index;
  };
  if (out.is_int) out.ints.resize(static_cast<size_t>(n));
  else out.floats.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t ia = source_index(a, i), ib = source_index(b, i);
    if (out.is_int) {
      const int64_t x = a.ints[static_cast<size_t>(ia)], y = b.ints[static_cast<size_t>(ib)];
      int64_t r = 0;
      bool overflow = false;
      if (op == "Add") overflow = __builtin_add_overflow(x, y, &r);
      else if (op == "Sub") overflow = __builtin_sub_overflow(x, y, &r);
      else if (op == "Mul") overflow = __builtin_mul_overflow(x, y, &r);
      else if (y == 0) return Status::Error("integer division by zero in a constant");
      else if (x == INT64_MIN && y == -1) overflow = true;
      else r = x / y;
      if (overflow) return Status::Error("integer overflow in a constant " + op);
      out.ints[static_cast<size_t>(i)] = r;
    } else {
      const double x = a.at(ia), y = b.at(ib);
      const double r = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y;
      out.floats[static_cast<size_t>(i)] = static_cast<float>(r);
    }
  }
  return out;
}

}  // namespace nl
