// GEMM dispatch. TEMPORARY: calls the reference until the blocked micro-kernels land.
#include "kernels/gemm.h"

namespace nl {

void gemm_f32(const GemmArgs& args, ThreadPool*) { gemm_f32_reference(args); }
const char* gemm_f32_kernel_name() { return "f32_gemm_reference"; }

}  // namespace nl
