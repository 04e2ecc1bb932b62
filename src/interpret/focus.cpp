#include "interpret/focus.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "interpret/activation.h"

namespace nl {
namespace {

Status check_image(const Executor& ex, const Tensor& image) {
  const Shape& s = image.shape();
  if (s.rank() != 4 || s[0] != 1) return Status::Error("focus: expects one image [1, H, W, C], got " + s.str());
  return Status::Ok();
}

// Runs forward to the logits and returns the class to explain.
Result<int> forward_and_pick(Executor& ex, const Tensor& image, int logits, int class_index) {
  NL_RETURN_IF_ERROR(ex.forward_until(image, logits));
  const Tensor& y = ex.value(logits);
  if (y.shape().rank() != 2) return Status::Error("focus: the logits node must be [N, classes], got " + y.shape().str());
  const int64_t classes = y.shape()[1];
  if (class_index >= classes) return Status::Error("focus: class " + std::to_string(class_index) + " out of range");
  if (class_index >= 0) return class_index;
  return static_cast<int>(std::max_element(y.data(), y.data() + classes) - y.data());
}

}  // namespace

std::vector<float> resize_map(const std::vector<float>& map, int64_t h, int64_t w, int64_t out_h, int64_t out_w) {
  std::vector<float> out(static_cast<size_t>(out_h * out_w));
  for (int64_t y = 0; y < out_h; ++y) {
    const float sy = std::max(0.0f, (static_cast<float>(y) + 0.5f) * static_cast<float>(h) / static_cast<float>(out_h) - 0.5f);
    const int64_t y0 = std::min<int64_t>(static_cast<int64_t>(sy), h - 1), y1 = std::min<int64_t>(y0 + 1, h - 1);
    const float fy = sy - static_cast<float>(y0);
    for (int64_t x = 0; x < out_w; ++x) {
      const float sx = std::max(0.0f, (static_cast<float>(x) + 0.5f) * static_cast<float>(w) / static_cast<float>(out_w) - 0.5f);
      const int64_t x0 = std::min<int64_t>(static_cast<int64_t>(sx), w - 1), x1 = std::min<int64_t>(x0 + 1, w - 1);
      const float fx = sx - static_cast<float>(x0);
      const float top = map[static_cast<size_t>(y0 * w + x0)] * (1 - fx) + map[static_cast<size_t>(y0 * w + x1)] * fx;
      const float bottom = map[static_cast<size_t>(y1 * w + x0)] * (1 - fx) + map[static_cast<size_t>(y1 * w + x1)] * fx;
      out[static_cast<size_t>(y * out_w + x)] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

Result<FocusMap> grad_cam(Executor& ex, const Tensor& image, int node, int class_index) {
  NL_RETURN_IF_ERROR(check_image(ex, image));
  const int logits = logits_node(ex.graph());
  if (node <= 0 || node >= logits) return Status::Error("Grad-CAM: node " + std::to_string(node) + " must lie before the logits");
  if (ex.graph().node(node).shape.rank() != 4) return Status::Error("Grad-CAM: node '" + ex.graph().node(node).name + "' has no spatial map");
  auto c = forward_and_pick(ex, image, logits, class_index);
  if (!c.ok()) return c.status();
  Tensor seed(ex.value(logits).shape());
  seed[c.value()] = 1.0f;
  NL_RETURN_IF_ERROR(ex.backward({.from = logits, .seed = &seed, .stop_at = node, .keep_intermediate_grads = false}));
  const Tensor& a = ex.value(node);
  const Tensor& d = ex.grad(node);
  const int64_t h = a.shape()[1], w = a.shape()[2], k = a.shape()[3];
  std::vector<double> alpha(static_cast<size_t>(k), 0.0);
  for (int64_t p = 0; p < h * w; ++p)
    for (int64_t j = 0; j < k; ++j) alpha[static_cast<size_t>(j)] += d[p * k + j];
  for (double& v : alpha) v /= static_cast<double>(h * w);
  std::vector<float> cam(static_cast<size_t>(h * w));
  for (int64_t p = 0; p < h * w; ++p) {
    double s = 0;
    for (int64_t j = 0; j < k; ++j) s += alpha[static_cast<size_t>(j)] * a[p * k + j];
    cam[static_cast<size_t>(p)] = static_cast<float>(std::max(0.0, s));
  }
  FocusMap m;
  m.height = image.shape()[1];
  m.width = image.shape()[2];
  m.values = resize_map(cam, h, w, m.height, m.width);
  m.target_class = c.value();
  return m;
}

Result<FocusMap> saliency(Executor& ex, const Tensor& image, int class_index) {
  NL_RETURN_IF_ERROR(check_image(ex, image));
  const int logits = logits_node(ex.graph());
  auto c = forward_and_pick(ex, image, logits, class_index);
  if (!c.ok()) return c.status();
  Tensor seed(ex.value(logits).shape());
  seed[c.value()] = 1.0f;
  NL_RETURN_IF_ERROR(ex.backward({.from = logits, .seed = &seed, .keep_intermediate_grads = false}));
  const Tensor& g = ex.grad(0);
  const int64_t h = image.shape()[1], w = image.shape()[2], ch = image.shape()[3];
  FocusMap m{h, w, std::vector<float>(static_cast<size_t>(h * w), 0.0f), c.value()};
  for (int64_t p = 0; p < h * w; ++p)
    for (int64_t j = 0; j < ch; ++j) m.values[static_cast<size_t>(p)] = std::max(m.values[static_cast<size_t>(p)], std::fabs(g[p * ch + j]));
  return m;
}

Result<FocusMap> occlusion(Executor& ex, const Tensor& image, int class_index, const OcclusionOptions& o) {
  NL_RETURN_IF_ERROR(check_image(ex, image));
  if (o.patch < 1 || o.stride < 1) return Status::Error("occlusion: patch and stride must be positive");
  const int logits = logits_node(ex.graph());
  auto c = forward_and_pick(ex, image, logits, class_index);
  if (!c.ok()) return c.status();
  const int64_t classes = ex.value(logits).shape()[1];
  const float base = ex.value(logits)[c.value()];
  const int64_t h = image.shape()[1], w = image.shape()[2], ch = image.shape()[3];
  std::vector<int64_t> ys, xs;
  for (int64_t y = 0; y + o.patch <= h || ys.empty(); y += o.stride) ys.push_back(std::min<int64_t>(y, std::max<int64_t>(0, h - o.patch)));
  for (int64_t x = 0; x + o.patch <= w || xs.empty(); x += o.stride) xs.push_back(std::min<int64_t>(x, std::max<int64_t>(0, w - o.patch)));
  // The last patch of a row or column sits flush with the border, so every pixel is covered.
  if (h >= o.patch && ys.back() != h - o.patch) ys.push_back(h - o.patch);
  if (w >= o.patch && xs.back() != w - o.patch) xs.push_back(w - o.patch);
  // All occluded copies of the image, run in batches.
  std::vector<std::pair<int64_t, int64_t>> patches;
  for (int64_t y : ys)
    for (int64_t x : xs) patches.emplace_back(y, x);
  std::vector<double> drop(static_cast<size_t>(h * w), 0.0), cover(static_cast<size_t>(h * w), 0.0);
  const int64_t per = h * w * ch;
  const size_t batch = 32;
  for (size_t begin = 0; begin < patches.size(); begin += batch) {
    const size_t end = std::min(patches.size(), begin + batch);
    Tensor b(Shape{static_cast<int64_t>(end - begin), h, w, ch});
    for (size_t i = begin; i < end; ++i) {
      float* dst = b.data() + static_cast<int64_t>(i - begin) * per;
      std::copy(image.data(), image.data() + per, dst);
      const auto [py, px] = patches[i];
      for (int64_t y = py; y < std::min(h, py + o.patch); ++y)
        for (int64_t x = px; x < std::min(w, px + o.patch); ++x)
          for (int64_t j = 0; j < ch; ++j) dst[(y * w + x) * ch + j] = o.fill;
    }
    NL_RETURN_IF_ERROR(ex.forward_until(b, logits));
    for (size_t i = begin; i < end; ++i) {
      const double d = base - ex.value(logits)[static_cast<int64_t>(i - begin) * classes + c.value()];
      const auto [py, px] = patches[i];
      for (int64_t y = py; y < std::min(h, py + o.patch); ++y)
        for (int64_t x = px; x < std::min(w, px + o.patch); ++x) {
          drop[static_cast<size_t>(y * w + x)] += d;
          cover[static_cast<size_t>(y * w + x)] += 1;
        }
    }
  }
  FocusMap m{h, w, std::vector<float>(static_cast<size_t>(h * w), 0.0f), c.value()};
  for (int64_t p = 0; p < h * w; ++p)
    if (cover[static_cast<size_t>(p)] > 0) m.values[static_cast<size_t>(p)] = static_cast<float>(drop[static_cast<size_t>(p)] / cover[static_cast<size_t>(p)]);
  return m;
}

}  // namespace nl
