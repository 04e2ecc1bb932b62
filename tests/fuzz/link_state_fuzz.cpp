// Fuzz target: the share link's parser (src/link): the bytes are a URL
// fragment. A fragment that decodes must re-encode to one that decodes to the
// same canonical state. The same bytes also go through the raw DEFLATE reader
// directly (the link's decompressor), and through the writer and back, which
// must give them back unchanged.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>

#include "fuzz_input.h"
#include "link/link_state.h"
#include "link/raw_inflate.h"
#include "tensor/limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto state = nl::decode_link_fragment(text);
  if (state.ok()) {
    auto again = nl::canonical_link_state(state.value());
    NL_FUZZ_CHECK(again.ok() && again.value() == state.value());
    auto fragment = nl::encode_link_fragment(state.value());
    if (fragment.ok()) {  // may fail only on length: the page's compressor can beat ours
      auto back = nl::decode_link_fragment(fragment.value());
      NL_FUZZ_CHECK(back.ok() && back.value() == state.value());
    }
  }
  const std::span<const uint8_t> bytes(data, size);
  auto inflated = nl::inflate_raw(bytes, nl::limits::kMaxLinkStateBytes);
  if (inflated.ok()) {
    auto round = nl::inflate_raw(nl::deflate_raw(inflated.value()), nl::limits::kMaxLinkStateBytes);
    NL_FUZZ_CHECK(round.ok() && round.value() == inflated.value());
  }
  auto round = nl::inflate_raw(nl::deflate_raw(bytes), size);
  NL_FUZZ_CHECK(round.ok() && round.value().size() == size && std::equal(bytes.begin(), bytes.end(), round.value().begin()));
  return 0;
}
