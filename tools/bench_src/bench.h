// The benchmark runner's small vocabulary: named benchmarks register
// themselves, bench_main.cpp runs those named on the command line, and each
// result is printed as one JSON line (name, threads, gflops, ms).
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace nl::bench {

struct Options {
  std::vector<int> threads = {1, 2};  // --threads 1,2: each benchmark runs once per count
  std::string filter;                 // --filter TEXT: only results whose name contains TEXT
  // For the model benchmarks of `tools/bench peers` (bench_models.cpp):
  std::string models_dir;             // --models-dir DIR: what tools/peers/export_models.py wrote
  std::string models;                 // --models a,b: only these models (default: every one in DIR)
  std::string workloads;              // --workloads forward_b1,grad_b1: only these (default: all)
  int runs = 20;                      // --runs N: timed runs after the warm-up
  int warmup = 3;                     // --warmup N
  bool profile = false;               // --profile: per-node times of the model runs, on stderr
};

using BenchmarkFn = void (*)(const Options&);

// Registers a benchmark at static-initialisation time: `static Registrar r("gemm", run_gemm);`
struct Registrar {
  Registrar(const char* name, BenchmarkFn fn);
};

// Times fn: one warm-up call, then repeats until about `budget_ms` have passed
// (at least 3 runs). Returns the fastest run in milliseconds: the machine is
// shared, so the minimum is the steadiest estimate of what the code can do.
double time_ms(const std::function<void()>& fn, double budget_ms = 150.0);

// {"name": ..., "threads": ..., "gflops": ..., "ms": ...} on one line of stdout.
void print_result(const std::string& name, int threads, double gflops, double ms);

}  // namespace nl::bench
