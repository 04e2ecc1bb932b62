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

// What a codec may use besides the settings when it creates an op.
struct OpCreateContext {
  std::span<const Shape> input_shapes;  // at batch 1: lets settings such as in_channels be left out
  // Parameters (floats) the weights file can still back: an op needing more is
  // refused before anything is allocated, so a small hostile model.json
  // cannot claim gigabytes.
  uint64_t param_budget = 0;
};

struct OpCodec {
  const char* type;  // Op::type(), and "op" in model.json
  // Builds the op from its settings; settings errors go to `settings`.
  Result<std::unique_ptr<Op>> (*create)(JsonFields& settings, const OpCreateContext& context);
  // Writes every setting explicitly (so saved files never depend on defaults);
  // JSON null when `op` is not of the codec's class.
  nlohmann::ordered_json (*save)(const Op& op);
  // Checks loaded parameter values beyond finiteness (e.g. BatchNorm's running
  // variance >= 0); null when there is nothing to check.
  Status (*check_weights)(const Op& op) = nullptr;
};

// The codec for `type`, or null.
const OpCodec* find_op_codec(std::string_view type);
// "Conv2D, Dense, ...": for errors about unknown ops.
std::string known_op_types();

}  // namespace nl
