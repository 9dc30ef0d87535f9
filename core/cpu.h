/* cpu.h: what the CPU can run, checked once per context. */
#ifndef SRRES_CPU_H
#define SRRES_CPU_H

/* AVX-512 F, BW, DQ and VL, with the OS saving the registers. */
int cpu_has_avx512(void);

/* AVX2 and FMA, with the OS saving the registers: the fast path's other kernels. */
int cpu_has_avx2_fma(void);

/* AVX512_BF16 (vdpbf16ps) on top. */
int cpu_has_avx512_bf16(void);

#endif
