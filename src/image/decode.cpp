// Image decoding through stb_image; see decode.h. This file holds the one
// compiled copy of stb_image: memory-only (STBI_NO_STDIO), 8-bit formats only
// (no HDR or linear-light float paths), failure reasons kept (stbi's reason
// strings are thread-local in this version, so concurrent decodes are safe).
#include "image/decode.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>

#define STBI_NO_STDIO
#define STBI_NO_HDR
#define STBI_NO_LINEAR
#define STBI_ASSERT(x) ((void)0)  // malformed input must give an error, never abort
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

#include "tensor/limits.h"

namespace nl {
namespace {

std::string reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "unknown reason";
}

Status check_size(std::span<const uint8_t> bytes, const std::string& source) {
  if (bytes.empty()) return Status::Error(source + ": empty file, not an image");
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return Status::Error(source + ": " + std::to_string(bytes.size()) + " bytes is too large to decode");
  return Status::Ok();
}

// stb_image 2.27 (Debian 12's) trusts the code counts of a JPEG Huffman table
// (DHT): a table claiming more than 256 codes writes past its arrays (found
// by tools/fuzz image; later stb_image versions check it). Walking the
// segments as stb_image does proved fragile (the fuzzer found a path around
// it), so every FF C4 marker in the file is read as a DHT segment, as
// stb_image would read it, and a table over 256 codes refuses the file. In
// entropy-coded data FF is always followed by 00, so valid JPEGs pass.
Status check_jpeg_huffman_tables(std::span<const uint8_t> b, const std::string& source) {
  size_t soi = 0;  // stb_image skips FF fill bytes before the start-of-image marker
  while (soi < b.size() && b[soi] == 0xFF) ++soi;
  if (soi == 0 || soi >= b.size() || b[soi] != 0xD8) return Status::Ok();  // not a JPEG
  auto byte_at = [&](size_t i) -> uint32_t { return i < b.size() ? b[i] : 0; };  // stb reads 0 past the end
  for (size_t i = soi + 1; i + 1 < b.size(); ++i) {
    if (b[i] != 0xFF || b[i + 1] != 0xC4) continue;
    const size_t length = byte_at(i + 2) << 8 | byte_at(i + 3);
    int64_t left = static_cast<int64_t>(length) - 2;
    size_t at = i + 4;
    while (left > 0 && at < b.size()) {
      uint32_t codes = 0;
      for (size_t k = 0; k < 16; ++k) codes += byte_at(at + 1 + k);
      if (codes > 256)
        return Status::Error(source + ": not a readable image (a JPEG Huffman table declares " + std::to_string(codes) +
                             " codes; at most 256 exist)");
      at += 17 + codes;
      left -= 17 + static_cast<int64_t>(codes);
    }
  }
  return Status::Ok();
}

// stb_image 2.27 reads the numbers of a binary PNM header (P5, P6) into an
// int without a bound: "P6 9999999999 ..." overflows it (undefined behaviour;
// found by tools/fuzz image), and its 16-bit PNM path writes past a buffer. No image within kMaxImagePixels needs more than
// 8 digits, so longer numbers are refused first. The header is walked as
// stb_image walks it: whitespace, and comments from '#' to the end of the line.
Status check_pnm_header(std::span<const uint8_t> b, const std::string& source) {
  if (b.size() < 2 || b[0] != 'P' || (b[1] != '5' && b[1] != '6')) return Status::Ok();
  size_t i = 2;
  for (int number = 0; number < 3; ++number) {
    while (i < b.size() && (std::isspace(b[i]) || b[i] == '#')) {
      if (b[i] == '#')
        while (i < b.size() && b[i] != '\n' && b[i] != '\r') ++i;
      else
        ++i;
    }
    size_t digits = 0;
    uint32_t value = 0;
    while (i < b.size() && b[i] >= '0' && b[i] <= '9') value = value * 10 + (b[i++] - '0'), ++digits;
    if (digits > 8)
      return Status::Error(source + ": not a readable image (a PNM header number has " + std::to_string(digits) +
                           " digits; sizes within the pixel limit have at most 8)");
    // Its 16-bit path (maxval > 255) overflows the buffer it converts to 8 bits
    // (AddressSanitizer: heap-buffer-overflow in stbi__convert_16_to_8).
    if (number == 2 && value > 255)
      return Status::Error(source + ": 16-bit PNM images (maxval " + std::to_string(value) + ") are not supported");
  }
  return Status::Ok();
}

// stb_image 2.27 decodes a scan with whatever Huffman tables the scan names,
// defined or not: an undefined table is uninitialised memory, and its code
// search runs past the end of `maxcode` (UBSan: index 18 out of bounds; found
// by tools/fuzz image in a progressive JPEG whose AC table came after the
// scan). So the markers are read in file order, as in the check above: every
// DHT defines its tables, and each SOS may only use defined ones, counted as
// stb_image uses them (baseline: DC and AC; progressive: DC in a first DC
// scan, AC in an AC scan, none in a DC refinement).
Status check_jpeg_scan_tables(std::span<const uint8_t> b, const std::string& source) {
  size_t soi = 0;
  while (soi < b.size() && b[soi] == 0xFF) ++soi;
  if (soi == 0 || soi >= b.size() || b[soi] != 0xD8) return Status::Ok();  // not a JPEG
  auto byte_at = [&](size_t i) -> uint32_t { return i < b.size() ? b[i] : 0; };
  bool defined[2][4] = {};  // [0: DC, 1: AC][table id]
  bool progressive = false;
  for (size_t i = soi + 1; i + 1 < b.size(); ++i) {
    if (b[i] != 0xFF) continue;
    const uint8_t marker = b[i + 1];
    if (marker == 0xC2) progressive = true;
    if (marker == 0xC0 || marker == 0xC1) progressive = false;
    if (marker == 0xC4) {
      int64_t left = static_cast<int64_t>(byte_at(i + 2) << 8 | byte_at(i + 3)) - 2;
      size_t at = i + 4;
      while (left > 0 && at < b.size()) {
        const uint32_t q = byte_at(at), table_class = q >> 4, id = q & 15;
        if (table_class <= 1 && id <= 3) defined[table_class][id] = true;
        uint32_t codes = 0;
        for (size_t k = 0; k < 16; ++k) codes += byte_at(at + 1 + k);
        at += 17 + codes;
        left -= 17 + static_cast<int64_t>(codes);
      }
    } else if (marker == 0xDA) {
      const uint32_t components = byte_at(i + 4);
      const size_t tail = i + 5 + 2 * size_t{components};  // Ss, Se, Ah/Al follow the components
      const uint32_t spectral_start = byte_at(tail), successive_high = byte_at(tail + 2) >> 4;
      const bool uses_dc = !progressive || (spectral_start == 0 && successive_high == 0);
      const bool uses_ac = !progressive || spectral_start != 0;
      for (uint32_t c = 0; c < components && c < 4; ++c) {
        const uint32_t q = byte_at(i + 6 + 2 * size_t{c}), dc = q >> 4, ac = q & 15;
        if (dc > 3 || ac > 3) continue;  // stb_image refuses these itself
        if ((uses_dc && !defined[0][dc]) || (uses_ac && !defined[1][ac]))
          return Status::Error(source + ": not a readable image (a JPEG scan uses a Huffman table that is never defined)");
      }
    }
  }
  return Status::Ok();
}

// stb_image 2.27 grows its PNG data buffer to a chunk's claimed length
// before reading the chunk: a 70-byte PNG whose IDAT claims 2 GB made it
// allocate 2 GB (tools/fuzz image). So every chunk, walked as stb_image walks
// them (length, type, data, CRC), must fit in the file.
Status check_png_chunks(std::span<const uint8_t> b, const std::string& source) {
  static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
  if (b.size() < 8 || !std::equal(kSignature, kSignature + 8, b.begin())) return Status::Ok();
  size_t at = 8;
  while (b.size() - at >= 8) {
    const uint32_t length = uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
    const std::string type(reinterpret_cast<const char*>(b.data() + at + 4), 4);
    if (length > b.size() - at - 8)
      return Status::Error(source + ": PNG chunk '" + type + "' claims " + std::to_string(length) + " bytes, past the end of the " +
                           std::to_string(b.size()) + "-byte file: the file is truncated or corrupt");
    if (type == "IEND") break;
    at += 8 + size_t{length} + std::min<size_t>(4, b.size() - at - 8 - length);  // the CRC, when present
  }
  return Status::Ok();
}

}  // namespace

