/* cpu.c: runtime CPU feature checks (GCC's cpuid wrappers, which also check OS support). */
#include "cpu.h"

int cpu_has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}

int cpu_has_avx2_fma(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int cpu_has_avx512_bf16(void)
{
    return cpu_has_avx512() && __builtin_cpu_supports("avx512bf16");
}
