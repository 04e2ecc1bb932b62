// Recipe parsing: strict, exception-free reading of the JSON with nlohmann
// (parse without exceptions, type-checked access), every error naming the key.
//
// Sections: ObjectReader (typed, path-aware field access) - layers - recipe - files.
#include "train/recipe.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace nl {

namespace {

using json = nlohmann::json;

// 'text', for messages (built by appending: g++ 12 warns falsely on "'" + std::string).
std::string quoted(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  out += text;
  out += '\'';
  return out;
}

// ---- ObjectReader: typed access to one JSON object ---------------------------------
// Records the first error; later reads become no-ops. finish() reports keys
// that were never read (typos).
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string path, Status* error) : j_(object), path_(std::move(path)), error_(error) {
    if (!j_.is_object()) fail(path_.empty() ? "the recipe must be a JSON object" : "'" + path_ + "' must be an object");
  }

  bool has(const char* key) const { return j_.is_object() && j_.contains(key); }
  std::string key_path(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

  const json* get(const char* key) {
    if (!ok() || !j_.is_object()) return nullptr;
    read_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }

  void str(const char* key, std::string* out, bool required = false) {
    const json* v = get(key);
    if (!v) return missing(key, required);
    if (!v->is_string()) return fail(quoted(key_path(key)) + " must be a string");
    *out = v->get<std::string>();
  }

  void boolean(const char* key, bool* out) {
    const json* v = get(key);
    if (!v) return;
    if (!v->is_boolean()) return fail(quoted(key_path(key)) + " must be true or false");
    *out = v->get<bool>();
  }

  template <typename Int>
  void integer(const char* key, Int* out, int64_t lo, int64_t hi, bool required = false) {
    const json* v = get(key);
    if (!v) return missing(key, required);
    if (!v->is_number_integer()) return fail(quoted(key_path(key)) + " must be an integer");
    const bool negative = v->is_number_unsigned() ? false : v->get<int64_t>() < 0;
    const double value = negative ? static_cast<double>(v->get<int64_t>()) : static_cast<double>(v->get<uint64_t>());
    if (value < static_cast<double>(lo) || value > static_cast<double>(hi))
      return fail(quoted(key_path(key)) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                  v->dump());
    *out = negative ? static_cast<Int>(v->get<int64_t>()) : static_cast<Int>(v->get<uint64_t>());
  }

  void number(const char* key, float* out, double lo, double hi, bool required = false) {
    const json* v = get(key);
    if (!v) return missing(key, required);
    if (!v->is_number()) return fail(quoted(key_path(key)) + " must be a number");
    const double value = v->get<double>();
    if (!std::isfinite(value) || value < lo || value > hi) {
      std::ostringstream s;
      s << quoted(key_path(key)) << " must be in [" << lo << ", " << hi << "], got " << v->dump();
      return fail(s.str());
    }
    *out = static_cast<float>(value);
  }

  void numbers(const char* key, std::vector<float>* out, double lo, double hi, size_t min_count, size_t max_count) {
    const json* v = get(key);
    if (!v) return;
    if (!v->is_array() || v->size() < min_count || v->size() > max_count)
      return fail(quoted(key_path(key)) + " must be a list of " + std::to_string(min_count) + " to " +
                  std::to_string(max_count) + " numbers");
    out->clear();
    for (const json& e : *v) {
      if (!e.is_number() || !std::isfinite(e.get<double>()) || e.get<double>() < lo || e.get<double>() > hi) {
        std::ostringstream s;
        s << quoted(key_path(key)) << " holds " << e.dump() << ": each value must be a number in [" << lo << ", " << hi << "]";
        return fail(s.str());
      }
      out->push_back(static_cast<float>(e.get<double>()));
    }
  }

  // Reports keys never read; call after reading every known key.
  void finish() {
    if (!ok() || !j_.is_object()) return;
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!read_.count(it.key())) return fail("unknown key '" + key_path(it.key().c_str()) + "'");
  }

  void fail(const std::string& message) {
    if (ok()) *error_ = Status::Error(message);
  }
  bool ok() const { return error_->ok(); }

 private:
  void missing(const char* key, bool required) {
    if (required) fail(quoted(key_path(key)) + " is required");
  }
  const json& j_;
  std::string path_;
  Status* error_;
  std::set<std::string> read_;
};