Result<ImageInfo> read_image_info(std::span<const uint8_t> bytes, const std::string& source) {
  NL_RETURN_IF_ERROR(check_size(bytes, source));
  NL_RETURN_IF_ERROR(check_jpeg_huffman_tables(bytes, source));
  NL_RETURN_IF_ERROR(check_jpeg_scan_tables(bytes, source));
  NL_RETURN_IF_ERROR(check_pnm_header(bytes, source));
  NL_RETURN_IF_ERROR(check_png_chunks(bytes, source));
  int w = 0, h = 0, c = 0;
  if (!stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &c))
    return Status::Error(source + ": not a readable image (" + reason() + ")");
  if (w <= 0 || h <= 0 || c < 1 || c > 4)
    return Status::Error(source + ": the header gives an invalid size " + std::to_string(w) + " x " + std::to_string(h));
  // No format stb_image reads packs more than about 8,300 pixels into a byte
  // (deflate on 1-bit PNG rows: 8 x 1032; GIF's LZW: about 2,700; run lengths:
  // 64). A header claiming more is a truncated or corrupt file, which
  // stb_image would decode anyway, filling a buffer of the claimed size with
  // zeros: a 20-byte TGA claiming 1024 x 51457 pixels took 15 s (tools/fuzz image).
  // (Sizes over the pixel limit are left to the callers, whose message names that limit.)
  constexpr int64_t kMaxPixelsPerFileByte = 16384;
  const int64_t pixels = int64_t{w} * h;
  if (pixels <= limits::kMaxImagePixels && pixels > kMaxPixelsPerFileByte * static_cast<int64_t>(bytes.size()))
    return Status::Error(source + ": the header claims " + std::to_string(w) + " x " + std::to_string(h) +
                         " pixels, far more than " + std::to_string(bytes.size()) +
                         " bytes can hold: the file is truncated or corrupt");
  return ImageInfo{w, h, c};
}

