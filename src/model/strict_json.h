// Strict JSON for the model files: parses with nlohmann-json without letting an
// exception escape, rejects duplicate keys (nlohmann would keep the last one
// silently) and nesting deeper than a limit, and reports where parsing failed.
// Internal to src/model: it exposes nlohmann types.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "tensor/status.h"

namespace nl {

// Parses `bytes` as one JSON value. Errors start with "<source>: ".
Result<nlohmann::ordered_json> parse_json_strictly(std::span<const uint8_t> bytes, const std::string& source, int max_depth);

// JSON text of `value`, never throwing: invalid UTF-8 in strings is replaced.
std::string dump_json(const nlohmann::ordered_json& value, int indent);

// The double whose shortest decimal form reads back as `value` (0.01f gives
// 0.01, not 0.009999999776482582): floats in model.json stay readable.
double readable_float(float value);

// `s` quoted and cut to a readable length, for error messages about names
// that came from a file.
std::string quote_name(const std::string& s);

}  // namespace nl
