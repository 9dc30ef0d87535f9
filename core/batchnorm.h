/* batchnorm.h: folding inference-mode BatchNorm into the conv before it. */
#ifndef SRRES_BATCHNORM_H
#define SRRES_BATCHNORM_H

#include "model.h"

/* y = gamma (conv(x) - mean) / sqrt(var + eps) + beta becomes one conv:
 * W' = W s, b' = (b - mean) s + beta with s = gamma / sqrt(var + eps). All [cout]. */
void batchnorm_fold(conv_layer *conv, const float *gamma, const float *beta, const float *mean,
                    const float *var, float eps);

#endif
