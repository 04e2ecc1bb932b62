// gunzip natively, through zlib's inflate (see gunzip.h).
#include <zlib.h>

#include <algorithm>
#include <limits>

#include "data/gunzip.h"
#include "tensor/file_bytes.h"

namespace nl {

bool gunzip_supported() { return true; }

Result<std::vector<uint8_t>> gunzip(std::span<const uint8_t> compressed, uint64_t max_output_bytes,
                                    const std::string& source) {
  if (!looks_gzipped(compressed)) return Status::Error(source + ": not gzip data (no 1f 8b magic number)");
  z_stream stream{};
  // 16 + MAX_WBITS: expect a gzip wrapper (header and CRC-32 trailer), not raw zlib.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) return Status::Error(source + ": cannot start zlib");
  std::vector<uint8_t> output;
  size_t consumed = 0, produced = 0;
  Status status;
  for (;;) {
    // zlib counts in uInt: feed and drain in pieces of at most 1 GiB.
    const size_t in_piece = std::min<size_t>(compressed.size() - consumed, size_t{1} << 30);
    stream.next_in = const_cast<Bytef*>(compressed.data() + consumed);
    stream.avail_in = static_cast<uInt>(in_piece);
    // Grow geometrically, never past the limit + 1 byte (which detects going over it).
    const uint64_t cap = max_output_bytes + (max_output_bytes < std::numeric_limits<uint64_t>::max() ? 1 : 0);
    if (output.size() - produced < 65536 && output.size() < cap)
      output.resize(static_cast<size_t>(std::min<uint64_t>(cap, std::max<uint64_t>(output.size() * 2, 1 << 20))));
    const size_t out_piece = std::min<size_t>(output.size() - produced, size_t{1} << 30);
    stream.next_out = output.data() + produced;
    stream.avail_out = static_cast<uInt>(out_piece);
    const int rc = inflate(&stream, Z_NO_FLUSH);
    consumed += in_piece - stream.avail_in;
    produced += out_piece - stream.avail_out;
    if (produced > max_output_bytes) {
      status = Status::Error(source + ": decompresses to more than the limit of " + describe_byte_count(max_output_bytes));
      break;
    }
    if (rc == Z_STREAM_END) {
      if (consumed == compressed.size()) break;
      // Another gzip member may follow (concatenated .gz files are valid gzip).
      if (!looks_gzipped(compressed.subspan(consumed))) {
        status = Status::Error(source + ": " + std::to_string(compressed.size() - consumed) +
                               " unexpected bytes after the end of the gzip stream");
        break;
      }
      inflateReset(&stream);
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && consumed == compressed.size()) {
      status = Status::Error(source + ": truncated gzip data (the stream ends before its trailer)");
      break;
    }
    if (rc == Z_BUF_ERROR) continue;  // no progress possible this round: more output space comes next
    status = Status::Error(source + ": corrupt gzip data (" + (stream.msg ? stream.msg : "zlib error " + std::to_string(rc)) + ")");
    break;
  }
  inflateEnd(&stream);
  if (!status.ok()) return status;
  output.resize(produced);
  output.shrink_to_fit();
  return output;
}

}  // namespace nl
