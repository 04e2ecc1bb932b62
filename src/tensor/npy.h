// NumPy .npy files (format versions 1.0 to 3.0) holding float32 arrays: how
// the CLI's forward and grad commands exchange tensors with Python. Reading
// accepts little-endian float32 ('<f4') or float64 ('<f8', converted), C order,
// 1 to 4 dimensions; every header field and the data length are checked.
// Writing produces version 1.0, '<f4', C order.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tensor/status.h"
#include "tensor/tensor.h"
#include "tensor/limits.h"

namespace nl {

inline constexpr uint64_t kNpyMaxBytes = uint64_t{2} << 30;
inline constexpr int64_t kNpyMaxElements = limits::kMaxTensorElements;

// Parses .npy bytes into a tensor whose shape is the array's. `source` names it in errors.
Result<Tensor> parse_npy(std::span<const uint8_t> bytes, const std::string& source);
Result<Tensor> read_npy(const std::string& path);

// The .npy bytes of `tensor` (its shape as the array's shape).
std::vector<uint8_t> encode_npy(const Tensor& tensor);
Status write_npy(const std::string& path, const Tensor& tensor);

// Layout changes between PyTorch's [N, C, H, W] and the engine's [N, H, W, C].
Tensor nchw_to_nhwc(const Tensor& nchw);
Tensor nhwc_to_nchw(const Tensor& nhwc);

}  // namespace nl
