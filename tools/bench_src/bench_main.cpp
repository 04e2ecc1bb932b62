// neuronlens_bench: runs the benchmarks named on the command line.
//   neuronlens_bench gemm --threads 1,2 [--filter avx2]
//   neuronlens_bench peer_models --models-dir build/peers/models --threads 1,2 --runs 20
//   neuronlens_bench --list
// Each result is one JSON line on stdout; see bench.h.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

#include "bench.h"

namespace nl::bench {

namespace {
std::map<std::string, BenchmarkFn>& registry() {
  static std::map<std::string, BenchmarkFn> benchmarks;
  return benchmarks;
}
}  // namespace

Registrar::Registrar(const char* name, BenchmarkFn fn) { registry()[name] = fn; }

double time_ms(const std::function<void()>& fn, double budget_ms) {
  using Clock = std::chrono::steady_clock;
  fn();
  double best = 1e300, total = 0;
  for (int runs = 0; runs < 3 || total < budget_ms; ++runs) {
    const auto start = Clock::now();
    fn();
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    best = std::min(best, ms);
    total += ms;
  }
  return best;
}

void print_result(const std::string& name, int threads, double gflops, double ms) {
  std::printf("{\"name\": \"%s\", \"threads\": %d, \"gflops\": %.2f, \"ms\": %.4f}\n", name.c_str(), threads, gflops,
              ms);
  std::fflush(stdout);
}

}  // namespace nl::bench

namespace {

int usage() {
  std::fprintf(stderr, "usage: neuronlens_bench NAME... [--threads 1,2] [--filter TEXT]\n"
               "       [--models-dir DIR --models a,b --workloads w,v --runs N --warmup N --profile] | --list\nbenchmarks:");
  for (const auto& [name, fn] : nl::bench::registry()) std::fprintf(stderr, " %s", name.c_str());
  std::fprintf(stderr, "\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  nl::bench::Options options;
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--list") {
      for (const auto& [name, fn] : nl::bench::registry()) std::printf("%s\n", name.c_str());
      return 0;
    } else if (arg == "--threads" && i + 1 < argc) {
      options.threads.clear();
      std::stringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');) {
        const int t = std::atoi(item.c_str());
        if (t < 1) {
          std::fprintf(stderr, "neuronlens_bench: bad thread count '%s' in --threads\n", item.c_str());
          return 2;
        }
        options.threads.push_back(t);
      }
    } else if (arg == "--filter" && i + 1 < argc) {
      options.filter = argv[++i];
    } else if (arg == "--models-dir" && i + 1 < argc) {
      options.models_dir = argv[++i];
    } else if (arg == "--models" && i + 1 < argc) {
      options.models = argv[++i];
    } else if (arg == "--workloads" && i + 1 < argc) {
      options.workloads = argv[++i];
    } else if ((arg == "--runs" || arg == "--warmup") && i + 1 < argc) {
      const int n = std::atoi(argv[++i]);
      if (n < (arg == "--runs" ? 1 : 0)) {
        std::fprintf(stderr, "neuronlens_bench: bad count '%s' for %s\n", argv[i], arg.c_str());
        return 2;
      }
      (arg == "--runs" ? options.runs : options.warmup) = n;
    } else if (arg == "--profile") {
      options.profile = true;
    } else if (!arg.empty() && arg[0] != '-') {
      names.push_back(arg);
    } else {
      std::fprintf(stderr, "neuronlens_bench: unknown option '%s'\n", arg.c_str());
      return usage();
    }
  }
  if (names.empty()) return usage();
  for (const std::string& name : names) {
    const auto it = nl::bench::registry().find(name);
    if (it == nl::bench::registry().end()) {
      std::fprintf(stderr, "neuronlens_bench: no benchmark named '%s'\n", name.c_str());
      return usage();
    }
    it->second(options);
  }
  return 0;
}
