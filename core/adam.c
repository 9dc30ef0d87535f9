/* adam.c: the Adam optimiser over one contiguous parameter block. */
#include <math.h>
#include <stdlib.h>

#include "error.h"

srres_status srres_adam_init(srres_adam *adam, size_t n, srres_error *err)
{
    *adam = (srres_adam){.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .n = n};
    adam->m = calloc(n ? n : 1, sizeof(float));
    adam->v = calloc(n ? n : 1, sizeof(float));
    if (!adam->m || !adam->v) {
        srres_adam_release(adam);
        return srres_fail(err, SRRES_ERR_NOMEM, "out of memory for Adam moments");
    }
    return SRRES_OK;
}

void srres_adam_release(srres_adam *adam)
{
    free(adam->m);
    free(adam->v);
    adam->m = adam->v = NULL;
}

void srres_adam_update(srres_adam *adam, float *params, const float *grads, float lr)
{
    adam->step++;
    float b1 = adam->beta1, b2 = adam->beta2;
    /* Bias corrections folded into the step size, as in the paper's efficient form. */
    double c1 = 1.0 - pow(b1, (double)adam->step), c2 = 1.0 - pow(b2, (double)adam->step);
    float step = (float)(lr * sqrt(c2) / c1), eps = (float)(adam->eps * sqrt(c2));
    for (size_t i = 0; i < adam->n; i++) {
        float g = grads[i];
        float m = adam->m[i] = b1 * adam->m[i] + (1.0f - b1) * g;
        float v = adam->v[i] = b2 * adam->v[i] + (1.0f - b2) * g * g;
        params[i] -= step * m / (sqrtf(v) + eps);
    }
}
