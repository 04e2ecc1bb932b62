#include "model/json_fields.h"

#include <cmath>

#include "model/strict_json.h"

namespace nl {

namespace {

bool is_integer(const nlohmann::ordered_json& v) { return v.is_number_integer(); }

// Value of an integer member, clamped into int64 (unsigned values beyond it become the max).
int64_t integer_value(const nlohmann::ordered_json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<nlohmann::ordered_json::number_unsigned_t>();
    return u > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(u);
  }
  return v.get<nlohmann::ordered_json::number_integer_t>();
}

}  // namespace

JsonFields::JsonFields(const nlohmann::ordered_json& object, std::string where) : object_(object), where_(std::move(where)) {
  if (!object_.is_object()) error_ = Status::Error(where_ + " must be a JSON object");
}

void JsonFields::fail(const std::string& message) {
  if (error_.ok()) error_ = Status::Error(where_ + ": " + message);
}

void JsonFields::type_error(const char* key, const char* expected) {
  fail(std::string("'") + key + "' must be " + expected);
}

bool JsonFields::has(const char* key) const { return object_.is_object() && object_.contains(key); }

const nlohmann::ordered_json* JsonFields::find(const char* key) {
  read_.insert(key);
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(key);
  return it == object_.end() ? nullptr : &*it;
}

const nlohmann::ordered_json* JsonFields::member(const char* key) { return find(key); }

int64_t JsonFields::integer(const char* key, int64_t lo, int64_t hi, std::optional<int64_t> fallback) {
  const nlohmann::ordered_json* v = find(key);
  if (!v) {
    if (!fallback) fail(std::string("'") + key + "' is missing");
    return fallback.value_or(lo);
  }
  if (!is_integer(*v)) {
    type_error(key, "an integer");
    return lo;
  }
  const int64_t value = integer_value(*v);
  if (value < lo || value > hi) {
    fail(std::string("'") + key + "' is " + std::to_string(value) + ", outside [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "]");
    return lo;
  }
  return value;
}

double JsonFields::number(const char* key, double lo, double hi, std::optional<double> fallback) {
  const nlohmann::ordered_json* v = find(key);
  if (!v) {
    if (!fallback) fail(std::string("'") + key + "' is missing");
    return fallback.value_or(lo);
  }
  if (!v->is_number()) {
    type_error(key, "a number");
    return lo;
  }
  const double value = v->get<double>();
  if (!std::isfinite(value) || value < lo || value > hi) {
    fail(std::string("'") + key + "' is " + std::to_string(value) + ", outside [" + std::to_string(lo) + ", " +
         std::to_string(hi) + "]");
    return lo;
  }
  return value;
}

bool JsonFields::boolean(const char* key, std::optional<bool> fallback) {
  const nlohmann::ordered_json* v = find(key);
  if (!v) {
    if (!fallback) fail(std::string("'") + key + "' is missing");
    return fallback.value_or(false);
  }
  if (!v->is_boolean()) {
    type_error(key, "true or false");
    return false;
  }
  return v->get<bool>();
}

std::string JsonFields::string(const char* key, std::optional<std::string> fallback) {
  const nlohmann::ordered_json* v = find(key);
  if (!v) {
    if (!fallback) fail(std::string("'") + key + "' is missing");
    return fallback.value_or("");
  }
  if (!v->is_string()) {
    type_error(key, "a string");
    return "";
  }
  return v->get<std::string>();
}

std::array<int64_t, 2> JsonFields::pair(const char* key, int64_t lo, int64_t hi, std::optional<int64_t> fallback) {
  const nlohmann::ordered_json* v = find(key);
  std::array<int64_t, 2> out{lo, lo};
  if (!v) {
    if (!fallback) fail(std::string("'") + key + "' is missing");
    else out = {*fallback, *fallback};
    return out;
  }
  std::vector<int64_t> values;
  if (is_integer(*v)) values = {integer_value(*v), integer_value(*v)};
  else if (v->is_array() && v->size() == 2 && is_integer((*v)[0]) && is_integer((*v)[1]))
    values = {integer_value((*v)[0]), integer_value((*v)[1])};
  else {
    type_error(key, "an integer or a pair of integers [h, w]");
    return out;
  }
  for (int64_t x : values)
    if (x < lo || x > hi) {
      fail(std::string("'") + key + "' holds " + std::to_string(x) + ", outside [" + std::to_string(lo) + ", " +
           std::to_string(hi) + "]");
      return out;
    }
  return {values[0], values[1]};
}

std::array<int64_t, 4> JsonFields::padding(const char* key, int64_t hi) {
  const nlohmann::ordered_json* v = find(key);
  std::array<int64_t, 4> out{0, 0, 0, 0};
  if (!v) return out;
  std::vector<int64_t> values;
  if (is_integer(*v)) values.assign(4, integer_value(*v));
  else if (v->is_array() && (v->size() == 2 || v->size() == 4)) {
    for (const auto& x : *v) {
      if (!is_integer(x)) break;
      values.push_back(integer_value(x));
    }
    if (values.size() != v->size()) values.clear();
    else if (values.size() == 2) values = {values[0], values[1], values[0], values[1]};
  }
  if (values.size() != 4) {
    type_error(key, "an integer, [h, w] or [top, left, bottom, right]");
    return out;
  }
  for (int64_t x : values)
    if (x < 0 || x > hi) {
      fail(std::string("'") + key + "' holds " + std::to_string(x) + ", outside [0, " + std::to_string(hi) + "]");
      return out;
    }
  return {values[0], values[1], values[2], values[3]};
}

std::vector<double> JsonFields::numbers(const char* key, size_t max_count, double lo, double hi,
                                        std::optional<std::vector<double>> fallback) {
  const nlohmann::ordered_json* v = find(key);
  if (!v) {
    if (!fallback) fail(std::string("'") + key + "' is missing");
    return fallback.value_or(std::vector<double>{});
  }
  if (v->is_number()) {
    const double x = v->get<double>();
    if (std::isfinite(x) && x >= lo && x <= hi) return {x};
  }
  std::vector<double> out;
  if (v->is_array() && !v->empty() && v->size() <= max_count) {
    for (const auto& x : *v) {
      if (!x.is_number()) break;
      const double d = x.get<double>();
      if (!std::isfinite(d) || d < lo || d > hi) break;
      out.push_back(d);
    }
    if (out.size() == v->size()) return out;
  }
  fail(std::string("'") + key + "' must be a number or an array of 1 to " + std::to_string(max_count) +
       " numbers, each in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return {};
}

std::vector<std::string> JsonFields::strings(const char* key, size_t max_count, bool allow_empty_array) {
  const nlohmann::ordered_json* v = find(key);
  if (!v) {
    fail(std::string("'") + key + "' is missing");
    return {};
  }
  std::vector<std::string> out;
  if (v->is_array() && (allow_empty_array || !v->empty()) && v->size() <= max_count) {
    for (const auto& x : *v) {
      if (!x.is_string()) break;
      out.push_back(x.get<std::string>());
    }
    if (out.size() == v->size()) return out;
  }
  fail(std::string("'") + key + "' must be an array of " + (allow_empty_array ? "0" : "1") + " to " +
       std::to_string(max_count) + " strings");
  return {};
}

Status JsonFields::finish() {
  if (!error_.ok()) return error_;
  for (auto it = object_.begin(); it != object_.end(); ++it)
    if (!read_.count(it.key())) return Status::Error(where_ + ": unknown key " + quote_name(it.key()));
  return Status::Ok();
}

}  // namespace nl

