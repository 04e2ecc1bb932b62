// The share link's state; see link_state.h. Sections:
//   1. FieldReader: typed, range-checked reads of one JSON object's keys
//   2. the schema: which keys each part of the state may hold
//   3. fragment encoding and decoding
#include "link/link_state.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <vector>

#include "link/base64url.h"
#include "link/raw_inflate.h"
#include "model/strict_json.h"
#include "tensor/limits.h"

namespace nl {
namespace {

using json = nlohmann::ordered_json;

constexpr int kMaxStateDepth = 4;      // state > viz/panels/... > values (one spare level)
constexpr size_t kMaxModelIdBytes = 200;
constexpr int64_t kMaxIndex = int64_t{1} << 31;  // sample, seed: a JS int32 range
constexpr size_t kMaxPanels = 32;

std::string number_text(double v) {
  json j = v;
  return j.dump();
}

// ---- 1. FieldReader ----------------------------------------------------------------------
// Reads keys of one object into a canonical copy; the first problem is kept
// and later reads do nothing, so a caller reads everything and checks once.
class FieldReader {
 public:
  FieldReader(const json& object, std::string path, Status* status) : object_(object), path_(std::move(path)), status_(status) {
    if (status_->ok() && !object_.is_object()) fail(where() + " is not an object");
  }

  json result() const { return out_; }

  // Fails on keys that no read asked for.
  void finish() {
    if (!status_->ok()) return;
    for (auto it = object_.begin(); it != object_.end(); ++it)
      if (!read_.count(it.key())) return fail("the link holds an unknown key " + quote_name(key_path(it.key())));
  }

  void boolean(const char* key) {
    const json* v = get(key);
    if (!v) return;
    if (!v->is_boolean()) return fail(quote_name(key_path(key)) + " must be true or false");
    out_[key] = *v;
  }

  void integer(const char* key, int64_t min, int64_t max, bool nullable = false) {
    const json* v = get(key);
    if (!v) return;
    if (nullable && v->is_null()) {
      out_[key] = nullptr;
      return;
    }
    double d = 0;
    bool is_integer = false;
    if (v->is_number_integer()) {
      // Unsigned values past int64 read as huge: compare as double.
      d = v->is_number_unsigned() ? static_cast<double>(v->get<uint64_t>()) : static_cast<double>(v->get<int64_t>());
      is_integer = true;
    } else if (v->is_number_float()) {
      d = v->get<double>();
      is_integer = std::isfinite(d) && std::floor(d) == d;
    }
    if (!is_integer || d < static_cast<double>(min) || d > static_cast<double>(max))
      return fail(quote_name(key_path(key)) + " is " + describe(*v) + "; expected an integer in " + std::to_string(min) +
                  ".." + std::to_string(max) + (nullable ? " or null" : ""));
    out_[key] = static_cast<int64_t>(d);
  }

  void number(const char* key, double min, double max) {
    const json* v = get(key);
    if (!v) return;
    const double d = v->is_number() ? v->get<double>() : NAN;
    if (!(d >= min && d <= max))
      return fail(quote_name(key_path(key)) + " is " + describe(*v) + "; expected a number in " + number_text(min) + ".." +
                  number_text(max));
    out_[key] = d;
  }

