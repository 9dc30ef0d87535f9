/* checkpoint.c: trainer checkpoints: a model file that also carries the Adam state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "model_file.h"

static srres_status checkpoint_write(const srres_model *model, const srres_adam *adam,
                                     srres_dtype dtype, const char *path, srres_error *err)
{
    if (adam->n != model->num_params)
        return srres_fail(err, SRRES_ERR_INVALID,
                          "Adam state has %zu values for a model of %zu parameters", adam->n,
                          model->num_params);
    /* What the loader takes back: a checkpoint that saves must load. */
    if (!(adam->beta1 >= 0.0f && adam->beta1 < 1.0f && adam->beta2 >= 0.0f &&
          adam->beta2 < 1.0f && adam->eps > 0.0f && isfinite(adam->eps)))
        return srres_fail(err, SRRES_ERR_INVALID,
                          "Adam beta1 %g, beta2 %g, eps %g: the betas must be in [0, 1) and "
                          "eps above 0",
                          (double)adam->beta1, (double)adam->beta2, (double)adam->eps);
    if (adam->step < 0 || adam->step > CHECKPOINT_MAX_STEP)
        return srres_fail(err, SRRES_ERR_INVALID, "Adam step %lld is not in 0..2^53",
                          (long long)adam->step);
    if (adam->avg && !(adam->avg_decay > 0.0f && adam->avg_decay < 1.0f))
        return srres_fail(err, SRRES_ERR_INVALID, "average decay %g is not in (0, 1)",
                          (double)adam->avg_decay);
    optimizer_tensors opt = {adam->m,        adam->v,     adam->avg,   adam->step,
                             adam->avg_decay, adam->beta1, adam->beta2, adam->eps};
    return model_file_write(model, dtype, &opt, path, err);
}

srres_status srres_checkpoint_save(const srres_model *model, const srres_adam *adam,
                                   const char *path, srres_error *err)
{
    return checkpoint_write(model, adam, SRRES_DTYPE_F32, path, err);
}

srres_status srres_checkpoint_save_compact(const srres_model *model, const srres_adam *adam,
                                           const char *path, srres_error *err)
{
    return checkpoint_write(model, adam, SRRES_DTYPE_F16, path, err);
}

srres_status srres_checkpoint_load_memory(const void *data, size_t size, const char *name,
                                          srres_model **model, srres_adam *adam,
                                          srres_error *err)
{
    optimizer_tensors opt;
    *adam = (srres_adam){0}; /* what the caller may release, whatever happens */
    if (!name)
        name = "checkpoint";
    srres_status st = model_file_parse(data, size, name, model, &opt, err);
    if (st != SRRES_OK)
        return st;
    if (!opt.m) {
        srres_model_free(*model);
        *model = NULL;
        return srres_fail(err, SRRES_ERR_FORMAT,
                          "%s: missing tensor 'optimizer.m': a model file, not a checkpoint", name);
    }
    *adam = (srres_adam){.beta1 = opt.beta1, .beta2 = opt.beta2, .eps = opt.eps, .step = opt.step,
                         .n = (*model)->num_params, .m = opt.m, .v = opt.v, .avg = opt.avg,
                         .avg_decay = opt.avg_decay};
    return SRRES_OK;
}

srres_status srres_checkpoint_load(const char *path, srres_model **model, srres_adam *adam,
                                   srres_error *err)
{
    void *data;
    size_t size;
    *model = NULL;
    *adam = (srres_adam){0};
    srres_status st = model_file_read_all(path, &data, &size, err);
    if (st == SRRES_OK)
        st = srres_checkpoint_load_memory(data, size, path, model, adam, err);
    free(data);
    return st;
}
