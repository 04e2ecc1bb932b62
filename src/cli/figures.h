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

// A matrix as an SVG heatmap: values [rows x cols] row-major, each cell
// coloured over [lo, hi] (lo == hi: the values' own range; symmetric about 0
// for kDiverging), row labels on the left, column labels (if any) rotated on
// top, and the value printed in each cell when show_values.
struct MatrixSvgOptions {
  ColorMap map = ColorMap::kViridis;
  double lo = 0, hi = 0;
  int cell_width = 34, cell_height = 34;
  bool show_values = true;
};
std::string matrix_svg(const std::vector<double>& values, int64_t rows, int64_t cols,
                       const std::vector<std::string>& row_labels, const std::vector<std::string>& col_labels,
                       const MatrixSvgOptions& options);

// A square matrix [n x n] with rows and columns shown in `order`, labelled (viridis, values printed).
std::string labelled_heatmap_svg(const std::vector<double>& values, int64_t n, const std::vector<int64_t>& order,
                                 const std::vector<std::string>& labels, double lo, double hi, int cell = 34);

// Escapes &, <, >, " for HTML and SVG text.
std::string escape_html(const std::string& text);

}  // namespace nl::cli
