// Status: how the engine reports an error without exceptions.
// Every public entry point that can fail on user input returns a Status (or a
// Result<T>) whose message names what failed and why; kernels only assert.
#pragma once
#include <string>
#include <utility>

namespace nl {

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message), false); }

  bool ok() const { return ok_; }
  const std::string& message() const { return message_; }

 private:
  Status(std::string message, bool ok) : message_(std::move(message)), ok_(ok) {}
  std::string message_;
  bool ok_ = true;
};

// A value or an error. Access value() only when ok().
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) {}
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return value_; }
  const T& value() const { return value_; }

 private:
  Status status_;
  T value_{};
};

}  // namespace nl

// Propagates a failed Status to the caller.
#define NL_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::nl::Status nl_status_ = (expr);       \
    if (!nl_status_.ok()) return nl_status_; \
  } while (0)
