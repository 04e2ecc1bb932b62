// Figures the method subcommands and the report share: heatmaps as images
// (one coloured block per cell) and dendrograms as SVG, drawn from SciPy-style
// linkage rows [a, b, distance, size] with leaves in dendrogram order.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "image/colormap.h"
#include "image/image.h"

namespace nl::cli {

// values: [rows x cols]; each cell drawn as cell x cell pixels. lo == hi: the values' own range.
Image heatmap_image(const std::vector<double>& values, int64_t rows, int64_t cols, ColorMap map, int cell,
                    double lo = 0, double hi = 0);

// An SVG dendrogram, leaves along the bottom labelled in leaf order, merge
// heights on a vertical axis. merges: [(n - 1) x 4]; order: the leaf order.
std::string dendrogram_svg(const std::vector<double>& merges, const std::vector<int64_t>& order,
                           const std::vector<std::string>& leaf_labels, int width, int height);

// Escapes &, <, >, " for HTML and SVG text.
std::string escape_html(const std::string& text);

}  // namespace nl::cli
