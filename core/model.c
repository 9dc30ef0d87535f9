/* model.c: building the parameter block and its tensor table from a configuration; model
 * metadata, random initialisation and the accessors of srres.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "error.h"
#include "model.h"

static const char *const reserved_keys[] = {"format", "version", "scale", "blocks",
                                            "channels", "variant", "image_skip"};

int model_num_prelus(const srres_config *cfg)
{
    int stages = cfg->scale == 8 ? 3 : cfg->scale == 4 ? 2 : 1;
    return 1 + 2 * cfg->blocks + stages;
}

srres_status model_check_config(const srres_config *cfg, srres_error *err)
{
    if (cfg->scale != 2 && cfg->scale != 3 && cfg->scale != 4 && cfg->scale != 8)
        return srres_fail(err, SRRES_ERR_INVALID, "scale %d is not one of 2, 3, 4, 8",
                          cfg->scale);
    if (cfg->blocks < 0 || cfg->blocks > SRRES_MAX_BLOCKS)
        return srres_fail(err, SRRES_ERR_INVALID, "blocks %d is not in 0..%d", cfg->blocks,
                          SRRES_MAX_BLOCKS);
    if (cfg->channels < 1 || cfg->channels > SRRES_MAX_CHANNELS)
        return srres_fail(err, SRRES_ERR_INVALID, "channels %d is not in 1..%d",
                          cfg->channels, SRRES_MAX_CHANNELS);
    if (cfg->image_skip != SRRES_SKIP_NONE && cfg->image_skip != SRRES_SKIP_NEAREST)
        return srres_fail(err, SRRES_ERR_INVALID, "unknown image_skip %d",
                          (int)cfg->image_skip);
    return SRRES_OK;
}

/* Builds the table in file order; with `base` NULL it only counts (returns parameters). */
typedef struct table_builder {
    srres_model *m;
    float *base;
    size_t offset;
    int count;
} table_builder;

static float *add_tensor(table_builder *b, const char *name, int ndim, const int *shape)
{
    size_t count = 1;
    for (int i = 0; i < ndim; i++)
        count *= (size_t)shape[i];
    float *data = b->base ? b->base + b->offset : NULL;
    if (b->base) {
        model_tensor *t = &b->m->tensors[b->count];
        snprintf(t->name, sizeof(t->name), "%s", name);
        t->ndim = ndim;
        memcpy(t->shape, shape, sizeof(int) * ndim);
        t->count = count;
        t->data = data;
    }
    b->offset += count;
    b->count++;
    return data;
}

static void add_conv(table_builder *b, conv_layer *L, const char *prefix, int cin, int cout,
                     int k)
{
    char name[SRRES_TENSOR_NAME_MAX];
    int wshape[4] = {cout, cin, k, k};
    snprintf(name, sizeof(name), "%s.weight", prefix);
    L->weight = add_tensor(b, name, 4, wshape);
    snprintf(name, sizeof(name), "%s.bias", prefix);
    L->bias = add_tensor(b, name, 1, &cout);
    L->cin = cin;
    L->cout = cout;
    L->k = k;
}

static void add_prelu(table_builder *b, prelu_layer *L, const char *name, int n)
{
    L->slope = add_tensor(b, name, 1, &n);
    L->n = n;
}

static void build_table(table_builder *b, const int *prelu_counts)
{
    srres_model *m = b->m;
    int C = m->cfg.channels, p = 0;
    char name[SRRES_TENSOR_NAME_MAX];
    add_conv(b, &m->head, "head", 3, C, 9);
    add_prelu(b, &m->head_prelu, "head.prelu", prelu_counts[p++]);
    for (int i = 0; i < m->cfg.blocks; i++) {
        residual_block *blk = &m->body[i];
        snprintf(name, sizeof(name), "body.%d.conv1", i);
        add_conv(b, &blk->conv1, name, C, C, 3);
        snprintf(name, sizeof(name), "body.%d.prelu1", i);
        add_prelu(b, &blk->prelu1, name, prelu_counts[p++]);
        snprintf(name, sizeof(name), "body.%d.conv2", i);
        add_conv(b, &blk->conv2, name, C, C, 3);
        snprintf(name, sizeof(name), "body.%d.prelu2", i);
        add_prelu(b, &blk->prelu2, name, prelu_counts[p++]);
    }
    add_conv(b, &m->trunk, "trunk", C, C, 3);
    int r = m->up_factor;
    for (int j = 0; j < m->up_stages; j++) {
        snprintf(name, sizeof(name), "up.%d", j);
        add_conv(b, &m->up[j], name, C, C * r * r, 3);
        snprintf(name, sizeof(name), "up.%d.prelu", j);
        add_prelu(b, &m->up_prelu[j], name, prelu_counts[p++]);
    }
    add_conv(b, &m->tail, "tail", C, 3, 9);
}

