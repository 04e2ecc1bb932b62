// Shape: the dimensions of a tensor, rank 0 to 4.
// Activations are NHWC ([batch, height, width, channels]) or [batch, features].
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace nl {

class Shape {
 public:
  static constexpr int kMaxRank = 4;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  // Product of all dimensions (1 for rank 0).
  int64_t elements() const;
  // NHWC accessors for rank-4 shapes.
  int64_t n() const { return dims_[0]; }
  int64_t h() const { return dims_[1]; }
  int64_t w() const { return dims_[2]; }
  int64_t c() const { return dims_[3]; }

  bool operator==(const Shape& other) const;
  bool operator!=(const Shape& other) const { return !(*this == other); }
  // "[1, 28, 28, 32]"
  std::string str() const;

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace nl
