/* openblas_core.c: OpenBLAS picks its kernels by CPU model, and Debian 12's 0.3.21 falls back
 * to Prescott's, SSE3 without FMA, on models newer than it (an Intel Xeon of family 6,
 * model 207, here). Those ran the trainer's weight gradients (and would every convolution on
 * CPUs without AVX-512) so that a training step took 1.2 to 1.6 times as long as with
 * OpenBLAS's AVX-512 kernels (bench_train, x2 and x4, side by side on this machine). Later OpenBLAS
 * releases pick by instruction set for such CPUs; this does the same, where the user has not
 * chosen. */
#include <cblas.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "openblas_core.h"

void openblas_core_choose(char **argv)
{
    if (getenv("OPENBLAS_CORETYPE") || strcmp(openblas_get_corename(), "Prescott"))
        return;
    __builtin_cpu_init();
    const char *core = NULL;
    /* SkylakeX's kernels: Skylake-X's AVX-512 (F, BW, DQ, VL); Haswell's: AVX2 and FMA */
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        core = "SkylakeX";
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        core = "Haswell";
    if (!core || setenv("OPENBLAS_CORETYPE", core, 1))
        return;
    /* By its own name, so that ps and top show the program's (not "exe"); by /proc/self/exe
     * where that name is gone (the file replaced while it runs). */
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n > 0) {
        path[n] = '\0';
        execv(path, argv);
    }
    execv("/proc/self/exe", argv);
    unsetenv("OPENBLAS_CORETYPE"); /* not restarted: the run goes on as it was */
}
