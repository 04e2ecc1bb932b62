// OptionReader: reads settings from a JS options object with defaults and
// range checks. The first problem is kept and named ("visualize: option
// 'steps' is 0.5, expected an integer in 1..100000"); later reads return
// their defaults, so a caller reads everything and checks status() once.
#pragma once
#include <emscripten/val.h>

#include <string>
#include <vector>

#include "tensor/status.h"

namespace nl::web {

class OptionReader {
 public:
  OptionReader(emscripten::val options, std::string who);

  double number(const char* key, double fallback, double min, double max);
  int integer(const char* key, int fallback, int min, int max);
  bool boolean(const char* key, bool fallback);
  // One of `choices`; returns its index.
  int choice(const char* key, int fallback, const std::vector<std::string>& choices);
  // An array of integers, each in [min, max], at most max_count of them.
  std::vector<int> integers(const char* key, int min, int max, size_t max_count);

  const Status& status() const { return status_; }

 private:
  emscripten::val get(const char* key) const;
  void fail(const std::string& message);

  emscripten::val options_;
  std::string who_;
  Status status_;
};

}  // namespace nl::web