  void choice(const char* key, std::initializer_list<const char*> choices) {
    const json* v = get(key);
    if (!v) return;
    if (v->is_string())
      for (const char* c : choices)
        if (v->get_ref<const std::string&>() == c) {
          out_[key] = c;
          return;
        }
    std::string list;
    for (const char* c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
    fail(quote_name(key_path(key)) + " is " + describe(*v) + "; expected one of " + list);
  }

  // A name (model id, layer name): 1..max_bytes bytes of UTF-8 (the parser
  // checked the encoding) without control characters.
  void name(const char* key, size_t max_bytes, bool nullable = true) {
    const json* v = get(key);
    if (!v) return;
    if (nullable && v->is_null()) {
      out_[key] = nullptr;
      return;
    }
    if (!v->is_string()) return fail(quote_name(key_path(key)) + " must be a string");
    const std::string& s = v->get_ref<const std::string&>();
    if (s.empty() || s.size() > max_bytes)
      return fail(quote_name(key_path(key)) + " has " + std::to_string(s.size()) + " bytes; expected 1.." +
                  std::to_string(max_bytes));
    for (unsigned char c : s)
      if (c < 0x20 || c == 0x7F) return fail(quote_name(key_path(key)) + " holds a control character");
    out_[key] = s;
  }

  // Bytes as base64url text (the model pixels of a drawn or uploaded image).
  void bytes(const char* key) {
    const json* v = get(key);
    if (!v) return;
    if (!v->is_string()) return fail(quote_name(key_path(key)) + " must be base64url text");
    auto decoded = base64url_decode(v->get_ref<const std::string&>());
    if (!decoded.ok()) return fail(quote_name(key_path(key)) + ": " + decoded.status().message());
    if (decoded.value().empty()) return fail(quote_name(key_path(key)) + " holds no bytes");
    out_[key] = *v;
  }

  // A nested object read by `read(FieldReader&)`; absent stays absent.
  template <typename ReadFn>
  void object(const char* key, ReadFn read) {
    const json* v = get(key);
    if (!v) return;
    FieldReader inner(*v, key_path(key), status_);
    if (!status_->ok()) return;
    read(inner);
    inner.finish();
    if (status_->ok()) out_[key] = inner.result();
  }

  // An object of flags: keys are identifiers ([A-Za-z][A-Za-z0-9_]*, at most
  // 32 bytes), values booleans, at most kMaxPanels of them. The page decides
  // which panels exist; the link only carries names of the right form.
  void flags(const char* key) {
    const json* v = get(key);
    if (!v) return;
    if (!v->is_object()) return fail(quote_name(key_path(key)) + " is not an object");
    if (v->size() > kMaxPanels)
      return fail(quote_name(key_path(key)) + " has " + std::to_string(v->size()) + " entries; the limit is " +
                  std::to_string(kMaxPanels));
    json flags = json::object();
    for (auto it = v->begin(); it != v->end(); ++it) {
      const std::string& k = it.key();
      bool identifier = !k.empty() && k.size() <= 32 && std::isalpha(static_cast<unsigned char>(k[0]));
      for (unsigned char c : k) identifier = identifier && c < 0x80 && (std::isalnum(c) || c == '_');
      if (!identifier) return fail(quote_name(key_path(key)) + " holds a key that is not a panel name: " + quote_name(k));
      if (!it.value().is_boolean()) return fail(quote_name(key_path(key) + "." + k) + " must be true or false");
      flags[k] = it.value();
    }
    out_[key] = flags;
  }

  // Records that `key` is known; returns its value, or null when absent.
  const json* get(const char* key) {
    read_.insert(key);
    if (!status_->ok()) return nullptr;
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  void fail(const std::string& message) {
    if (status_->ok()) *status_ = Status::Error(message);
  }

 private:
  std::string where() const { return path_.empty() ? "the link's state" : quote_name(path_); }
  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  static std::string describe(const json& v) {
    std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
    return text.size() <= 40 ? text : text.substr(0, 40) + "...";
  }

  const json& object_;
  std::string path_;
  Status* status_;
  std::set<std::string> read_;
  json out_ = json::object();
};

// ---- 2. the schema -------------------------------------------------------------------------
// The ranges are the page's (web/app/app.js, applyLink): what its controls
// can set, with room for the automation API.
Result<json> read_state(const json& doc, bool version_required) {
  Status status;
  FieldReader top(doc, "", &status);
  if (!status.ok()) return status;
  const json* version = top.get("v");
  if (version && !(version->is_number_integer() && version->get<int64_t>() == kLinkStateVersion))
    return Status::Error("the link is of version " + (version->is_number() ? version->dump() : std::string("?")) +
                         "; this app reads version " + std::to_string(kLinkStateVersion));
  if (!version && version_required) return Status::Error("the link's state has no version ('v')");
  json out = json::object();
  out["v"] = kLinkStateVersion;

  top.name("model", kMaxModelIdBytes);
  top.boolean("invert");
  top.name("layer", limits::kMaxNodeNameBytes);
  top.integer("neuron", 0, limits::kMaxChannels, /*nullable=*/true);
  top.object("viz", [](FieldReader& v) {
    v.choice("objective", {"mean", "sum", "spatial", "unit"});
    v.integer("steps", 1, 5000);
    v.number("learningRate", 1e-6, 100);
    v.choice("optimizer", {"gradient", "adam"});
    v.number("blur", 0, 5);
    v.number("l2", 0, 10);
    v.number("tv", 0, 10);
    v.integer("jitter", 0, 16);
    v.number("scaleJitter", 0, 0.5);
    v.number("rotate", 0, 45);
    v.choice("start", {"constant", "noise", "input"});
    v.integer("seed", 0, kMaxIndex);
    v.choice("parameterization", {"pixels", "fourier"});  // absent (links before it): pixels
  });
  top.object("focus", [](FieldReader& f) {
    f.choice("method", {"gradcam", "saliency", "occlusion"});
    f.integer("target", -1, limits::kMaxChannels);
  });
  top.object("clusters", [](FieldReader& c) {
    c.name("layer", limits::kMaxNodeNameBytes);
    c.choice("source", {"activation", "contribution"});
    c.choice("similarity", {"pearson", "cosine"});
    c.choice("features", {"activation", "contribution", "visualization"});
    c.choice("method", {"kmeans", "agglomerative", "nmf"});
    c.integer("k", 1, 64);
  });
  top.flags("panels");
  top.object("input", [](FieldReader& i) {
    i.integer("sample", 0, kMaxIndex - 1);
    i.bytes("pixels");
    if (i.result().size() > 1) i.fail("'input' holds both a sample and pixels");
  });
  top.finish();
  if (!status.ok()) return status;
  const json fields = top.result();  // a copy: iterate one container, not two temporaries
  for (auto it = fields.begin(); it != fields.end(); ++it) out[it.key()] = it.value();
  return out;
}

Result<json> parse_state(std::span<const uint8_t> text, bool version_required) {
  auto doc = parse_json_strictly(text, "the link's state", kMaxStateDepth);
  if (!doc.ok()) return doc.status();
  return read_state(doc.value(), version_required);
}

std::span<const uint8_t> as_bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

}  // namespace

// ---- 3. fragments --------------------------------------------------------------------------
Result<std::string> decode_link_fragment(std::string_view fragment) {
  if (!fragment.empty() && fragment[0] == '#') fragment.remove_prefix(1);
  if (fragment.empty()) return Status::Error("the link holds no state");
  if (fragment.size() > limits::kMaxLinkFragmentChars)
    return Status::Error("the link is too long (" + std::to_string(fragment.size()) + " characters; the limit, " +
                         "kMaxLinkFragmentChars, is " + std::to_string(limits::kMaxLinkFragmentChars) + ")");
  if (fragment.substr(0, 2) != "s=") return Status::Error("the link holds no NeuronLens state");
  auto packed = base64url_decode(fragment.substr(2));
  if (!packed.ok()) return Status::Error("the link is damaged: " + packed.status().message());
  auto text = inflate_raw(packed.value(), limits::kMaxLinkStateBytes);
  if (!text.ok())
    return Status::Error("the link is damaged: " + text.status().message() +
                         (text.status().message().find("limit") != std::string::npos ? " (kMaxLinkStateBytes)" : ""));
  auto state = parse_state(text.value(), /*version_required=*/true);
  if (!state.ok()) return state.status();
  return state.value().dump();
}

Result<std::string> canonical_link_state(std::string_view state_json) {
  if (state_json.size() > limits::kMaxLinkStateBytes)
    return Status::Error("the link's state has " + std::to_string(state_json.size()) + " bytes; the limit, " +
                         "kMaxLinkStateBytes, is " + std::to_string(limits::kMaxLinkStateBytes));
  auto state = parse_state(as_bytes(state_json), /*version_required=*/false);
  if (!state.ok()) return state.status();
  return state.value().dump();
}

Result<std::string> encode_link_fragment(std::string_view state_json) {
  auto canonical = canonical_link_state(state_json);
  if (!canonical.ok()) return canonical.status();
  const std::string fragment = "s=" + base64url_encode(deflate_raw(as_bytes(canonical.value())));
  if (fragment.size() > limits::kMaxLinkFragmentChars)
    return Status::Error("the link would be " + std::to_string(fragment.size()) + " characters long, over the limit " +
                         "(kMaxLinkFragmentChars) of " + std::to_string(limits::kMaxLinkFragmentChars));
  return fragment;
}

}  // namespace nl
