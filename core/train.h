/* train.h: the trainer with a chosen kernel set, for tests and benchmarks that compare paths
 * (srres_trainer_create takes SRRES_KERNEL_AUTO). */
#ifndef SRRES_TRAIN_H
#define SRRES_TRAIN_H

#include "srres.h"

/* srres_trainer_create on `kernel`, by the rules of srres_params.kernel: AUTO is AVX-512,
 * else AVX2 + FMA, else the baseline; AVX2 without AVX2 and FMA is SRRES_ERR_UNSUPPORTED. */
srres_status trainer_create_kernel(srres_model *model, int batch, int patch, int threads,
                                   srres_kernel kernel, srres_trainer **out, srres_error *err);

#endif
