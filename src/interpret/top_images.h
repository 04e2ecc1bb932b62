// Top-k activating images of a neuron over an image set, each with the region
// of its peak activation: the peak's position in the neuron's map, and the
// input box that position sees (the receptive field, clipped to the image).
#pragma once
#include <vector>

#include "interpret/image_set.h"
#include "nn/executor.h"

namespace nl {

struct TopImage {
  int64_t index = -1;       // image in the set
  float response = 0;       // a_k(x), the ranking score
  int64_t peak_y = 0, peak_x = 0;           // argmax of A_k(x) in the map
  int64_t box_y0 = 0, box_x0 = 0, box_y1 = 0, box_x1 = 0;  // input region, [y0, y1) x [x0, x1)
};

struct ReceptiveField {
  int64_t size_y = 1, size_x = 1;      // extent in input pixels
  int64_t stride_y = 1, stride_x = 1;  // input pixels per map step
  int64_t offset_y = 0, offset_x = 0;  // input coordinate of map position 0's field start
};

// The receptive field of `node` along the chain of first inputs (exact for
// sequential networks; for branches it follows the main path).
ReceptiveField receptive_field(const Graph& graph, int node);

// Top-k images by response (sum over the map) of channel `channel` of `node`.
Result<std::vector<TopImage>> top_activating_images(Executor& ex, const ImageSet& set, int node, int channel, int k);

}  // namespace nl
