// JsonFields: reads the members of one JSON object of model.json with type and
// range checks. The first problem is kept and reported by finish(), which also
// rejects members that were never read (a misspelt "strides" must not be
// silently ignored). Errors read "<where>: '<key>' must be ...".
// Internal to src/model.
#pragma once
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tensor/status.h"

namespace nl {

class JsonFields {
 public:
  // `object` must outlive the reader; a non-object is reported by finish().
  JsonFields(const nlohmann::ordered_json& object, std::string where);

  bool has(const char* key) const;
  // An integer in [lo, hi]; `fallback` when absent (absent and no fallback: an error).
  int64_t integer(const char* key, int64_t lo, int64_t hi, std::optional<int64_t> fallback = std::nullopt);
  // A finite number in [lo, hi].
  double number(const char* key, double lo, double hi, std::optional<double> fallback = std::nullopt);
  bool boolean(const char* key, std::optional<bool> fallback = std::nullopt);
  std::string string(const char* key, std::optional<std::string> fallback = std::nullopt);
  // One integer for both axes, or [h, w].
  std::array<int64_t, 2> pair(const char* key, int64_t lo, int64_t hi, std::optional<int64_t> fallback = std::nullopt);
  // Padding: one integer for all sides, [h, w], or [top, left, bottom, right].
  std::array<int64_t, 4> padding(const char* key, int64_t hi);
  // An array of 1 to max_count finite numbers in [lo, hi].
  std::vector<double> numbers(const char* key, size_t max_count, double lo, double hi,
                              std::optional<std::vector<double>> fallback = std::nullopt);
  // An array of 1 to max_count strings.
  std::vector<std::string> strings(const char* key, size_t max_count, bool allow_empty_array = false);
  // The raw member (null when absent), marked as read; the caller checks it.
  const nlohmann::ordered_json* member(const char* key);

  // Reports a problem found by the caller, in this object's terms.
  void fail(const std::string& message);
  bool ok() const { return error_.ok(); }
  // The first problem, or an error for members that were never read.
  Status finish();
  const std::string& where() const { return where_; }

 private:
  const nlohmann::ordered_json* find(const char* key);
  void type_error(const char* key, const char* expected);

  const nlohmann::ordered_json& object_;
  std::string where_;
  std::set<std::string> read_;
  Status error_;
};

}  // namespace nl
