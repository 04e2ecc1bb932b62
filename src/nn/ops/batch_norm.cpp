#include "nn/ops/batch_norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "nn/ops/run_parallel.h"

namespace nl {

namespace {

// Rows (of C values) per work item. Fixed, so that the summation order, and
// hence the result, does not depend on the number of threads.
constexpr int64_t kRowsPerBlock = 256;

int64_t block_count(int64_t rows) { return (rows + kRowsPerBlock - 1) / kRowsPerBlock; }

// Per-column sums over all rows: add_rows(row_begin, row_end, acc) adds one
// block's rows into acc[width]; blocks are summed in parallel, then combined
// in block order.
template <typename AddRows>
std::vector<double> sum_rows(const OpContext& ctx, int64_t rows, int64_t width, const AddRows& add_rows) {
  const int64_t blocks = block_count(rows);
  std::vector<double> partial(static_cast<size_t>(blocks * width), 0.0);
  run_parallel(ctx, blocks, kRowsPerBlock * width, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b)
      add_rows(b * kRowsPerBlock, std::min(rows, (b + 1) * kRowsPerBlock), partial.data() + b * width);
  });
  std::vector<double> total(static_cast<size_t>(width), 0.0);
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t i = 0; i < width; ++i) total[static_cast<size_t>(i)] += partial[static_cast<size_t>(b * width + i)];
  return total;
}

// Runs fn(row_begin, row_end) over all rows, in blocks, in parallel.
template <typename Fn>
void for_row_blocks(const OpContext& ctx, int64_t rows, int64_t width, const Fn& fn) {
  run_parallel(ctx, block_count(rows), kRowsPerBlock * width, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) fn(b * kRowsPerBlock, std::min(rows, (b + 1) * kRowsPerBlock));
  });
}

struct BatchStatistics {
  std::vector<float> mean, inv_std;  // [C]: what normalises x
  std::vector<double> variance;      // [C]: biased (divided by M)
};

// x: [rows, C]. Two passes (mean, then squared deviations) for accuracy.
BatchStatistics batch_statistics(const OpContext& ctx, const float* x, int64_t rows, int64_t C, float eps) {
  const std::vector<double> sums = sum_rows(ctx, rows, C, [&](int64_t r0, int64_t r1, double* acc) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t c = 0; c < C; ++c) acc[c] += static_cast<double>(x[r * C + c]);
  });
  std::vector<double> mean(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c)
    mean[static_cast<size_t>(c)] = sums[static_cast<size_t>(c)] / static_cast<double>(rows);
  const double* m = mean.data();
  const std::vector<double> squares = sum_rows(ctx, rows, C, [&](int64_t r0, int64_t r1, double* acc) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t c = 0; c < C; ++c) {
        const double d = static_cast<double>(x[r * C + c]) - m[c];
        acc[c] += d * d;
      }
  });
  BatchStatistics s;
  s.mean.resize(static_cast<size_t>(C));
  s.inv_std.resize(static_cast<size_t>(C));
  s.variance.resize(static_cast<size_t>(C));
  for (size_t c = 0; c < static_cast<size_t>(C); ++c) {
    s.variance[c] = squares[c] / static_cast<double>(rows);
    s.mean[c] = static_cast<float>(mean[c]);
    s.inv_std[c] = static_cast<float>(1.0 / std::sqrt(s.variance[c] + static_cast<double>(eps)));
  }
  return s;
}

// The inference form's scale: 1 / sqrt(running_var + eps), per channel.
std::vector<float> running_inv_std(const Tensor& running_var, float eps) {
  std::vector<float> inv(static_cast<size_t>(running_var.elements()));
  for (size_t c = 0; c < inv.size(); ++c)
    inv[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(running_var[static_cast<int64_t>(c)]) + eps));
  return inv;
}

}  // namespace

BatchNorm::BatchNorm(int64_t channels, float eps, float momentum)
    : weight(Shape{channels}),
      bias(Shape{channels}),
      running_mean(Shape{channels}),
      running_var(Shape{channels}),
      channels_(channels),
      eps_(eps),
      momentum_(momentum) {
  weight.fill(1.0f);
  running_var.fill(1.0f);
}

Result<std::unique_ptr<BatchNorm>> BatchNorm::create(int64_t channels, float eps, float momentum) {
  if (channels < 1 || channels > kMaxChannels)
    return Status::Error("BatchNorm: channels must be between 1 and " + std::to_string(kMaxChannels) + ", got " +
                         std::to_string(channels));
  if (!(eps > 0.0f) || !std::isfinite(eps))
    return Status::Error("BatchNorm: eps must be positive and finite, got " + std::to_string(eps));
  if (!(momentum >= 0.0f && momentum <= 1.0f))
    return Status::Error("BatchNorm: momentum must be in [0, 1], got " + std::to_string(momentum));
  return std::unique_ptr<BatchNorm>(new BatchNorm(channels, eps, momentum));
}

Status BatchNorm::output_shape(std::span<const Shape> inputs, Shape* output) const {
  if (inputs.size() != 1) return Status::Error("BatchNorm takes 1 input, got " + std::to_string(inputs.size()));
  const Shape& x = inputs[0];
  bool positive = x.rank() >= 2;
  for (int i = 0; i < x.rank(); ++i) positive = positive && x[i] >= 1;
  if (!positive)
    return Status::Error("BatchNorm: input must be [N, C], [N, L, C] or [N, H, W, C] with every size >= 1, got " +
                         x.str());
  if (x[x.rank() - 1] != channels_)
    return Status::Error("BatchNorm: input " + x.str() + " has " + std::to_string(x[x.rank() - 1]) +
                         " channels in its last dimension, the op was made for " + std::to_string(channels_));
  *output = x;
  return Status::Ok();
}

