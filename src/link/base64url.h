// base64url without padding (RFC 4648 section 5), as share links use it.
// Decoding is strict: only the 64 characters of the alphabet, no length of
// the form 4k + 1 (which no byte string encodes to) and no non-zero bits left
// over in the last character, so every accepted text has exactly one byte
// string and encoding gives the text back.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/status.h"

namespace nl {

std::string base64url_encode(std::span<const uint8_t> bytes);

Result<std::vector<uint8_t>> base64url_decode(std::string_view text);

}  // namespace nl
