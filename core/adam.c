/* adam.c: the Adam optimiser over one contiguous parameter block, and the parameters'
 * moving average it can keep. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    if (!adam)
        return;
    free(adam->m);
    free(adam->v);
    free(adam->avg);
    adam->m = adam->v = adam->avg = NULL;
    adam->n = 0; /* a released state saves as an error and updates nothing */
}

void srres_adam_update(srres_adam *adam, float *params, const float *grads, float lr)
{
    if (!adam->n)
        return;
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
    if (adam->avg) {
        float d = adam->avg_decay;
        for (size_t i = 0; i < adam->n; i++)
            adam->avg[i] = d * adam->avg[i] + (1.0f - d) * params[i];
    }
}

srres_status srres_adam_average(srres_adam *adam, const float *params, float decay,
                                srres_error *err)
{
    if (!(decay > 0.0f && decay < 1.0f))
        return srres_fail(err, SRRES_ERR_INVALID, "average decay %g is not in (0, 1)",
                          (double)decay);
    if (!adam->avg) {
        adam->avg = malloc(sizeof(float) * (adam->n ? adam->n : 1));
        if (!adam->avg)
            return srres_fail(err, SRRES_ERR_NOMEM, "out of memory for the parameters' average");
        memcpy(adam->avg, params, sizeof(float) * adam->n);
    }
    adam->avg_decay = decay;
    return SRRES_OK;
}
