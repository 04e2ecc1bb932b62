// NumPy .npy files [npy]: round trips, layouts, and malformed headers and data.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "tensor/npy.h"

namespace {

std::vector<uint8_t> npy_with_header(const std::string& header, size_t data_bytes, uint8_t major = 1) {
  std::vector<uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0};
  std::string h = header;
  while ((10 + h.size() + 1) % 16) h += ' ';
  h += '\n';
  b.push_back(static_cast<uint8_t>(h.size() & 0xff));
  b.push_back(static_cast<uint8_t>(h.size() >> 8));
  b.insert(b.end(), h.begin(), h.end());
  b.resize(b.size() + data_bytes, 0);
  return b;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  auto r = nl::parse_npy(bytes, "x.npy");
  return r.ok() ? std::string() : r.status().message();
}

}  // namespace

TEST_CASE(".npy round trip and NCHW/NHWC layouts", "[npy]") {
  nl::Tensor t(nl::Shape{2, 3, 4, 5});
  for (int64_t i = 0; i < t.elements(); ++i) t[i] = static_cast<float>(i) * 0.5f - 7.0f;
  auto back = nl::parse_npy(nl::encode_npy(t), "t.npy");
  REQUIRE(back.ok());
  CHECK(back.value().shape() == t.shape());
  for (int64_t i = 0; i < t.elements(); ++i) CHECK(back.value()[i] == t[i]);
  nl::Tensor flat(nl::Shape{7});
  auto flat_back = nl::parse_npy(nl::encode_npy(flat), "f.npy");
  REQUIRE(flat_back.ok());
  CHECK(flat_back.value().shape() == nl::Shape{7});

  const nl::Tensor nhwc = nl::nchw_to_nhwc(t);
  CHECK(nhwc.shape() == nl::Shape({2, 4, 5, 3}));
  // x[n=1, c=2, h=3, w=4] in NCHW is y[1, 3, 4, 2] in NHWC.
  CHECK(nhwc[((1 * 4 + 3) * 5 + 4) * 3 + 2] == t[((1 * 3 + 2) * 4 + 3) * 5 + 4]);
  const nl::Tensor again = nl::nhwc_to_nchw(nhwc);
  for (int64_t i = 0; i < t.elements(); ++i) CHECK(again[i] == t[i]);
}

TEST_CASE(".npy: float64 is converted, other files are refused with a reason", "[npy]") {
  auto f8 = npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16);
  const double values[2] = {1.5, -2.25};
  std::memcpy(f8.data() + f8.size() - 16, values, 16);
  auto r = nl::parse_npy(f8, "x.npy");
  REQUIRE(r.ok());
  CHECK(r.value()[1] == -2.25f);

  CHECK(error_of({'n', 'o', 't'}).find("not a NumPy") != std::string::npos);
  CHECK(error_of(npy_with_header("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", 8)).find("'<i4'") !=
        std::string::npos);
  CHECK(error_of(npy_with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16)).find("Fortran") !=
        std::string::npos);
  CHECK(error_of(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 15)).find("need 16") !=
        std::string::npos);
  CHECK(error_of(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", 0))
            .find("elements") != std::string::npos);
  CHECK(error_of(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1), }", 4))
            .find("dimensions") != std::string::npos);
  CHECK(error_of(npy_with_header("{'descr': '<f4', 'shape': (2,), }", 8)).find("lacks") != std::string::npos);
  CHECK(error_of(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1, }", 8))
            .find("extra") != std::string::npos);
  CHECK(error_of(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, 9)).find("version") !=
        std::string::npos);
  auto long_header = npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8);
  long_header[8] = 0xff;
  long_header[9] = 0xff;
  CHECK(error_of(long_header).find("header claims") != std::string::npos);
  // Every truncation of a valid file is an error.
  const auto valid = npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", 24);
  for (size_t n = 0; n < valid.size(); ++n) CHECK_FALSE(error_of(std::vector<uint8_t>(valid.begin(), valid.begin() + n)).empty());
}
