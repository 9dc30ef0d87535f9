/* bench_train.c: training-step speed (forward, backward, Adam) of SRResNet 16x64 at x2 and
 * x4, batch 16, LR patch 24, on random patches: seconds a step and patches per second on
 * each kernel set this CPU runs (AVX-512, AVX2 + FMA, the im2col + sgemm baseline), side by
 * side, as bench_train.py measures PyTorch on the same shapes. Asserts nothing. Usage:
 * bench_train [--threads N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "openblas_core.h"
#include "srres.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The best of a few steps' seconds on `kernel`, or a negative number on failure. */
static double step_seconds(int scale, srres_kernel kernel, int threads, int batch, int patch)
{
    srres_config cfg = {scale, 16, 64, SRRES_SKIP_NEAREST, 1};
    srres_model *m = NULL;
    srres_trainer *t = NULL;
    srres_adam adam;
    srres_error e;
    if (srres_model_create(&cfg, &m, &e) ||
        srres_trainer_create_kernel(m, batch, patch, threads, kernel, &t, &e) ||
        srres_adam_init(&adam, srres_model_num_params(m), &e)) {
        fprintf(stderr, "bench_train: %s\n", e.message);
        srres_trainer_free(t);
        srres_model_free(m);
        return -1;
    }
    srres_model_init_random(m, 1);
    srres_rng rng;
    srres_rng_seed(&rng, 2);
    size_t nl = (size_t)batch * 3 * patch * patch, nh = nl * scale * scale;
    float *lr = malloc(nl * sizeof(float)), *hr = malloc(nh * sizeof(float));
    for (size_t i = 0; i < nl; i++)
        lr[i] = (float)srres_rng_uniform(&rng);
    for (size_t i = 0; i < nh; i++)
        hr[i] = (float)srres_rng_uniform(&rng);
    double best = 1e30;
    for (int s = 0; s < 6; s++) {
        double t0 = now();
        srres_trainer_forward(t, lr, hr, SRRES_LOSS_L1);
        srres_trainer_zero_grad(t);
        srres_trainer_backward(t);
        srres_adam_update(&adam, srres_model_params(m), srres_trainer_grads(t), 1e-4f);
        double dt = now() - t0;
        if (s > 0 && dt < best) /* the first step touches fresh memory */
            best = dt;
    }
    free(lr), free(hr);
    srres_adam_release(&adam);
    srres_trainer_free(t);
    srres_model_free(m);
    return best;
}

int main(int argc, char **argv)
{
    openblas_core_choose(argv); /* the kernels the tools run with */
    int threads = 2, batch = 16, patch = 24;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[++i]);
    /* AUTO is AVX-512 only where the CPU has it; else AVX2 stands for it */
    const struct {
        const char *name;
        srres_kernel kernel;
        int runs;
    } sets[] = {{"AVX-512", SRRES_KERNEL_AUTO, cpu_has_avx512()},
                {"AVX2", SRRES_KERNEL_AVX2, cpu_has_avx2_fma()},
                {"baseline", SRRES_KERNEL_BASELINE, 1}};
    for (int scale = 2; scale <= 4; scale += 2) {
        double first = 0;
        printf("x%d 16x64 batch %d patch %d:", scale, batch, patch);
        for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
            if (!sets[k].runs)
                continue;
            double sec = step_seconds(scale, sets[k].kernel, threads, batch, patch);
            if (sec < 0)
                return 1;
            if (!first)
                first = sec;
            printf(" %s %.3f s/step (%.1f patches/s, %.2fx)", sets[k].name, sec, batch / sec,
                   sec / first);
            fflush(stdout);
        }
        printf("\n");
    }
    return 0;
}
