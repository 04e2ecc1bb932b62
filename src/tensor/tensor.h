// Tensor: a float32 array with a Shape, stored contiguously and 64-byte aligned
// so SIMD kernels can load whole vectors. Value semantics (copying copies data).
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

#include "tensor/shape.h"

namespace nl {

// Allocator giving 64-byte alignment (one cache line, one AVX-512 vector).
template <typename T>
struct AlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlignment{64};
  AlignedAllocator() = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) {}
  // One spare vector past the end: SIMD tails (and XNNPACK, which reads up to
  // 16 bytes beyond its arrays) may over-read without leaving the allocation.
  static constexpr std::size_t kTailBytes = 64;
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T) + kTailBytes, kAlignment)); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, kAlignment); }
  template <typename U>
  bool operator==(const AlignedAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const AlignedAllocator<U>&) const { return false; }
};

using FloatBuffer = std::vector<float, AlignedAllocator<float>>;

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled tensor of the given shape.
  explicit Tensor(const Shape& shape) : shape_(shape), data_(static_cast<size_t>(shape.elements()), 0.0f) {}

  const Shape& shape() const { return shape_; }
  int64_t elements() const { return static_cast<int64_t>(data_.size()); }
  // Elements the allocation holds: resize() to at most this many does not allocate.
  int64_t capacity() const { return static_cast<int64_t>(data_.capacity()); }
  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  float& operator[](int64_t i) { return data_[static_cast<size_t>(i)]; }
  float operator[](int64_t i) const { return data_[static_cast<size_t>(i)]; }

  // Reshapes to `shape`, zero-filling; reuses the allocation when it is large enough.
  void resize(const Shape& shape) {
    shape_ = shape;
    data_.assign(static_cast<size_t>(shape.elements()), 0.0f);
  }
  // Reshapes to `shape` for a writer that sets every element (an op's forward
  // pass): the values are left unspecified, and are only zeroed when the
  // element count changes. Spares a memset of every activation per pass.
  void resize_for_overwrite(const Shape& shape) {
    if (shape.elements() == elements()) shape_ = shape;
    else resize(shape);
  }
  // Changes the shape only; the element count must stay the same.
  void reshape(const Shape& shape) { shape_ = shape; }
  void fill(float value) { data_.assign(data_.size(), value); }
  void zero() { fill(0.0f); }

 private:
  Shape shape_;
  FloatBuffer data_;
};

}  // namespace nl