// ---- layers ------------------------------------------------------------------------

bool parse_layer_type(const std::string& name, LayerSpec::Type* type) {
  static const std::pair<const char*, LayerSpec::Type> kTypes[] = {
      {"conv", LayerSpec::Type::conv},       {"maxpool", LayerSpec::Type::maxpool},
      {"avgpool", LayerSpec::Type::avgpool}, {"global_avgpool", LayerSpec::Type::global_avgpool},
      {"dropout", LayerSpec::Type::dropout}, {"flatten", LayerSpec::Type::flatten},
      {"dense", LayerSpec::Type::dense}};
  for (const auto& [n, t] : kTypes)
    if (name == n) {
      *type = t;
      return true;
    }
  return false;
}

void read_activation(ObjectReader& r, const char* key, LayerSpec* layer) {
  std::string activation = "none";
  r.str(key, &activation);
  if (activation == "relu") layer->relu = true;
  else if (activation != "none") r.fail(quoted(r.key_path(key)) + " must be \"relu\" or \"none\", got \"" + activation + "\"");
}

LayerSpec read_layer(const json& j, const std::string& path, Status* error) {
  LayerSpec layer;
  ObjectReader r(j, path, error);
  std::string type;
  r.str("type", &type, true);
  if (!r.ok()) return layer;
  if (!parse_layer_type(type, &layer.type)) {
    r.fail("'" + path + ".type' is \"" + type +
           "\"; expected conv, maxpool, avgpool, global_avgpool, dropout, flatten or dense");
    return layer;
  }
  constexpr int64_t kMaxUnits = 1 << 16;
  switch (layer.type) {
    case LayerSpec::Type::conv:
      r.integer("channels", &layer.units, 1, kMaxUnits, true);
      r.integer("kernel", &layer.kernel, 1, 15);
      r.integer("stride", &layer.stride, 1, 15);
      if (const json* p = r.get("padding")) {
        if (p->is_string() && p->get<std::string>() == "same") layer.padding = -1;
        else if (p->is_number_integer() && p->get<int64_t>() >= 0 && p->get<int64_t>() < 15) layer.padding = p->get<int>();
        else r.fail("'" + path + ".padding' must be \"same\" or an integer in [0, 15)");
      }
      r.boolean("batchnorm", &layer.batchnorm);
      read_activation(r, "activation", &layer);
      break;
    case LayerSpec::Type::maxpool:
    case LayerSpec::Type::avgpool:
      layer.kernel = 2;
      layer.padding = 0;
      r.integer("kernel", &layer.kernel, 1, 15);
      layer.stride = layer.kernel;
      r.integer("stride", &layer.stride, 1, 15);
      break;
    case LayerSpec::Type::dropout:
      r.number("rate", &layer.rate, 0.0, 0.95, true);
      break;
    case LayerSpec::Type::dense:
      r.integer("units", &layer.units, 1, kMaxUnits, true);
      r.boolean("batchnorm", &layer.batchnorm);
      read_activation(r, "activation", &layer);
      break;
    case LayerSpec::Type::global_avgpool:
    case LayerSpec::Type::flatten:
      break;
  }
  r.finish();
  return layer;
}

}  // namespace

std::string layer_type_name(LayerSpec::Type type) {
  switch (type) {
    case LayerSpec::Type::conv: return "conv";
    case LayerSpec::Type::maxpool: return "maxpool";
    case LayerSpec::Type::avgpool: return "avgpool";
    case LayerSpec::Type::global_avgpool: return "global_avgpool";
    case LayerSpec::Type::dropout: return "dropout";
    case LayerSpec::Type::flatten: return "flatten";
    case LayerSpec::Type::dense: return "dense";
  }
  return "?";
}

// ---- recipe ------------------------------------------------------------------------

