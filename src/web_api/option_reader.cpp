#include "web_api/option_reader.h"

#include <cmath>

namespace nl::web {

using emscripten::val;

namespace {
std::string show(double v) {
  std::string s = std::to_string(v);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}
}  // namespace

OptionReader::OptionReader(val options, std::string who) : options_(std::move(options)), who_(std::move(who)) {
  if (!options_.isUndefined() && !options_.isNull() && options_.typeOf().as<std::string>() != "object") {
    fail(who_ + ": options must be an object");
  }
}

val OptionReader::get(const char* key) const {
  if (options_.isUndefined() || options_.isNull() || options_.typeOf().as<std::string>() != "object") return val::undefined();
  return options_[key];
}

void OptionReader::fail(const std::string& message) {
  if (status_.ok()) status_ = Status::Error(message);
}

double OptionReader::number(const char* key, double fallback, double min, double max) {
  val v = get(key);
  if (v.isUndefined() || v.isNull()) return fallback;
  if (!v.isNumber()) {
    fail(who_ + ": option '" + key + "' must be a number");
    return fallback;
  }
  const double d = v.as<double>();
  if (!std::isfinite(d) || d < min || d > max) {
    fail(who_ + ": option '" + key + "' is " + show(d) + ", expected a number in " + show(min) + ".." + show(max));
    return fallback;
  }
  return d;
}

int OptionReader::integer(const char* key, int fallback, int min, int max) {
  val v = get(key);
  if (v.isUndefined() || v.isNull()) return fallback;
  const double d = v.isNumber() ? v.as<double>() : NAN;
  if (!std::isfinite(d) || d != std::floor(d) || d < min || d > max) {
    fail(who_ + ": option '" + key + "' is " + (v.isNumber() ? show(d) : std::string("not a number")) +
         ", expected an integer in " + std::to_string(min) + ".." + std::to_string(max));
    return fallback;
  }
  return static_cast<int>(d);
}

bool OptionReader::boolean(const char* key, bool fallback) {
  val v = get(key);
  if (v.isUndefined() || v.isNull()) return fallback;
  if (!v.isTrue() && !v.isFalse()) {
    fail(who_ + ": option '" + key + "' must be true or false");
    return fallback;
  }
  return v.isTrue();
}

int OptionReader::choice(const char* key, int fallback, const std::vector<std::string>& choices) {
  val v = get(key);
  if (v.isUndefined() || v.isNull()) return fallback;
  if (v.isString()) {
    const std::string s = v.as<std::string>();
    for (size_t i = 0; i < choices.size(); ++i)
      if (choices[i] == s) return static_cast<int>(i);
  }
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : ", ") + c;
  fail(who_ + ": option '" + key + "' must be one of " + list);
  return fallback;
}

std::vector<int> OptionReader::integers(const char* key, int min, int max, size_t max_count) {
  std::vector<int> out;
  val v = get(key);
  if (v.isUndefined() || v.isNull()) return out;
  if (!val::global("Array").call<bool>("isArray", v)) {
    fail(who_ + ": option '" + key + "' must be an array of integers");
    return out;
  }
  const size_t n = v["length"].as<size_t>();
  if (n > max_count) {
    fail(who_ + ": option '" + key + "' has " + std::to_string(n) + " entries, at most " + std::to_string(max_count));
    return out;
  }
  for (size_t i = 0; i < n; ++i) {
    val e = v[i];
    const double d = e.isNumber() ? e.as<double>() : NAN;
    if (!std::isfinite(d) || d != std::floor(d) || d < min || d > max) {
      fail(who_ + ": option '" + key + "' entry " + std::to_string(i) + " is not an integer in " + std::to_string(min) +
           ".." + std::to_string(max));
      return {};
    }
    out.push_back(static_cast<int>(d));
  }
  return out;
}

}  // namespace nl::web
