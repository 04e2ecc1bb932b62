// What the running CPU can execute, asked once. Used to fill the kernel tables
// at start-up; in WebAssembly the build fixes the ISA, so every check is false.
#pragma once

namespace nl {

bool cpu_has_avx2_fma();  // AVX2 and FMA3, with OS support for the YMM state
bool cpu_has_avx512();    // AVX-512 F and VL (plus FMA), with OS support for the ZMM state

}  // namespace nl
