/* loss.c: the training losses, as the mean over every output value. */
#include <math.h>

#include "layers.h"

float loss_forward(const float *out, const float *target, size_t count, srres_loss kind)
{
    double sum = 0;
    for (size_t i = 0; i < count; i++) {
        double d = (double)out[i] - target[i];
        sum += kind == SRRES_LOSS_L1 ? fabs(d) : d * d;
    }
    return (float)(sum / (double)count);
}

void loss_backward(float *dout, const float *out, const float *target, size_t count,
                   srres_loss kind)
{
    float inv = 1.0f / (float)count;
    for (size_t i = 0; i < count; i++) {
        float d = out[i] - target[i];
        if (kind == SRRES_LOSS_L1)
            dout[i] += d > 0 ? inv : d < 0 ? -inv : 0.0f;
        else
            dout[i] += 2.0f * d * inv;
    }
}
