// The shared start of the method subcommands: see method_command.h.
#include "cli/method_command.h"

#include <cstdio>

namespace nl::cli {

std::optional<int> MethodCommand::parse(std::span<const std::string> raw, const std::set<std::string>& valued,
                                        const std::set<std::string>& flags) {
  std::set<std::string> all_valued = kMethodValuedOptions, all_flags = kMethodFlags;
  all_valued.insert(valued.begin(), valued.end());
  all_flags.insert(flags.begin(), flags.end());
  auto parsed = Args::parse(raw, all_valued, all_flags);
  if (!parsed.ok()) return usage_error(parsed.status().message());
  args_ = std::move(parsed.value());
  if (args_->flag("help")) {
    std::fputs(usage_.c_str(), stdout);
    return 0;
  }
  if (!args_->value("model") || !args_->value("out")) return usage_error("--model and --out are required");
  auto threads = args_->integer("threads", 2, 1, 256);
  if (!threads.ok()) return usage_error(threads.status().message());
  threads_ = static_cast<int>(threads.value());
  return std::nullopt;
}

std::optional<int> MethodCommand::check(std::initializer_list<Status> statuses) const {
  for (const Status& s : statuses)
    if (!s.ok()) return usage_error(s.message());
  return std::nullopt;
}

int MethodCommand::usage_error(const std::string& message) const { return usage_failure(name_, message, usage_.c_str()); }

int MethodCommand::error(const std::string& message) const { return command_failure(name_, message); }

Result<std::unique_ptr<MethodContext>> MethodCommand::open_model() const {
  return nl::cli::open_model(*args_->value("model"), threads_);
}

}  // namespace nl::cli
