#include "data/idx_file.h"

#include "data/gunzip.h"

namespace nl {

namespace {

const char* idx_type_name(uint8_t type) {
  switch (type) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return nullptr;
  }
}

std::string hex_byte(uint8_t b) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[b >> 4] + digits[b & 15];
}

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
  return s;
}

}  // namespace

Result<IdxU8Array> parse_idx_u8(std::span<const uint8_t> bytes, const std::string& source) {
  if (bytes.size() < 4)
    return Status::Error(source + ": truncated IDX file (" + std::to_string(bytes.size()) +
                         " bytes; the header alone needs at least 4)");
  if (bytes[0] != 0 || bytes[1] != 0)
    return Status::Error(source + ": not an IDX file (wrong magic number: starts with " + hex_byte(bytes[0]) + " " +
                         hex_byte(bytes[1]) + ", expected 0x00 0x00" +
                         (looks_gzipped(bytes) ? "; this is gzip data, decompress it first)" : ")"));
  const uint8_t type = bytes[2];
  if (type != 0x08) {
    const char* name = idx_type_name(type);
    return Status::Error(source + ": IDX element type " + hex_byte(type) + (name ? std::string(" (") + name + ")" : " (unknown)") +
                         " is not supported; only unsigned bytes (0x08) are read");
  }
  const int rank = bytes[3];
  if (rank < 1 || rank > kIdxMaxRank)
    return Status::Error(source + ": IDX rank " + std::to_string(rank) + " is not supported (1 to " +
                         std::to_string(kIdxMaxRank) + ")");
  const size_t header_bytes = 4 + 4 * static_cast<size_t>(rank);
  if (bytes.size() < header_bytes)
    return Status::Error(source + ": truncated IDX header (" + std::to_string(bytes.size()) + " bytes; rank " +
                         std::to_string(rank) + " needs " + std::to_string(header_bytes) + ")");
  IdxU8Array array;
  const uint64_t available = bytes.size() - header_bytes;
  uint64_t count = 1;
  bool too_many = false;  // product(dims) > available, found without overflowing
  for (int i = 0; i < rank; ++i) {
    const uint8_t* p = bytes.data() + 4 + 4 * i;
    const uint32_t dim = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
    if (dim == 0) return Status::Error(source + ": IDX dimension " + std::to_string(i) + " is 0");
    array.dims.push_back(dim);
    if (too_many || count > available / dim) too_many = true;
    else count *= dim;
  }
  if (too_many || count > available) {
    uint64_t claimed = 1;
    bool overflow = false;
    for (int64_t d : array.dims) overflow = overflow || __builtin_mul_overflow(claimed, uint64_t(d), &claimed);
    return Status::Error(source + ": IDX header claims " + dims_text(array.dims) + " = " +
                         (overflow ? std::string("more than 2^64") : std::to_string(claimed)) + " bytes of data but only " +
                         std::to_string(available) + " follow the header (truncated file?)");
  }
  if (count < available)
    return Status::Error(source + ": " + std::to_string(available - count) + " unexpected bytes after the " +
                         dims_text(array.dims) + " elements the IDX header declares");
  array.elements = bytes.subspan(header_bytes, static_cast<size_t>(count));
  return array;
}

Result<ImageDataset> decode_idx_dataset(std::span<const uint8_t> image_bytes, const std::string& image_source,
                                        std::span<const uint8_t> label_bytes, const std::string& label_source,
                                        std::vector<std::string> class_names) {
  auto images = parse_idx_u8(image_bytes, image_source);
  if (!images.ok()) return images.status();
  auto labels = parse_idx_u8(label_bytes, label_source);
  if (!labels.ok()) return labels.status();
  const auto& image_dims = images.value().dims;
  const auto& label_dims = labels.value().dims;
  if (image_dims.size() != 3)
    return Status::Error(image_source + ": images must be an IDX array of rank 3 [N, rows, cols], found rank " +
                         std::to_string(image_dims.size()));
  if (label_dims.size() != 1)
    return Status::Error(label_source + ": labels must be an IDX array of rank 1 [N], found rank " +
                         std::to_string(label_dims.size()));
  if (image_dims[0] != label_dims[0])
    return Status::Error(image_source + " holds " + std::to_string(image_dims[0]) + " images but " + label_source +
                         " holds " + std::to_string(label_dims[0]) + " labels");
  if (class_names.empty() || class_names.size() > 256)
    return Status::Error(label_source + ": the number of classes must be 1 to 256");
  const auto label_values = labels.value().elements;
  for (size_t i = 0; i < label_values.size(); ++i)
    if (label_values[i] >= class_names.size())
      return Status::Error(label_source + ": label " + std::to_string(i) + " is " + std::to_string(label_values[i]) +
                           ", outside [0, " + std::to_string(class_names.size()) + ")");
  ImageDataset dataset;
  dataset.class_names = std::move(class_names);
  dataset.labels.assign(label_values.begin(), label_values.end());
  dataset.images = Tensor(Shape{image_dims[0], image_dims[1], image_dims[2], 1});
  const auto pixels = images.value().elements;
  float* out = dataset.images.data();
  for (size_t i = 0; i < pixels.size(); ++i) out[i] = static_cast<float>(pixels[i]) / 255.0f;  // as torchvision ToTensor
  return dataset;
}

Result<ImageDataset> load_idx_dataset(const std::string& image_path, const std::string& label_path,
                                      std::vector<std::string> class_names) {
  auto image_bytes = read_possibly_gzipped_file(image_path, kIdxMaxFileBytes);
  if (!image_bytes.ok()) return image_bytes.status();
  auto label_bytes = read_possibly_gzipped_file(label_path, kIdxMaxFileBytes);
  if (!label_bytes.ok()) return label_bytes.status();
  return decode_idx_dataset(image_bytes.value(), image_path, label_bytes.value(), label_path, std::move(class_names));
}

}  // namespace nl