Result<Recipe> parse_recipe(const std::string& text, const std::string& source) {
  const std::string where = "recipe " + source + ": ";
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Error(where + "not valid JSON");

  Recipe recipe;
  Status error;
  ObjectReader top(j, "", &error);
  top.str("name", &recipe.name, true);
  top.str("description", &recipe.description);
  top.integer("seed", &recipe.seed, 0, std::numeric_limits<int64_t>::max());
  top.integer("epochs", &recipe.epochs, 1, 10000, true);
  top.integer("batch_size", &recipe.batch_size, 1, 65536, true);
  top.integer("threads", &recipe.threads, 1, 256);
  top.integer("eval_every_epochs", &recipe.eval_every_epochs, 0, 10000);
  top.number("label_smoothing", &recipe.label_smoothing, 0.0, 0.5);

  if (const json* d = top.get("data")) {
    ObjectReader r(*d, "data", &error);
    r.str("train", &recipe.train_data, true);
    r.str("test", &recipe.test_data, true);
    r.integer("train_limit", &recipe.train_limit, 0, int64_t{1} << 40);
    r.integer("test_limit", &recipe.test_limit, 0, int64_t{1} << 40);
    r.finish();
  } else {
    top.fail("'data' is required");
  }

  if (const json* p = top.get("preprocessing")) {
    ObjectReader r(*p, "preprocessing", &error);
    r.numbers("mean", &recipe.mean, -10.0, 10.0, 1, 4);
    r.numbers("std", &recipe.std, 1e-6, 100.0, 1, 4);
    r.finish();
    if (error.ok() && recipe.mean.size() != recipe.std.size())
      error = Status::Error("'preprocessing': mean has " + std::to_string(recipe.mean.size()) + " values, std " +
                            std::to_string(recipe.std.size()));
  }

  if (const json* a = top.get("architecture")) {
    if (!a->is_array() || a->empty()) {
      top.fail("'architecture' must be a non-empty list of layers");
    } else {
      for (size_t i = 0; i < a->size() && error.ok(); ++i)
        recipe.layers.push_back(read_layer((*a)[i], "architecture[" + std::to_string(i) + "]", &error));
      if (error.ok() && recipe.layers.back().type != LayerSpec::Type::dense)
        error = Status::Error("'architecture': the last layer must be dense (it gives the class scores)");
    }
  } else {
    top.fail("'architecture' is required");
  }

  if (const json* b = top.get("batchnorm")) {
    ObjectReader r(*b, "batchnorm", &error);
    r.number("momentum", &recipe.batchnorm_momentum, 0.0, 1.0);
    r.number("eps", &recipe.batchnorm_eps, 1e-12, 1.0);
    r.finish();
  }

  if (const json* a = top.get("augmentation")) {
    ObjectReader r(*a, "augmentation", &error);
    r.integer("max_shift", &recipe.augmentation.max_shift, 0, 64);
    r.boolean("horizontal_flip", &recipe.augmentation.horizontal_flip);
    r.number("erase_probability", &recipe.augmentation.erase_probability, 0.0, 1.0);
    r.integer("erase_size", &recipe.augmentation.erase_size, 0, 64);
    r.finish();
  }

  if (const json* o = top.get("optimizer")) {
    ObjectReader r(*o, "optimizer", &error);
    r.str("type", &recipe.optimizer, true);
    r.number("learning_rate", &recipe.learning_rate, 1e-9, 10.0, true);
    r.boolean("decay_biases_and_norms", &recipe.decay_biases_and_norms);
    if (recipe.optimizer == "sgd") {
      r.number("momentum", &recipe.sgd.momentum, 0.0, 0.999);
      r.number("dampening", &recipe.sgd.dampening, 0.0, 1.0);
      r.number("weight_decay", &recipe.sgd.weight_decay, 0.0, 1.0);
      r.boolean("nesterov", &recipe.sgd.nesterov);
    } else if (recipe.optimizer == "adam" || recipe.optimizer == "adamw") {
      recipe.adam.decoupled_weight_decay = recipe.optimizer == "adamw";
      r.number("beta1", &recipe.adam.beta1, 0.0, 0.9999);
      r.number("beta2", &recipe.adam.beta2, 0.0, 0.99999);
      r.number("eps", &recipe.adam.eps, 1e-12, 1.0);
      r.number("weight_decay", &recipe.adam.weight_decay, 0.0, 10.0);
    } else if (r.ok()) {
      r.fail("'optimizer.type' is \"" + recipe.optimizer + "\"; expected sgd, adam or adamw");
    }
    r.finish();
  } else {
    top.fail("'optimizer' is required");
  }

  if (const json* s = top.get("schedule")) {
    ObjectReader r(*s, "schedule", &error);
    std::string kind = "cosine";
    r.str("type", &kind, true);
    if (r.ok()) {
      auto parsed = LearningRateSchedule::parse_kind(kind);
      if (!parsed.ok()) r.fail("'schedule.type': " + parsed.status().message());
      else recipe.schedule = parsed.value();
    }
    r.number("warmup_epochs", &recipe.warmup_epochs, 0.0, 10000.0);
    r.number("warmup_start_factor", &recipe.warmup_start_factor, 0.0, 1.0);
    if (recipe.schedule == ScheduleOptions::Kind::cosine) r.number("min_learning_rate", &recipe.min_learning_rate, 0.0, 10.0);
    if (recipe.schedule == ScheduleOptions::Kind::step) {
      r.number("gamma", &recipe.gamma, 1e-6, 1.0);
      r.numbers("milestone_epochs", &recipe.milestone_epochs, 0.0, 10000.0, 1, 64);
    }
    r.finish();
  }
  top.finish();
  if (!error.ok()) return Status::Error(where + error.message());

  // Cross-field checks, with the settings' own validation.
  if (recipe.epochs < recipe.warmup_epochs)
    return Status::Error(where + "warm-up (" + std::to_string(recipe.warmup_epochs) + " epochs) is longer than the run (" +
                         std::to_string(recipe.epochs) + " epochs)");
  if (recipe.min_learning_rate > recipe.learning_rate)
    return Status::Error(where + "'schedule.min_learning_rate' exceeds 'optimizer.learning_rate'");
  auto opt = recipe.make_optimizer();
  if (!opt.ok()) return Status::Error(where + opt.status().message());
  auto schedule = recipe.make_schedule(100);
  if (!schedule.ok()) return Status::Error(where + schedule.status().message());
  return recipe;
}

