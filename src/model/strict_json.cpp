#include "model/strict_json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <vector>

namespace nl {

namespace {

// A SAX pass that only checks: depth, duplicate keys, and syntax (with the
// parser's own message). The document is built afterwards, once it is known
// to be valid.
class StrictChecker {
 public:
  using json = nlohmann::json;
  explicit StrictChecker(int max_depth) : max_depth_(max_depth) {}
  std::string error;

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const json::string_t&) { return true; }
  bool string(json::string_t&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return open(); }
  bool end_object() { return close(); }
  bool start_array(std::size_t) { return open(); }
  bool end_array() { return close(); }
  bool key(json::string_t& name) {
    if (!scopes_.back().keys.insert(name).second) {
      error = "duplicate key " + quote_name(name);
      return false;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 3, column 5: ...".
    std::string what = e.what();
    const size_t bracket = what.find("] ");
    error = "malformed JSON: " + (bracket == std::string::npos ? what : what.substr(bracket + 2));
    return false;
  }

 private:
  struct Scope {
    std::set<std::string> keys;  // of an object (empty for an array)
  };
  bool open() {
    if (static_cast<int>(scopes_.size()) >= max_depth_) {
      error = "JSON nested deeper than " + std::to_string(max_depth_) + " levels";
      return false;
    }
    scopes_.emplace_back();
    return true;
  }
  bool close() {
    scopes_.pop_back();
    return true;
  }
  int max_depth_;
  std::vector<Scope> scopes_;
};

}  // namespace

double readable_float(float value) {
  if (!std::isfinite(value)) return value;
  char text[32];
  for (int digits = 6; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(value));
    if (std::strtof(text, nullptr) == value) break;  // 9 digits always round-trip a float
  }
  return std::strtod(text, nullptr);
}

std::string quote_name(const std::string& s) {
  constexpr size_t kMax = 80;
  return "'" + (s.size() <= kMax ? s : s.substr(0, kMax) + "...") + "'";
}

Result<nlohmann::ordered_json> parse_json_strictly(std::span<const uint8_t> bytes, const std::string& source, int max_depth) {
  StrictChecker checker(max_depth);
  const bool valid = nlohmann::json::sax_parse(bytes.begin(), bytes.end(), &checker);
  if (!valid || !checker.error.empty())
    return Status::Error(source + ": " + (checker.error.empty() ? std::string("malformed JSON") : checker.error));
  // Ordered: keys keep the file's order (metadata round-trips, errors follow the text).
  auto value = nlohmann::ordered_json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return Status::Error(source + ": malformed JSON");
  return value;
}

std::string dump_json(const nlohmann::ordered_json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}


}  // namespace nl
