// BatchNorm folding: at inference a BatchNorm is an affine map per channel,
//   y = gamma * (x - mean) / sqrt(var + eps) + beta = s * x + (beta - s * mean),
// so when x comes straight from a Conv2D or Dense layer (and nothing else
// reads that layer's output) it can be merged into the layer's weights:
//   W'[o, ...] = s[o] * W[o, ...]        (Conv2D [Cout, KH, KW, Cin/g]; Dense [Out, In])
//   b'[o]      = s[o] * (b[o] - mean[o]) + beta[o]      (b = 0 when the layer had no bias)
// The folded graph computes the same inference function with fewer ops, and
// its conv outputs are already normalised: what the exported models ship.
#pragma once
#include "nn/graph.h"

namespace nl {

// A new graph in which every foldable BatchNorm is merged into its producer;
// the other nodes (names, wiring, ops) are moved over unchanged, so `graph`
// is left empty. The merged layer keeps its own name; the BatchNorm's
// consumers read it instead. `folded` (optional) receives the count.
Result<Graph> fold_batchnorms(Graph&& graph, int* folded = nullptr);

}  // namespace nl
