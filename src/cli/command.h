// The subcommands of `neuronlens`: one file per subcommand (train_command.cpp,
// eval_command.cpp, ...), each exporting a run function; main.cpp lists them.
// A run function gets the arguments after the subcommand name and returns
// the process exit code (0 success, 1 failure, 2 bad usage).
#pragma once
#include <span>
#include <string>

namespace nl::cli {

using RunCommand = int (*)(std::span<const std::string> args);

struct Command {
  const char* name;
  const char* summary;
  RunCommand run;
};

int run_train_command(std::span<const std::string> args);
int run_eval_command(std::span<const std::string> args);
int run_focus_command(std::span<const std::string> args);
int run_neurons_command(std::span<const std::string> args);
int run_visualize_command(std::span<const std::string> args);
int run_top_images_command(std::span<const std::string> args);
int run_cluster_neurons_command(std::span<const std::string> args);
int run_cluster_categories_command(std::span<const std::string> args);
int run_ablate_command(std::span<const std::string> args);
int run_report_command(std::span<const std::string> args);
int run_import_command(std::span<const std::string> args);
int run_forward_command(std::span<const std::string> args);
int run_grad_command(std::span<const std::string> args);

}  // namespace nl::cli