srres_status model_alloc(const srres_config *cfg, const int *prelu_counts, srres_model **out,
                         srres_error *err)
{
    *out = NULL;
    srres_status st = model_check_config(cfg, err);
    if (st != SRRES_OK)
        return st;
    int nprelu = model_num_prelus(cfg);
    int *counts = malloc(sizeof(int) * nprelu);
    srres_model *m = calloc(1, sizeof(*m));
    if (!counts || !m) {
        free(counts);
        free(m);
        return srres_fail(err, SRRES_ERR_NOMEM, "out of memory allocating a model");
    }
    for (int i = 0; i < nprelu; i++) {
        counts[i] = prelu_counts ? prelu_counts[i] : cfg->prelu_per_channel ? cfg->channels : 1;
        if (counts[i] != 1 && counts[i] != cfg->channels) {
            st = srres_fail(err, SRRES_ERR_INVALID, "PReLU %d has %d slopes, not 1 or %d", i,
                            counts[i], cfg->channels);
            free(counts);
            free(m);
            return st;
        }
    }
    m->cfg = *cfg;
    m->variant = SRRES_VARIANT_SEED;
    m->up_factor = cfg->scale == 3 ? 3 : 2;
    m->up_stages = model_num_prelus(cfg) - 1 - 2 * cfg->blocks;
    m->body = calloc(cfg->blocks ? cfg->blocks : 1, sizeof(residual_block));
    table_builder b = {.m = m};
    if (m->body)
        build_table(&b, counts);
    m->num_params = b.offset;
    m->num_tensors = b.count;
    m->params = m->body ? calloc(m->num_params, sizeof(float)) : NULL;
    m->tensors = m->params ? calloc(m->num_tensors, sizeof(model_tensor)) : NULL;
    if (!m->tensors) {
        free(counts);
        srres_model_free(m);
        return srres_fail(err, SRRES_ERR_NOMEM, "out of memory allocating %zu parameters",
                          b.offset);
    }
    b = (table_builder){.m = m, .base = m->params};
    build_table(&b, counts);
    free(counts);
    *out = m;
    return SRRES_OK;
}

srres_status srres_model_create(const srres_config *config, srres_model **model,
                                srres_error *err)
{
    return model_alloc(config, NULL, model, err);
}

void srres_model_free(srres_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->num_metadata; i++) {
        free(m->metadata[i].key);
        free(m->metadata[i].value);
    }
    free(m->metadata);
    free(m->tensors);
    free(m->params);
    free(m->body);
    free(m);
}

model_tensor *model_find_tensor(const srres_model *m, const char *name)
{
    for (int i = 0; i < m->num_tensors; i++)
        if (!strcmp(m->tensors[i].name, name))
            return &m->tensors[i];
    return NULL;
}

const srres_config *srres_model_config(const srres_model *m)
{
    return &m->cfg;
}

srres_variant srres_model_variant(const srres_model *m)
{
    return m->variant;
}

size_t srres_model_num_params(const srres_model *m)
{
    return m->num_params;
}

float *srres_model_params(srres_model *m)
{
    return m->params;
}

const float *srres_model_params_const(const srres_model *m)
{
    return m->params;
}

double srres_model_macs_per_pixel(const srres_model *m)
{
    double C = m->cfg.channels, s = m->cfg.scale, r = m->up_factor;
    double macs = 81.0 * 3 * C + 2.0 * m->cfg.blocks * 9 * C * C + 9 * C * C;
    double area = 1.0; /* HR pixels per LR pixel at the current stage */
    for (int j = 0; j < m->up_stages; j++) {
        macs += 9 * C * C * r * r * area;
        area *= r * r;
    }
    return macs + 81.0 * C * 3 * s * s;
}

const char *srres_model_get_metadata(const srres_model *m, const char *key)
{
    for (int i = 0; i < m->num_metadata; i++)
        if (!strcmp(m->metadata[i].key, key))
            return m->metadata[i].value;
    return NULL;
}

int srres_model_metadata_count(const srres_model *m)
{
    return m->num_metadata;
}

const char *srres_model_metadata_key(const srres_model *m, int i)
{
    return i >= 0 && i < m->num_metadata ? m->metadata[i].key : NULL;
}

srres_status srres_model_set_metadata(srres_model *m, const char *key, const char *value,
                                      srres_error *err)
{
    for (size_t i = 0; i < sizeof(reserved_keys) / sizeof(reserved_keys[0]); i++)
        if (!strcmp(key, reserved_keys[i]))
            return srres_fail(err, SRRES_ERR_INVALID,
                              "metadata key '%s' is set by the library, not the caller", key);
    /* The optimizer's keys are a checkpoint's own (srres_checkpoint_save writes them). */
    if (!strncmp(key, "optimizer.", 10))
        return srres_fail(err, SRRES_ERR_INVALID,
                          "metadata key '%s' is set by the library, not the caller", key);
    /* The header is JSON, which holds UTF-8 text only; jansson is the judge of that. */
    json_t *k_ok = json_string(key), *v_ok = value ? json_string(value) : NULL;
    int invalid = !k_ok || (value && !v_ok);
    json_decref(k_ok);
    json_decref(v_ok);
    if (!k_ok)
        return srres_fail(err, SRRES_ERR_INVALID, "a metadata key is not UTF-8 text");
    if (invalid)
        return srres_fail(err, SRRES_ERR_INVALID, "metadata '%s': the value is not UTF-8 text",
                          key);
    if (!value) {
        for (int i = 0; i < m->num_metadata; i++) {
            if (!strcmp(m->metadata[i].key, key)) {
                free(m->metadata[i].key);
                free(m->metadata[i].value);
                m->metadata[i] = m->metadata[--m->num_metadata];
                break;
            }
        }
        return SRRES_OK;
    }
    for (int i = 0; i < m->num_metadata; i++) {
        if (!strcmp(m->metadata[i].key, key)) {
            char *v = strdup(value);
            if (!v)
                return srres_fail(err, SRRES_ERR_NOMEM, "out of memory");
            free(m->metadata[i].value);
            m->metadata[i].value = v;
            return SRRES_OK;
        }
    }
    return model_append_metadata(m, key, value, err);
}

