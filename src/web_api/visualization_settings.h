// Reads a feature visualization's settings from JS options (shared by the
// live visualization and the tiles job): the objective (node, channel, kind,
// position) and every VisualizeOptions field, with METHOD.md's defaults.
#pragma once
#include <emscripten/val.h>

#include "interpret/visualize.h"

namespace nl::web {

struct Session;

struct VisualizeSettings {
  Objective objective;
  VisualizeOptions options;
  Tensor start_image;  // for start = "input": a copy of the current input
};

// Options: node, channel, objective ("mean" | "sum" | "spatial" | "unit"), y, x,
// steps, learningRate, optimizer ("gradient" | "adam"), blur, l2, tv, jitter,
// scaleJitter, rotate, images, diversity, start ("constant" | "noise" | "input"), seed,
// parameterization ("pixels" | "fourier"; absent: pixels).
Result<VisualizeSettings> read_visualize_settings(Session& session, emscripten::val options, const char* who);

}  // namespace nl::web
