/* model_file.h: the safetensors model file (docs/model-format.md), shared by models and
 * trainer checkpoints. */
#ifndef SRRES_MODEL_FILE_H
#define SRRES_MODEL_FILE_H

#include "model.h"

/* The largest Adam step a checkpoint holds: far beyond any run, and far enough below
 * INT64_MAX that the updates after a resume cannot overflow the count. */
#define CHECKPOINT_MAX_STEP ((int64_t)1 << 53)

/* Optimizer state carried by a checkpoint: tensors "optimizer.m" and "optimizer.v", one
 * float per parameter each, and the metadata "optimizer.step"; optionally the parameters'
 * average, tensor "optimizer.avg" with metadata "optimizer.avg_decay" (avg NULL if absent). */
typedef struct optimizer_tensors {
    float *m, *v, *avg;
    int64_t step;
    float avg_decay;
    float beta1, beta2, eps; /* Adam's; files without them get 0.9, 0.999, 1e-8 */
} optimizer_tensors;

/* Parses a whole file held in memory. A checkpoint's optimizer tensors and settings go to
 * `opt`, in buffers the caller frees (NULL for a model file, and after a failure). `name`
 * prefixes every message. */
srres_status model_file_parse(const void *data, size_t size, const char *name,
                              srres_model **out, optimizer_tensors *opt, srres_error *err);

/* Writes atomically: a temporary file beside `path`, fsync, then rename. The weights (and
 * the average) in `dtype`; with `opt`, the moments in F32, or BF16 when `dtype` is not F32
 * (a compact checkpoint). */
srres_status model_file_write(const srres_model *m, srres_dtype dtype,
                              const optimizer_tensors *opt, const char *path,
                              srres_error *err);

/* Reads a whole file into a malloc'ed buffer (files of models are a few MB); one whose first
 * bytes are no safetensors file's is refused unread, with model_file_parse's message. */
srres_status model_file_read_all(const char *path, void **data, size_t *size,
                                 srres_error *err);

#endif
