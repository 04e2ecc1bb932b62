// The share link's state: the view of the web app in the URL fragment,
//   "#s=" + base64url( deflate-raw( JSON ) )
// where the JSON (docs/LINK_FORMAT.md) is {"v": 1, "model": .., "layer": ..,
// "neuron": .., "invert": .., "viz": {..}, "focus": {..}, "clusters": {..},
// "panels": {..}, "input": {"sample": i} | {"pixels": base64url bytes}}.
// A fragment comes from strangers, so decoding is strict and bounded: the
// fragment's length and the decompressed size are limited (tensor/limits.h),
// the JSON must be well formed with no duplicate keys, every key must be a
// known one, every value of the right type and within its range, names free
// of control characters. The answer is the state re-serialized in a canonical
// form (known keys only, fixed order), which the page parses as plain data.
// Checks that depend on the model (a neuron index below its layer's channel
// count) stay with the page, which knows the model.
//
// Native code with no Emscripten dependency, so the Catch2 suite and a
// libFuzzer target (tests/fuzz/link_state_fuzz.cpp) exercise it directly; the
// web API (src/web_api/link_api.cpp) exposes it to web/app/state_link.js.
#pragma once
#include <string>
#include <string_view>

#include "tensor/status.h"

namespace nl {

inline constexpr int kLinkStateVersion = 1;

// A fragment ("#s=...", or without the '#') -> the state's canonical JSON.
// Errors say what is wrong, e.g. "'viz.steps' is 9000; expected an integer
// in 1..5000", or name the limit that was exceeded.
Result<std::string> decode_link_fragment(std::string_view fragment);

// State JSON (as the page builds it; "v" optional) -> its canonical JSON,
// after the same checks as decoding.
Result<std::string> canonical_link_state(std::string_view state_json);

// State JSON -> a fragment "s=..." (no '#'); fails on a state that decoding
// would refuse, or when the fragment would be over the length limit.
Result<std::string> encode_link_fragment(std::string_view state_json);

}  // namespace nl
