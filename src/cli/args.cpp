// Option parsing; see args.h.
#include "cli/args.h"

#include <charconv>

namespace nl::cli {

Result<Args> Args::parse(std::span<const std::string> args, const std::set<std::string>& valued,
                         const std::set<std::string>& flags) {
  Args out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) return Status::Error("unexpected argument '" + a + "'");
    std::string name = a.substr(2), value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (flags.count(name)) {
      if (inline_value) return Status::Error("option --" + name + " takes no value");
      out.flags_.insert(name);
    } else if (valued.count(name)) {
      if (!inline_value) {
        if (i + 1 >= args.size()) return Status::Error("option --" + name + " needs a value");
        value = args[++i];
      }
      if (out.values_.count(name)) return Status::Error("option --" + name + " given twice");
      out.values_[name] = value;
    } else {
      return Status::Error("unknown option --" + name);
    }
  }
  return out;
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

Result<int64_t> Args::integer(const std::string& name, int64_t fallback, int64_t lo, int64_t hi) const {
  auto v = value(name);
  if (!v) return fallback;
  int64_t parsed = 0;
  const char* end = v->data() + v->size();
  auto [ptr, ec] = std::from_chars(v->data(), end, parsed);
  if (ec != std::errc() || ptr != end || parsed < lo || parsed > hi)
    return Status::Error("option --" + name + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                         "], got '" + *v + "'");
  return parsed;
}

}  // namespace nl::cli
