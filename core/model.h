/* model.h: the in-memory model: one parameter block with named views (llm.c style) and the
 * table of tensors that maps those views to the names of the model file. */
#ifndef SRRES_MODEL_H
#define SRRES_MODEL_H

#include "srres.h"

#define SRRES_MAX_UP_STAGES 3
#define SRRES_MAX_BLOCKS 1024
#define SRRES_MAX_CHANNELS 4096
#define SRRES_TENSOR_NAME_MAX 48

typedef struct conv_layer {
    float *weight; /* [cout][cin][k][k] (OIHW) */
    float *bias;   /* [cout] */
    int cin, cout, k;
} conv_layer;

typedef struct prelu_layer {
    float *slope; /* [n] */
    int n;        /* 1, or one per channel */
} prelu_layer;

typedef struct residual_block {
    conv_layer conv1, conv2;
    prelu_layer prelu1, prelu2;
} residual_block;

typedef struct model_tensor {
    char name[SRRES_TENSOR_NAME_MAX];
    int ndim;
    int shape[4];
    size_t count;
    float *data; /* a view into the parameter block */
} model_tensor;

typedef struct model_metadata {
    char *key, *value;
} model_metadata;

struct srres_model {
    srres_config cfg;
    srres_variant variant;
    int up_stages, up_factor; /* e.g. x4 = two x2 stages */

    float *params;
    size_t num_params;

    conv_layer head;
    prelu_layer head_prelu;
    residual_block *body; /* [cfg.blocks] */
    conv_layer trunk;
    conv_layer up[SRRES_MAX_UP_STAGES];
    prelu_layer up_prelu[SRRES_MAX_UP_STAGES];
    conv_layer tail;

    model_tensor *tensors;
    int num_tensors;

    model_metadata *metadata;
    int num_metadata, metadata_cap;
};

/* Number of PReLU layers: head, two per block, one per upsampling stage. Their order is the
 * order of `prelu_counts` below. */
int model_num_prelus(const srres_config *cfg);

/* Checks the numbers of a configuration; the message names the bad field. */
srres_status model_check_config(const srres_config *cfg, srres_error *err);

/* Allocates a zeroed model. prelu_counts[i] is 1 or the channel count of PReLU i; NULL takes
 * it from cfg->prelu_per_channel. */
srres_status model_alloc(const srres_config *cfg, const int *prelu_counts, srres_model **out,
                         srres_error *err);

/* Appends a metadata key known to be new and valid (a parsed file's: JSON keys are unique
 * and UTF-8): no search, so a file of many keys loads in linear time. */
srres_status model_append_metadata(srres_model *m, const char *key, const char *value,
                                   srres_error *err);

/* The tensor of that name, or NULL. */
model_tensor *model_find_tensor(const srres_model *m, const char *name);

#endif
