// How every web API call answers JavaScript: a plain object with `ok` and,
// on failure, `message`. Nothing the page sends can abort the module: each
// entry point runs inside guarded(), which turns an engine error, an
// allocation failure (the heap has a maximum) or any stray exception into
// {ok: false, message}. Arrays go back as fresh JS typed arrays copied from
// engine memory (typed_memory_view), so the caller never holds a view that a
// later heap growth could invalidate.
#pragma once
#include <emscripten/val.h>

#include <cstdint>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "tensor/status.h"

namespace nl::web {

using emscripten::val;

inline val ok_result() {
  val result = val::object();
  result.set("ok", true);
  return result;
}

inline val error_result(const std::string& message) {
  val result = val::object();
  result.set("ok", false);
  result.set("message", message);
  return result;
}

inline val status_result(const Status& status) { return status.ok() ? ok_result() : error_result(status.message()); }

// Copies of engine arrays as JS typed arrays (not views: see the file comment).
inline val float_array(const float* data, size_t count) {
  return val::global("Float32Array").new_(emscripten::typed_memory_view(count, data));
}
inline val float_array(const std::vector<float>& values) { return float_array(values.data(), values.size()); }
inline val double_array(const std::vector<double>& values) {
  return val::global("Float64Array").new_(emscripten::typed_memory_view(values.size(), values.data()));
}
inline val byte_array(const std::vector<uint8_t>& values) {
  return val::global("Uint8Array").new_(emscripten::typed_memory_view(values.size(), values.data()));
}
template <typename T>
val int_array(const std::vector<T>& values) {
  std::vector<int32_t> ints(values.begin(), values.end());
  return val::global("Int32Array").new_(emscripten::typed_memory_view(ints.size(), ints.data()));
}
inline val string_array(const std::vector<std::string>& values) {
  val array = val::array();
  for (const std::string& s : values) array.call<void>("push", s);
  return array;
}

// Runs fn() (which returns a val) and converts every failure into an error result.
template <typename Fn>
val guarded(const char* what, Fn&& fn) {
  try {
    return fn();
  } catch (const std::bad_alloc&) {
    return error_result(std::string(what) + ": out of memory (the engine's memory limit was reached); "
                        "try a smaller image or fewer images, or reload the page");
  } catch (const std::exception& e) {
    return error_result(std::string(what) + ": " + e.what());
  } catch (...) {
    return error_result(std::string(what) + ": unexpected failure");
  }
}

}  // namespace nl::web

// Returns an error result from the enclosing guarded() lambda when expr fails.
#define NL_RETURN_IF_ERROR_VAL(expr)                                    \
  do {                                                                  \
    ::nl::Status nl_status_ = (expr);                                   \
    if (!nl_status_.ok()) return ::nl::web::error_result(nl_status_.message()); \
  } while (0)
