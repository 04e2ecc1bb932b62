// im2col / col2im for NHWC convolution (see im2col.h for the column layout).
// Both walk the column matrix in the same order, one kernel tap at a time; a
// tap copies (or adds) the in_c / groups channels of one input pixel. When
// there is one group and no horizontal dilation, the taps of one kernel row are
// contiguous in the image and in the column, so they move as one block.
#include "kernels/im2col.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "kernels/copy_floats.h"

namespace nl {

int64_t conv_output_size(int64_t in, int kernel, int stride, int dilation, int pad_begin, int pad_end) {
  const int64_t span = int64_t{dilation} * (kernel - 1) + 1;  // extent of the dilated kernel
  const int64_t padded = in + pad_begin + pad_end;
  if (stride <= 0 || padded < span) return 0;
  return (padded - span) / stride + 1;
}

namespace {

// The kernel columns kw in [begin, end) whose input column ow*stride - pad + kw*dilation lies in [0, in_w).
struct TapRange {
  int begin, end;
};

TapRange valid_taps(int64_t origin, int kernel, int dilation, int64_t extent) {
  int begin = 0, end = kernel;
  while (begin < kernel && origin + int64_t{begin} * dilation < 0) ++begin;
  while (end > begin && origin + int64_t{end - 1} * dilation >= extent) --end;
  return {begin, end};
}

// dst[i] += src[i]. Out of line on purpose: V8 keeps a wasm function that is
// already running on its baseline compiler, so hot loops go in small,
// often-called functions (PLATFORM-NOTES.md).
__attribute__((noinline)) void add_into(float* dst, const float* src, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
}

// Calls tap(col_offset, image_offset, count) for every in-bounds tap of output
// pixel (oh, ow), and gap(col_offset, count) for every padded one, in column order.
template <typename Tap, typename Gap>
inline void for_each_tap(const ConvGeometry& g, int64_t oh, int64_t ow, Tap&& tap, Gap&& gap) {
  const int64_t cg = g.group_channels();
  const int64_t ih0 = oh * g.stride_h - g.pad_top;
  const int64_t iw0 = ow * g.stride_w - g.pad_left;
  const TapRange rows = valid_taps(ih0, g.kernel_h, g.dilation_h, g.in_h);
  const TapRange cols = valid_taps(iw0, g.kernel_w, g.dilation_w, g.in_w);
  const int64_t row_width = int64_t{g.kernel_w} * cg;  // one kernel row of one group, in the column
  for (int group = 0; group < g.groups; ++group) {
    const int64_t group_col = group * g.group_col_width();
    const int64_t group_channel = group * cg;
    for (int kh = 0; kh < g.kernel_h; ++kh) {
      const int64_t col_row = group_col + kh * row_width;
      if (kh < rows.begin || kh >= rows.end) {
        gap(col_row, row_width);
        continue;
      }
      const int64_t ih = ih0 + int64_t{kh} * g.dilation_h;
      if (cols.begin > 0) gap(col_row, cols.begin * cg);
      const int64_t image_row = (ih * g.in_w) * g.in_c + group_channel;
      if (g.groups == 1 && g.dilation_w == 1) {
        // Taps cols.begin..end-1 read adjacent pixels: one contiguous block.
        if (cols.end > cols.begin)
          tap(col_row + cols.begin * cg, image_row + (iw0 + cols.begin) * g.in_c, (cols.end - cols.begin) * cg);
      } else {
        for (int kw = cols.begin; kw < cols.end; ++kw) {
          const int64_t iw = iw0 + int64_t{kw} * g.dilation_w;
          tap(col_row + kw * cg, image_row + iw * g.in_c, cg);
        }
      }
      if (cols.end < g.kernel_w) gap(col_row + cols.end * cg, (g.kernel_w - cols.end) * cg);
    }
  }
}

}  // namespace

void im2col_nhwc(const ConvGeometry& g, const float* image, int64_t row_begin, int64_t row_end, float* col) {
  assert(row_begin >= 0 && row_begin <= row_end && row_end <= g.out_h);
  const int64_t width = g.col_width();
  for (int64_t oh = row_begin; oh < row_end; ++oh) {
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      float* dst = col + ((oh - row_begin) * g.out_w + ow) * width;
      for_each_tap(
          g, oh, ow,
          [&](int64_t c, int64_t i, int64_t count) {
            copy_floats(dst + c, image + i, count);
          },
          [&](int64_t c, int64_t count) { std::memset(dst + c, 0, static_cast<size_t>(count) * sizeof(float)); });
    }
  }
}

