// The start every method subcommand (focus, neurons, visualize, top-images,
// cluster-neurons, cluster-categories, ablate, report) shares: its options
// parsed together with the common ones, --help answered, --model and --out
// required, --threads read, and errors reported under the command's name.
#pragma once
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "cli/args.h"
#include "cli/method_setup.h"

namespace nl::cli {

class MethodCommand {
 public:
  MethodCommand(const char* name, std::string usage) : name_(name), usage_(std::move(usage)) {}

  // Parses `raw` against the common options plus `valued` and `flags`.
  // Returns the exit code to stop with (0 after --help, 2 for bad usage), or
  // nothing when the command should go on.
  std::optional<int> parse(std::span<const std::string> raw, const std::set<std::string>& valued,
                           const std::set<std::string>& flags = {});

  const Args& args() const { return *args_; }
  bool quiet() const { return args_->flag("quiet"); }

  // The first failed status as a usage error (exit 2), or nothing when all are fine.
  std::optional<int> check(std::initializer_list<Status> statuses) const;
  // "neuronlens NAME: MESSAGE" with the usage text, exit code 2.
  int usage_error(const std::string& message) const;
  // "neuronlens NAME: MESSAGE", exit code 1.
  int error(const std::string& message) const;

  // The model of --model, with a pool of --threads threads.
  Result<std::unique_ptr<MethodContext>> open_model() const;

 private:
  const char* name_;
  std::string usage_;
  std::optional<Args> args_;
  int threads_ = 2;
};

}  // namespace nl::cli