Result<LearningRateSchedule> Recipe::make_schedule(int64_t steps_per_epoch) const {
  ScheduleOptions o;
  o.kind = schedule;
  o.base_lr = learning_rate;
  o.total_steps = steps_per_epoch * epochs;
  o.warmup_steps = static_cast<int64_t>(std::llround(static_cast<double>(warmup_epochs) * steps_per_epoch));
  o.warmup_start_factor = warmup_start_factor;
  o.min_lr = min_learning_rate;
  o.gamma = gamma;
  for (float e : milestone_epochs) o.milestones.push_back(static_cast<int64_t>(std::llround(static_cast<double>(e) * steps_per_epoch)));
  return LearningRateSchedule::create(o);
}

Result<std::unique_ptr<Optimizer>> Recipe::make_optimizer() const {
  if (optimizer == "sgd") {
    auto r = Sgd::create(sgd);
    if (!r.ok()) return r.status();
    return std::unique_ptr<Optimizer>(std::move(r.value()));
  }
  auto r = Adam::create(adam);
  if (!r.ok()) return r.status();
  return std::unique_ptr<Optimizer>(std::move(r.value()));
}

// ---- files -------------------------------------------------------------------------

Result<Recipe> load_recipe(const std::string& path) {
  constexpr std::streamoff kMaxRecipeBytes = 1 << 20;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("recipe " + path + ": cannot open the file");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0 || size > kMaxRecipeBytes)
    return Status::Error("recipe " + path + ": larger than " + std::to_string(kMaxRecipeBytes) + " bytes");
  in.seekg(0);
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), size);
  if (!in) return Status::Error("recipe " + path + ": read failed");
  return parse_recipe(text, path);
}

}  // namespace nl