Result<Image> decode_image(std::span<const uint8_t> bytes, const std::string& source, int channels, int64_t max_pixels) {
  if (channels != 0 && channels != 1 && channels != 3 && channels != 4)
    return Status::Error(source + ": can decode to 1, 3 or 4 channels, not " + std::to_string(channels));
  auto info = read_image_info(bytes, source);
  if (!info.ok()) return info.status();
  const ImageInfo& i = info.value();
  if (i.width > max_pixels / i.height)
    return Status::Error(source + ": " + std::to_string(i.width) + " x " + std::to_string(i.height) +
                         " pixels is over the limit of " + std::to_string(max_pixels) + " pixels");
  int w = 0, h = 0, file_channels = 0;
  uint8_t* data = stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &file_channels, channels);
  if (!data) return Status::Error(source + ": cannot decode the image (" + reason() + ")");
  // The decoder must agree with the header it was checked against.
  if (w != i.width || h != i.height) {
    stbi_image_free(data);
    return Status::Error(source + ": the image data does not match its header's size");
  }
  Image out;
  out.width = w;
  out.height = h;
  out.channels = channels ? channels : file_channels;
  out.pixels.assign(data, data + static_cast<size_t>(w) * static_cast<size_t>(h) * static_cast<size_t>(out.channels));
  stbi_image_free(data);
  return out;
}

}  // namespace nl