std::vector<Param> BatchNorm::params() {
  return {{"weight", &weight, &weight_grad},
          {"bias", &bias, &bias_grad},
          {"running_mean", &running_mean, nullptr},
          {"running_var", &running_var, nullptr}};
}

// x, y: [M, C] viewed flat.
void BatchNorm::forward(const OpContext& ctx, std::span<const Tensor* const> inputs, Tensor& output) {
  const int64_t C = channels_;
  const int64_t rows = inputs[0]->elements() / C;
  const float* x = inputs[0]->data();
  float* y = output.data();

  std::vector<float> mean, scale(static_cast<size_t>(C));
  std::vector<float> inv_std;
  if (ctx.training) {
    const BatchStatistics s = batch_statistics(ctx, x, rows, C, eps_);
    mean = s.mean;
    inv_std = s.inv_std;
    const double m = momentum_;
    for (int64_t c = 0; c < C; ++c) {
      const size_t k = static_cast<size_t>(c);
      running_mean[c] = static_cast<float>((1.0 - m) * running_mean[c] + m * s.mean[k]);
      if (rows > 1) {
        const double unbiased = s.variance[k] * static_cast<double>(rows) / static_cast<double>(rows - 1);
        running_var[c] = static_cast<float>((1.0 - m) * running_var[c] + m * unbiased);
      }
    }
  } else {
    mean.assign(running_mean.data(), running_mean.data() + C);
    inv_std = running_inv_std(running_var, eps_);
  }
  for (int64_t c = 0; c < C; ++c) scale[static_cast<size_t>(c)] = weight[c] * inv_std[static_cast<size_t>(c)];

  const float* mu = mean.data();
  const float* a = scale.data();
  const float* beta = bias.data();
  for_row_blocks(ctx, rows, C, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      for (int64_t c = 0; c < C; ++c) yr[c] = (xr[c] - mu[c]) * a[c] + beta[c];
    }
  });
}

// x, dy, dx: [M, C] viewed flat.
void BatchNorm::backward(const OpContext& ctx, std::span<const Tensor* const> inputs, const Tensor&,
                         const Tensor& output_grad, std::span<Tensor* const> input_grads, bool want_param_grads) {
  const int64_t C = channels_;
  const int64_t rows = inputs[0]->elements() / C;
  const float* x = inputs[0]->data();
  const float* dy = output_grad.data();
  float* dx = input_grads[0] ? input_grads[0]->data() : nullptr;
  if (!dx && !want_param_grads) return;

  std::vector<float> mean, inv_std;
  if (ctx.training) {
    BatchStatistics s = batch_statistics(ctx, x, rows, C, eps_);
    mean = std::move(s.mean);
    inv_std = std::move(s.inv_std);
  } else {
    mean.assign(running_mean.data(), running_mean.data() + C);
    inv_std = running_inv_std(running_var, eps_);
  }
  const float* mu = mean.data();
  const float* is = inv_std.data();

  // sums[c] = sum(dy), sums[C + c] = sum(dy * xhat), per channel.
  const bool need_sums = want_param_grads || ctx.training;
  std::vector<double> sums;
  if (need_sums)
    sums = sum_rows(ctx, rows, 2 * C, [&](int64_t r0, int64_t r1, double* acc) {
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = 0; c < C; ++c) {
          const float g = dy[r * C + c];
          const float xhat = (x[r * C + c] - mu[c]) * is[c];
          acc[c] += static_cast<double>(g);
          acc[C + c] += static_cast<double>(g * xhat);
        }
    });

  if (want_param_grads) {
    if (weight_grad.shape() != weight.shape()) weight_grad.resize(weight.shape());
    if (bias_grad.shape() != bias.shape()) bias_grad.resize(bias.shape());
    for (int64_t c = 0; c < C; ++c) {
      weight_grad[c] += static_cast<float>(sums[static_cast<size_t>(C + c)]);
      bias_grad[c] += static_cast<float>(sums[static_cast<size_t>(c)]);
    }
  }
  if (!dx) return;

  std::vector<float> k(static_cast<size_t>(C)), mean_dy(static_cast<size_t>(C), 0.0f),
      mean_dy_xhat(static_cast<size_t>(C), 0.0f);
  for (int64_t c = 0; c < C; ++c) {
    const size_t i = static_cast<size_t>(c);
    k[i] = weight[c] * inv_std[i];
    if (ctx.training) {  // the batch statistics depend on x too
      mean_dy[i] = static_cast<float>(sums[i] / static_cast<double>(rows));
      mean_dy_xhat[i] = static_cast<float>(sums[static_cast<size_t>(C) + i] / static_cast<double>(rows));
    }
  }
  const float* kp = k.data();
  const float* mdy = mean_dy.data();
  const float* mdyx = mean_dy_xhat.data();
  if (ctx.training) {
    for_row_blocks(ctx, rows, C, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = 0; c < C; ++c) {
          const float xhat = (x[r * C + c] - mu[c]) * is[c];
          dx[r * C + c] += kp[c] * (dy[r * C + c] - mdy[c] - xhat * mdyx[c]);
        }
    });
  } else {
    for_row_blocks(ctx, rows, C, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = 0; c < C; ++c) dx[r * C + c] += kp[c] * dy[r * C + c];
    });
  }
}

}  // namespace nl