void im2col_nhwc_panels(const ConvGeometry& g, const float* image, int64_t row_begin, int64_t row_end, int nr,
                        int64_t panel_stride, float* out) {
  assert(row_begin >= 0 && row_begin <= row_end && row_end <= g.out_h && nr > 0);
  assert(panel_stride >= (row_end - row_begin) * g.out_w * nr);
  const int64_t width = g.col_width();
  const int64_t padded = (width + nr - 1) / nr * nr;
  const int64_t panel_size = panel_stride;
  float* row = out;  // pixel p's first panel row: out + p * nr
  // Copies `count` columns starting at column c (zeros when src is null), cut at panel edges.
  auto put = [&](int64_t c, const float* src, int64_t count) {
    while (count > 0) {
      const int64_t j = c % nr, len = std::min<int64_t>(count, nr - j);
      float* dst = row + (c / nr) * panel_size + j;
      if (src) {
        copy_floats(dst, src, len);
        src += len;
      } else {
        std::memset(dst, 0, static_cast<size_t>(len) * sizeof(float));
      }
      c += len;
      count -= len;
    }
  };
  for (int64_t oh = row_begin; oh < row_end; ++oh) {
    for (int64_t ow = 0; ow < g.out_w; ++ow, row += nr) {
      for_each_tap(
          g, oh, ow, [&](int64_t c, int64_t i, int64_t count) { put(c, image + i, count); },
          [&](int64_t c, int64_t count) { put(c, nullptr, count); });
      put(width, nullptr, padded - width);
    }
  }
}

int64_t im2col_row_pointers(const ConvGeometry& g, const float* image, int64_t row_begin, int64_t row_end,
                            const float* zeros, float* edge, const float** rows, int64_t kernel_row_stride) {
  assert(row_begin >= 0 && row_begin <= row_end && row_end <= g.out_h);
  assert(g.groups == 1 && g.dilation_w == 1);
  assert(kernel_row_stride >= (row_end - row_begin) * g.out_w);
  const int64_t segment = int64_t{g.kernel_w} * g.in_c;
  int64_t used = 0, p = 0;
  for (int64_t oh = row_begin; oh < row_end; ++oh) {
    for (int64_t ow = 0; ow < g.out_w; ++ow, ++p) {
      const int64_t iw0 = ow * g.stride_w - g.pad_left;
      const TapRange cols = valid_taps(iw0, g.kernel_w, 1, g.in_w);
      for (int kh = 0; kh < g.kernel_h; ++kh) {
        const int64_t ih = oh * g.stride_h - g.pad_top + int64_t{kh} * g.dilation_h;
        const float*& slot = rows[kh * kernel_row_stride + p];
        if (ih < 0 || ih >= g.in_h || cols.end <= cols.begin) {
          slot = zeros;
        } else if (cols.begin == 0 && cols.end == g.kernel_w) {
          slot = image + (ih * g.in_w + iw0) * g.in_c;
        } else {
          float* dst = edge + used;
          const int64_t before = cols.begin * g.in_c, inside = (cols.end - cols.begin) * g.in_c;
          std::memset(dst, 0, static_cast<size_t>(before) * sizeof(float));
          copy_floats(dst + before, image + (ih * g.in_w + iw0 + cols.begin) * g.in_c, inside);
          std::memset(dst + before + inside, 0, static_cast<size_t>(segment - before - inside) * sizeof(float));
          slot = dst;
          used += segment;
        }
      }
    }
  }
  return used;
}

void col2im_nhwc_add(const ConvGeometry& g, const float* col, int64_t row_begin, int64_t row_end, float* image) {
  assert(row_begin >= 0 && row_begin <= row_end && row_end <= g.out_h);
  const int64_t width = g.col_width();
  for (int64_t oh = row_begin; oh < row_end; ++oh) {
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      const float* src = col + ((oh - row_begin) * g.out_w + ow) * width;
      for_each_tap(
          g, oh, ow,
          [&](int64_t c, int64_t i, int64_t count) { add_into(image + i, src + c, count); },
          [](int64_t, int64_t) {});
    }
  }
}

}  // namespace nl
