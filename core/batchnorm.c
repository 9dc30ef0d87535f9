/* batchnorm.c: BatchNorm folding (the srgan variant runs as the seed network). */
#include <math.h>

#include "batchnorm.h"

void batchnorm_fold(conv_layer *conv, const float *gamma, const float *beta, const float *mean,
                    const float *var, float eps)
{
    size_t per = (size_t)conv->cin * conv->k * conv->k;
    for (int o = 0; o < conv->cout; o++) {
        double s = gamma[o] / sqrt((double)var[o] + eps);
        for (size_t i = 0; i < per; i++)
            conv->weight[o * per + i] = (float)(conv->weight[o * per + i] * s);
        conv->bias[o] = (float)((conv->bias[o] - mean[o]) * s + beta[o]);
    }
}
