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
