// Training-time augmentation of single images, in raw pixel space ([0, 1],
// before normalisation, so zero padding is the black background of both
// datasets):
//   - random shift by up to ±max_shift pixels on each axis, zero-filled: the
//     same as padding by max_shift and cropping the original size at a random
//     offset (the "random crop with padding" of CIFAR recipes);
//   - horizontal flip with probability 1/2 (clothing only: a mirrored digit is
//     a different symbol or none);
//   - random erasing: with probability erase_probability, a square of side
//     erase_size at a uniformly random centre (clipped at the border) is set to 0
//     (DeVries and Taylor's Cutout).
// Every random choice comes from the generator passed in, so a caller seeding
// one generator per (seed, epoch, example) gets the same images on any thread.
#pragma once
#include <cstdint>
#include <string>

#include "tensor/status.h"
#include "train/random.h"

namespace nl {

struct AugmentOptions {
  int max_shift = 0;
  bool horizontal_flip = false;
  float erase_probability = 0.0f;
  int erase_size = 0;

  bool any() const { return max_shift > 0 || horizontal_flip || (erase_probability > 0.0f && erase_size > 0); }
  // Checks the options against an image of height x width.
  Status validate(int64_t height, int64_t width) const;
};

// The random choices for one image, drawn in a fixed order.
struct AugmentDraw {
  int shift_y = 0, shift_x = 0;  // the output pixel (y, x) reads input (y + shift_y, x + shift_x)
  bool flip = false;
  bool erase = false;
  int erase_y = 0, erase_x = 0;  // centre of the erased square
};
AugmentDraw draw_augmentation(const AugmentOptions& options, int64_t height, int64_t width, Rng& rng);

// dst = augmented src; both [height, width, channels], not overlapping.
void apply_augmentation(const AugmentDraw& draw, const AugmentOptions& options, const float* src, float* dst,
                        int64_t height, int64_t width, int64_t channels);

}  // namespace nl
