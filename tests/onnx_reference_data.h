// The ONNX reference set written by tests/reference/export_onnx.py (the build
// runs it into NL_ONNX_REFERENCE_DIR): where it is, its index.json, its .npy
// files, and the comparison every [onnx] reference test uses,
// max|a - b| / max|b|.
#pragma once
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tensor/npy.h"
#include "tensor/tensor.h"

namespace nl::test {

inline std::string onnx_reference_dir() {
#ifndef __EMSCRIPTEN__
  if (const char* dir = std::getenv("NL_ONNX_REFERENCE_DIR"); dir && *dir) return dir;
#endif
  return NL_ONNX_REFERENCE_DIR;
}

// max|a - b| / max|b| (max|a - b| when b is all zeros); a and b have b's element count.
inline double relative_error(const Tensor& a, const Tensor& b) {
  double diff = 0.0, scale = 0.0;
  for (int64_t i = 0; i < b.elements(); ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return scale > 0.0 ? diff / scale : diff;
}

// A file of the set, e.g. "resnet18.input.npy".
inline Tensor load_onnx_reference_npy(const std::string& file) {
  auto t = read_npy(onnx_reference_dir() + "/" + file);
  if (!t.ok()) FAIL(t.status().message());
  return t.value();
}

// index.json; fails the test, saying how to make the set, when it is missing.
inline nlohmann::json load_onnx_reference_index() {
  std::ifstream index_file(onnx_reference_dir() + "/index.json");
  if (!index_file)
    FAIL("no " << onnx_reference_dir() << "/index.json; export the models with:\n  " << NL_ONNX_REFERENCE_COMMAND
               << "\n(the build does this itself when /usr/bin/python3 has torch, torchvision and onnx)");
  std::stringstream text;
  text << index_file.rdbuf();
  return nlohmann::json::parse(text.str());
}

}  // namespace nl::test
