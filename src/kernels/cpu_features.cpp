// CPU feature checks through the compiler's cpuid wrapper (which also checks
// that the OS saves the wider registers).
#include "kernels/cpu_features.h"

namespace nl {

#if (defined(__x86_64__) || defined(__i386__)) && !defined(__EMSCRIPTEN__)
bool cpu_has_avx2_fma() {
  __builtin_cpu_init();  // may run from a static initialiser, before libgcc's own
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
}
#else
bool cpu_has_avx2_fma() { return false; }
bool cpu_has_avx512() { return false; }
#endif

}  // namespace nl
