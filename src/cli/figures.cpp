// Figures; see figures.h.
#include "cli/figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace nl::cli {

Image heatmap_image(const std::vector<double>& values, int64_t rows, int64_t cols, ColorMap map, int cell, double lo,
                    double hi) {
  std::vector<float> as_float(values.begin(), values.end());
  const Image small = colorize(as_float, cols, rows, map, lo, hi);
  return upscale_nearest(small, std::max(1, cell));
}

std::string escape_html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string matrix_svg(const std::vector<double>& values, int64_t rows, int64_t cols,
                       const std::vector<std::string>& row_labels, const std::vector<std::string>& col_labels,
                       const MatrixSvgOptions& o) {
  size_t longest_row = 0, longest_col = 0;
  for (const auto& l : row_labels) longest_row = std::max(longest_row, l.size());
  for (const auto& l : col_labels) longest_col = std::max(longest_col, l.size());
  const int left = 10 + static_cast<int>(longest_row) * 7;
  const int top = col_labels.empty() ? 4 : 12 + static_cast<int>(longest_col) * 6;
  // Rotated column labels lean right: leave room past the last column.
  const int width = left + static_cast<int>(cols) * o.cell_width + 4 + static_cast<int>(longest_col) * 4;
  const int height = top + static_cast<int>(rows) * o.cell_height + 4;
  double lo = o.lo, hi = o.hi;
  if (lo == hi) {
    double mn = 0, mx = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      mn = i ? std::min(mn, values[i]) : values[i];
      mx = i ? std::max(mx, values[i]) : values[i];
    }
    if (o.map == ColorMap::kDiverging) {
      hi = std::max(std::fabs(mn), std::fabs(mx));
      lo = -hi;
    } else {
      lo = mn;
      hi = mx;
    }
  }
  const double range = hi - lo > 0 ? hi - lo : 1.0;
  char buf[400];
  std::string svg;
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
                "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
                width, height);
  svg += buf;
  for (int64_t i = 0; i < rows; ++i) {
    if (static_cast<size_t>(i) < row_labels.size()) {
      std::snprintf(buf, sizeof buf, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", left - 4,
                    top + (static_cast<double>(i) + 0.5) * o.cell_height + 4);
      svg += buf + escape_html(row_labels[static_cast<size_t>(i)]) + "</text>\n";
    }
  }
  for (int64_t j = 0; j < cols && static_cast<size_t>(j) < col_labels.size(); ++j) {
    std::snprintf(buf, sizeof buf, "<text transform=\"translate(%.1f,%d) rotate(-60)\">",
                  left + (static_cast<double>(j) + 0.6) * o.cell_width, top - 4);
    svg += buf + escape_html(col_labels[static_cast<size_t>(j)]) + "</text>\n";
  }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      const double v = values[static_cast<size_t>(i * cols + j)];
      const auto rgb = colormap_rgb(o.map, (v - lo) / range);
      std::snprintf(buf, sizeof buf, "<rect x=\"%lld\" y=\"%lld\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\"/>",
                    static_cast<long long>(left + j * o.cell_width), static_cast<long long>(top + i * o.cell_height),
                    o.cell_width, o.cell_height, rgb[0], rgb[1], rgb[2]);
      svg += buf;
      if (o.show_values) {
        const bool light = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 140;
        std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"9\" fill=\"%s\">%.2f</text>",
                      left + (static_cast<double>(j) + 0.5) * o.cell_width, top + (static_cast<double>(i) + 0.5) * o.cell_height + 3,
                      light ? "#000" : "#fff", v);
        svg += buf;
      }
      svg += "\n";
    }
  svg += "</svg>\n";
  return svg;
}

std::string labelled_heatmap_svg(const std::vector<double>& values, int64_t n, const std::vector<int64_t>& order,
                                 const std::vector<std::string>& labels, double lo, double hi, int cell) {
  std::vector<double> reordered(static_cast<size_t>(n * n));
  std::vector<std::string> names;
  for (int64_t i = 0; i < n; ++i) {
    const auto row = static_cast<size_t>(order[static_cast<size_t>(i)]);
    names.push_back(row < labels.size() ? labels[row] : std::to_string(row));
    for (int64_t j = 0; j < n; ++j)
      reordered[static_cast<size_t>(i * n + j)] = values[row * static_cast<size_t>(n) + static_cast<size_t>(order[static_cast<size_t>(j)])];
  }
  MatrixSvgOptions o;
  o.lo = lo;
  o.hi = hi;
  o.cell_width = o.cell_height = cell;
  return matrix_svg(reordered, n, n, names, names, o);
}

std::string dendrogram_svg(const std::vector<double>& merges, const std::vector<int64_t>& order,
                           const std::vector<std::string>& labels, int width, int height) {
  const int64_t n = static_cast<int64_t>(order.size());
  const int64_t rows = static_cast<int64_t>(merges.size() / 4);
  const double left = 48, right = 12, top = 12, bottom = 96;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  double max_h = 0;
  for (int64_t r = 0; r < rows; ++r) max_h = std::max(max_h, merges[static_cast<size_t>(r * 4 + 2)]);
  if (max_h <= 0) max_h = 1;
  // x of every cluster id: leaves by their place in the order, merges at the mean of their children.
  std::vector<double> x(static_cast<size_t>(n + rows), 0.0), y(static_cast<size_t>(n + rows), 0.0);
  const double step = n > 0 ? plot_w / static_cast<double>(n) : plot_w;
  for (int64_t i = 0; i < n; ++i) x[static_cast<size_t>(order[static_cast<size_t>(i)])] = left + step * (static_cast<double>(i) + 0.5);
  for (int64_t i = 0; i < n; ++i) y[static_cast<size_t>(i)] = top + plot_h;
  char buf[256];
  std::string svg;
  std::snprintf(buf, sizeof buf,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                "font-family=\"sans-serif\" font-size=\"11\">\n",
                width, height, width, height);
  svg += buf;
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  // Axis with three ticks.
  for (int t = 0; t <= 2; ++t) {
    const double v = max_h * t / 2.0, yy = top + plot_h - plot_h * t / 2.0;
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>"
                  "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\">%.2f</text>\n",
                  left - 6, yy, left - 2, yy, left - 8, yy + 4, v);
    svg += buf;
  }
  for (int64_t r = 0; r < rows; ++r) {
    const auto a = static_cast<size_t>(merges[static_cast<size_t>(r * 4)]);
    const auto b = static_cast<size_t>(merges[static_cast<size_t>(r * 4 + 1)]);
    const double h = top + plot_h - plot_h * merges[static_cast<size_t>(r * 4 + 2)] / max_h;
    const auto id = static_cast<size_t>(n + r);
    if (a >= x.size() || b >= x.size()) continue;
    x[id] = (x[a] + x[b]) / 2;
    y[id] = h;
    std::snprintf(buf, sizeof buf,
                  "<polyline fill=\"none\" stroke=\"#1f4e79\" stroke-width=\"1.5\" "
                  "points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\"/>\n",
                  x[a], y[a], x[a], h, x[b], h, x[b], y[b]);
    svg += buf;
  }
  for (int64_t i = 0; i < n; ++i) {
    const auto leaf = static_cast<size_t>(order[static_cast<size_t>(i)]);
    const std::string label = leaf < labels.size() ? labels[leaf] : std::to_string(leaf);
    std::snprintf(buf, sizeof buf, "<text transform=\"translate(%.1f,%.1f) rotate(-60)\" text-anchor=\"end\">",
                  x[leaf] + 3, top + plot_h + 8);
    svg += buf;
    svg += escape_html(label) + "</text>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace nl::cli
