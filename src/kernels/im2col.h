// im2col / col2im for NHWC convolution: unfold the receptive field of every
// output pixel into one row of a matrix, so a convolution becomes a GEMM
// (ggml's and Caffe's approach), and fold such a matrix back (the adjoint),
// which the input gradient needs.
//
// The column matrix of one image, for output rows [row_begin, row_end):
//   col: [(row_end - row_begin) * out_w, groups, kernel_h, kernel_w, in_c / groups]
// Row p holds output pixel (row_begin + p / out_w, p % out_w); its groups lie
// side by side, so group g's part is a strided sub-matrix starting at column
// g * kernel_h * kernel_w * (in_c / groups) with row stride col_width(). Taps
// that fall into the zero padding are 0 in im2col and dropped by col2im.
#pragma once
#include <cstdint>

namespace nl {

// One image's convolution geometry. Kernels trust it: ops validate first.
struct ConvGeometry {
  int64_t in_h = 0, in_w = 0, in_c = 0;  // input image [in_h, in_w, in_c]
  int64_t out_h = 0, out_w = 0;          // from conv_output_size
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0;  // bottom/right padding only shows in out_h/out_w
  int groups = 1;

  int64_t group_channels() const { return in_c / groups; }
  // Columns of one group's part: kernel_h * kernel_w * (in_c / groups).
  int64_t group_col_width() const { return int64_t{kernel_h} * kernel_w * group_channels(); }
  // Row length of the column matrix: kernel_h * kernel_w * in_c.
  int64_t col_width() const { return int64_t{kernel_h} * kernel_w * in_c; }
};

// Output length along one axis: (in + pad_begin + pad_end - dilation*(kernel-1) - 1) / stride + 1,
// or 0 when the dilated kernel does not fit in the padded input.
int64_t conv_output_size(int64_t in, int kernel, int stride, int dilation, int pad_begin, int pad_end);

// Unfolds output rows [row_begin, row_end) of one image.
//   image: [in_h, in_w, in_c]
//   col:   [(row_end - row_begin) * out_w, col_width()]   (written, every element)
void im2col_nhwc(const ConvGeometry& g, const float* image, int64_t row_begin, int64_t row_end, float* col);

// im2col_nhwc written straight in the packed-B layout of gemm_f32 (see
// gemm_f32_pack_b), for a GEMM that takes the column matrix as op(B) with the
// pixels along K: the weight gradient dW += dy^T * col. Column j of pixel p
// (p = 0 for output row row_begin, column 0) goes to
// out[(j / nr) * panel_stride + p * nr + j % nr], zero for j past col_width()
// up to a multiple of nr. panel_stride >= pixels * nr lets several calls fill
// one set of panels, each at its own first row. Saves the GEMM a second copy
// of the column matrix. nr: gemm_f32_panel_width().
//   image: [in_h, in_w, in_c]
//   out:   ceil(col_width() / nr) panels, panel_stride floats apart, of [pixels, nr] each,
//          pixels = (row_end - row_begin) * out_w
void im2col_nhwc_panels(const ConvGeometry& g, const float* image, int64_t row_begin, int64_t row_end, int nr,
                        int64_t panel_stride, float* out);

// The indirect form of im2col_nhwc, for gemm_f32_indirect: with one group and
// no horizontal dilation the taps of one kernel row are kernel_w * in_c
// adjacent floats of the image, so instead of copying them,
// rows[kh * kernel_row_stride + p] points at the part of column-matrix row p
// that kernel row kh fills (p < pixels = (row_end - row_begin) * out_w;
// kernel_row_stride >= pixels lets several calls fill one table, each at its
// own first pixel). That is the
// image itself when the whole kernel row lies inside it, `zeros` (kernel_w *
// in_c zero floats) when it lies above or below or entirely beside it, else a
// zero-padded copy written to `edge`. Returns the floats of `edge` used (at
// most pixels * col_width()).
//   rows: kernel_h rows of pointers, kernel_row_stride apart (pixels of each written)
int64_t im2col_row_pointers(const ConvGeometry& g, const float* image, int64_t row_begin, int64_t row_end,
                            const float* zeros, float* edge, const float** rows, int64_t kernel_row_stride);

// The adjoint of im2col_nhwc: adds every in-bounds entry of col back onto the
// image pixel it was read from (image += col2im(col)), in a fixed order.
//   col:   [(row_end - row_begin) * out_w, col_width()]
//   image: [in_h, in_w, in_c]   (accumulated into)
void col2im_nhwc_add(const ConvGeometry& g, const float* col, int64_t row_begin, int64_t row_end, float* image);

}  // namespace nl
