// Op codecs: how each op type is read from and written to model.json's
// "settings". One table (op_codecs.cpp) lists every op the format knows;
// adding an op to the format is one entry there. Internal to src/model.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "model/json_fields.h"
#include "nn/op.h"

namespace nl {

struct OpCodec {
  const char* type;  // Op::type(), and "op" in model.json
  // Builds the op from its settings; input_shapes (at batch 1) let settings
  // such as in_channels be left out. Settings errors go to `settings`.
  Result<std::unique_ptr<Op>> (*create)(JsonFields& settings, std::span<const Shape> input_shapes);
  // Writes every setting explicitly (so saved files never depend on defaults);
  // JSON null when `op` is not of the codec's class.
  nlohmann::ordered_json (*save)(const Op& op);
};

// The codec for `type`, or null.
const OpCodec* find_op_codec(std::string_view type);
// "Conv2D, Dense, ...": for errors about unknown ops.
std::string known_op_types();

}  // namespace nl
