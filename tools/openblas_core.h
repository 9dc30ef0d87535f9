/* openblas_core.h: OpenBLAS's kernels chosen by instruction set where it does not know the
 * CPU, as OpenBLAS releases after Debian 12's do. */
#ifndef SRRES_OPENBLAS_CORE_H
#define SRRES_OPENBLAS_CORE_H

/* Call first in main. Where OPENBLAS_CORETYPE is unset and OpenBLAS fell back to its Prescott
 * (SSE3) kernels on a CPU with AVX-512 or AVX2 and FMA, starts the program again (execv of
 * /proc/self/exe with the same argv) with OPENBLAS_CORETYPE set to SkylakeX or Haswell,
 * which OpenBLAS reads as it loads. Returns where nothing is to be done or exec fails. */
void openblas_core_choose(char **argv);

#endif
