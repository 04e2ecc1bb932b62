// decodeLinkFragment / encodeLinkState: the share link's parser and writer
// (src/link/link_state.h) for web/app/state_link.js. The page never parses a
// fragment itself: it gets back the state's canonical JSON, checked field by
// field, or {ok: false, message} saying what is wrong with the link.
#include <emscripten/bind.h>

#include <string>

#include "link/link_state.h"
#include "web_api/web_result.h"

namespace nl::web {
namespace {

// decodeLinkFragment("#s=...") -> {ok, state: canonical JSON text}
val decode_link(const std::string& fragment) {
  return guarded("link", [&] {
    auto state = decode_link_fragment(fragment);
    if (!state.ok()) return error_result(state.status().message());
    val result = ok_result();
    result.set("state", state.value());
    return result;
  });
}

// encodeLinkState(JSON.stringify(state)) -> {ok, fragment: "s=..."}
val encode_link(const std::string& state_json) {
  return guarded("link", [&] {
    auto fragment = encode_link_fragment(state_json);
    if (!fragment.ok()) return error_result(fragment.status().message());
    val result = ok_result();
    result.set("fragment", fragment.value());
    return result;
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(neuronlens_link) {
  emscripten::function("decodeLinkFragment", &decode_link);
  emscripten::function("encodeLinkState", &encode_link);
}

}  // namespace nl::web