srres_status model_append_metadata(srres_model *m, const char *key, const char *value,
                                   srres_error *err)
{
    if (m->num_metadata == m->metadata_cap) {
        int cap = m->metadata_cap ? 2 * m->metadata_cap : 8;
        model_metadata *grown = realloc(m->metadata, sizeof(*grown) * (size_t)cap);
        if (!grown)
            return srres_fail(err, SRRES_ERR_NOMEM, "out of memory");
        m->metadata = grown;
        m->metadata_cap = cap;
    }
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return srres_fail(err, SRRES_ERR_NOMEM, "out of memory");
    }
    m->metadata[m->num_metadata++] = (model_metadata){k, v};
    return SRRES_OK;
}

static void init_he(float *w, size_t count, int fan_in, float extra, srres_rng *rng)
{
    /* He et al. 2015 for PReLU with slope 0.25: std = sqrt(2 / ((1 + a^2) fan_in)). */
    double std = sqrt(2.0 / ((1.0 + 0.25 * 0.25) * fan_in)) * extra;
    for (size_t i = 0; i < count; i++)
        w[i] = (float)(std * srres_rng_normal(rng));
}

static void init_conv(conv_layer *L, float extra, srres_rng *rng)
{
    init_he(L->weight, (size_t)L->cout * L->cin * L->k * L->k, L->cin * L->k * L->k, extra,
            rng);
    memset(L->bias, 0, sizeof(float) * L->cout);
}

/* ICNR (Aitken et al. 2017): the r*r sub-pixel filters of each output channel start equal,
 * so the shuffled output is a nearest-neighbour upsampling and shows no checkerboard. */
static void init_icnr(conv_layer *L, int r, srres_rng *rng)
{
    size_t per = (size_t)L->cin * L->k * L->k;
    int groups = L->cout / (r * r);
    init_he(L->weight, per * groups, (int)per, 1.0f, rng);
    for (int c = groups - 1; c >= 0; c--)
        for (int s = r * r - 1; s >= 0; s--)
            memcpy(L->weight + ((size_t)c * r * r + s) * per, L->weight + (size_t)c * per,
                   sizeof(float) * per);
    memset(L->bias, 0, sizeof(float) * L->cout);
}

static void init_prelu(prelu_layer *L)
{
    for (int i = 0; i < L->n; i++)
        L->slope[i] = 0.25f;
}

void srres_model_init_random(srres_model *m, uint64_t seed)
{
    srres_rng rng;
    srres_rng_seed(&rng, seed);
    init_conv(&m->head, 1.0f, &rng);
    init_prelu(&m->head_prelu);
    for (int i = 0; i < m->cfg.blocks; i++) {
        init_conv(&m->body[i].conv1, 1.0f, &rng);
        init_prelu(&m->body[i].prelu1);
        init_conv(&m->body[i].conv2, 0.1f, &rng);
        init_prelu(&m->body[i].prelu2);
    }
    init_conv(&m->trunk, 1.0f, &rng);
    for (int j = 0; j < m->up_stages; j++) {
        init_icnr(&m->up[j], m->up_factor, &rng);
        init_prelu(&m->up_prelu[j]);
    }
    init_conv(&m->tail, 0.1f, &rng);
}

static int same_tensor(const model_tensor *a, const model_tensor *b)
{
    return !strcmp(a->name, b->name) && a->ndim == b->ndim &&
           !memcmp(a->shape, b->shape, sizeof(int) * a->ndim);
}

int srres_model_same_layout(const srres_model *a, const srres_model *b)
{
    /* The image skip has no tensor; everything else that shapes the network does. */
    if (a->num_tensors != b->num_tensors || a->cfg.image_skip != b->cfg.image_skip)
        return 0;
    for (int i = 0; i < a->num_tensors; i++)
        if (!same_tensor(&a->tensors[i], &b->tensors[i]))
            return 0;
    return 1;
}

int srres_model_copy_matching(srres_model *dst, const srres_model *src)
{
    int copied = 0;
    for (int i = 0; i < dst->num_tensors; i++) {
        model_tensor *d = &dst->tensors[i];
        model_tensor *s = model_find_tensor(src, d->name);
        if (!s || !same_tensor(s, d))
            continue;
        memcpy(d->data, s->data, sizeof(float) * d->count);
        copied++;
    }
    return copied;
}
