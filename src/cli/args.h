// Option parsing shared by the subcommands: `--name value` or `--name=value`,
// and bare `--flag`s; each subcommand declares what it accepts, so a
// misspelt option is an error rather than ignored.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "tensor/status.h"

namespace nl::cli {

class Args {
 public:
  // valued: options that take a value; flags: options that do not.
  static Result<Args> parse(std::span<const std::string> args, const std::set<std::string>& valued,
                            const std::set<std::string>& flags);

  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  // An integer option, or the fallback when absent; error when malformed or outside [lo, hi].
  Result<int64_t> integer(const std::string& name, int64_t fallback, int64_t lo, int64_t hi) const;

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
};

}  // namespace nl::cli
