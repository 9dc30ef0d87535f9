/* model_file.c: reading and writing safetensors model files.
 *
 * Layout: 8 bytes little-endian header length N, N bytes of JSON, then raw tensor data.
 * The JSON maps tensor names to {dtype, shape, data_offsets: [begin, end)} (offsets relative
 * to the data section) plus "__metadata__", an object of strings. Every field is checked
 * before it is used: a hostile file gets an error naming what is wrong, never a read
 * outside the buffer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batchnorm.h"
#include "error.h"
#include "model_file.h"

#define MAX_HEADER_BYTES (100u << 20) /* the limit the reference implementation sets */
#define MAX_FILE_BYTES ((size_t)4 << 30)
#define BN_EPS 1e-5f

/* ---- Number formats -------------------------------------------------------------------- */

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man) { /* subnormal: normalise */
        int e = -1;
        do {
            man <<= 1;
            e++;
        } while (!(man & 0x400));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
    } else {
        bits = sign;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* Round to nearest even; returns 0 when the value overflows half precision. */
static int float_to_half(float f, uint16_t *out)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t man = x & 0x7fffff;
    if (((x >> 23) & 0xff) == 0xff)
        return 0;
    if (exp >= 0x1f)
        return 0;
    if (exp <= 0) { /* subnormal or zero in half */
        if (exp < -10) {
            *out = (uint16_t)sign;
            return 1;
        }
        man |= 0x800000;
        int shift = 14 - exp;
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        *out = (uint16_t)(sign | h);
        return 1;
    }
    uint32_t h = ((uint32_t)exp << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++; /* may carry into the exponent, which is the correct rounding */
    if ((h & 0x7fff) >= 0x7c00)
        return 0;
    *out = (uint16_t)(sign | h);
    return 1;
}

static float bf16_to_float(uint16_t b)
{
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static int float_to_bf16(float f, uint16_t *out)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if (((x >> 23) & 0xff) == 0xff)
        return 0;
    x += 0x7fff + ((x >> 16) & 1);
    if (((x >> 23) & 0xff) == 0xff)
        return 0;
    *out = (uint16_t)(x >> 16);
    return 1;
}

static uint64_t read_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static const char *dtype_name(srres_dtype d)
{
    return d == SRRES_DTYPE_F16 ? "F16" : d == SRRES_DTYPE_BF16 ? "BF16" : "F32";
}

/* ---- Parsing --------------------------------------------------------------------------- */

typedef struct parser {
    const char *name;
    const unsigned char *data; /* start of the tensor data section */
    size_t data_len;
    srres_error *err;
    locale_t numeric; /* the C locale's numbers, whatever the caller's locale */
} parser;

/* A checked view of one JSON tensor entry. */
typedef struct tensor_entry {
    const char *name;
    const char *dtype;
    int ndim;
    int64_t shape[8];
    uint64_t begin, end;
} tensor_entry;

/* Decimal digits alone, as model_file_write writes them: strtol would also take leading
 * white space and a '+', which the trailing space that is refused makes no case for. */
static int parse_int_string(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (!(s[0] >= '0' && s[0] <= '9') && !(s[0] == '-' && s[1] >= '0' && s[1] <= '9'))
        return 0;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* A float written as "%.9g" by model_file_write, finite. Read in the C locale, as it was
 * written: strtod in the caller's locale would stop at the '.' where its decimal point is a
 * comma. */
static int parse_float_string(const parser *p, const char *s, float *out)
{
    char *end;
    errno = 0;
    double v = strtod_l(s, &end, p->numeric);
    if (errno || end == s || *end || !isfinite((float)v))
        return 0;
    *out = (float)v;
    return 1;
}

static int parse_decay_string(const parser *p, const char *s, float *out)
{
    return parse_float_string(p, s, out) && *out > 0.0f && *out < 1.0f;
}

static srres_status read_entry(parser *p, const char *key, json_t *val, tensor_entry *e)
{
    e->name = key;
    if (!json_is_object(val))
        return srres_fail(p->err, SRRES_ERR_FORMAT, "%s: tensor '%s' is not a JSON object",
                          p->name, key);
    json_t *dt = json_object_get(val, "dtype"), *sh = json_object_get(val, "shape"),
           *off = json_object_get(val, "data_offsets");
    if (!json_is_string(dt))
        return srres_fail(p->err, SRRES_ERR_FORMAT, "%s: tensor '%s' has no dtype string",
                          p->name, key);
    e->dtype = json_string_value(dt);
    if (!json_is_array(sh) || json_array_size(sh) > 8)
        return srres_fail(p->err, SRRES_ERR_FORMAT, "%s: tensor '%s' has no valid shape",
                          p->name, key);
    e->ndim = (int)json_array_size(sh);
    for (int i = 0; i < e->ndim; i++) {
        json_t *d = json_array_get(sh, i);
        if (!json_is_integer(d) || json_integer_value(d) < 0 ||
            json_integer_value(d) > INT_MAX)
            return srres_fail(p->err, SRRES_ERR_FORMAT,
                              "%s: tensor '%s' has a bad dimension in its shape", p->name, key);
        e->shape[i] = json_integer_value(d);
    }
    if (!json_is_array(off) || json_array_size(off) != 2 ||
        !json_is_integer(json_array_get(off, 0)) || !json_is_integer(json_array_get(off, 1)))
        return srres_fail(p->err, SRRES_ERR_FORMAT,
                          "%s: tensor '%s' has no valid data_offsets", p->name, key);
    json_int_t b = json_integer_value(json_array_get(off, 0));
    json_int_t en = json_integer_value(json_array_get(off, 1));
    if (b < 0 || en < b || (uint64_t)en > p->data_len)
        return srres_fail(p->err, SRRES_ERR_FORMAT,
                          "%s: tensor '%s' has data_offsets [%lld, %lld] outside the %zu bytes "
                          "of data",
                          p->name, key, (long long)b, (long long)en, p->data_len);
    e->begin = (uint64_t)b;
    e->end = (uint64_t)en;
    return SRRES_OK;
}

static size_t dtype_size(const char *dtype)
{
    if (!strcmp(dtype, "F32"))
        return 4;
    if (!strcmp(dtype, "F16") || !strcmp(dtype, "BF16"))
        return 2;
    return 0;
}

static void format_shape(char *buf, size_t len, int ndim, const int64_t *shape)
{
    size_t o = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < ndim && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (o < len)
        snprintf(buf + o, len - o, "]");
}

/* Converts one entry into `dst` after checking dtype, shape, size and finiteness. */
static srres_status load_floats(parser *p, const tensor_entry *e, int ndim, const int *shape,
                                float *dst)
{
    size_t es = dtype_size(e->dtype);
    if (!es)
        return srres_fail(p->err, SRRES_ERR_FORMAT,
                          "%s: tensor '%s' has dtype %s; expected F32, F16 or BF16", p->name,
                          e->name, e->dtype);
    int same = e->ndim == ndim;
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        same = same && e->shape[i] == shape[i];
        count *= (size_t)shape[i];
    }
    if (!same) {
        int64_t want[8];
        char got_s[8 * 12 + 3], want_s[8 * 12 + 3]; /* 8 dims of 10 digits and ", " */
        for (int i = 0; i < ndim; i++)
            want[i] = shape[i];
        format_shape(got_s, sizeof(got_s), e->ndim, e->shape);
        format_shape(want_s, sizeof(want_s), ndim, want);
        return srres_fail(p->err, SRRES_ERR_FORMAT,
                          "%s: tensor '%s' has shape %s; the metadata implies %s", p->name,
                          e->name, got_s, want_s);
    }
    if (e->end - e->begin != count * es)
        return srres_fail(p->err, SRRES_ERR_FORMAT,
                          "%s: tensor '%s' holds %llu bytes; shape and dtype need %zu", p->name,
                          e->name, (unsigned long long)(e->end - e->begin), count * es);
    const unsigned char *src = p->data + e->begin;
    for (size_t i = 0; i < count; i++) {
        float v;
        if (es == 4) {
            memcpy(&v, src + 4 * i, 4); /* little-endian hosts only; see configure */
        } else {
            uint16_t h = (uint16_t)(src[2 * i] | (src[2 * i + 1] << 8));
            v = e->dtype[0] == 'B' ? bf16_to_float(h) : half_to_float(h);
        }
        if (!isfinite(v))
            return srres_fail(p->err, SRRES_ERR_FORMAT,
                              "%s: tensor '%s' holds a non-finite value (%s) at index %zu",
                              p->name, e->name, isnan(v) ? "NaN" : "Inf", i);
        dst[i] = v;
    }
    return SRRES_OK;
}

static int compare_ranges(const void *a, const void *b)
{
    const tensor_entry *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : 0;
}

/* Reads the metadata object into a configuration; unknown keys go to the model later. */
static srres_status read_config(parser *p, json_t *meta, srres_config *cfg,
                                srres_variant *variant)
{
    if (!json_is_object(meta))
        return srres_fail(p->err, SRRES_ERR_FORMAT,
                          "%s: no __metadata__ object; not an srres model file", p->name);
    const char *key;
    json_t *v;
    json_object_foreach(meta, key, v)
    {
        if (!json_is_string(v))
            return srres_fail(p->err, SRRES_ERR_FORMAT,
                              "%s: metadata '%s' is not a string", p->name, key);
    }
    const char *format = json_string_value(json_object_get(meta, "format"));
    if (!format || strcmp(format, "srresnet"))
        return srres_fail(p->err, SRRES_ERR_FORMAT,
                          "%s: metadata 'format' is %s%s%s, not \"srresnet\"", p->name,
                          format ? "\"" : "", format ? format : "missing", format ? "\"" : "");
    const char *version = json_string_value(json_object_get(meta, "version"));
    if (!version || strcmp(version, "1"))
        return srres_fail(p->err, SRRES_ERR_FORMAT,
                          "%s: metadata 'version' is %s; this build reads version 1", p->name,
                          version ? version : "missing");
    static const char *const ints[] = {"scale", "blocks", "channels"};
    long vals[3];
    /* Any int is read here, so that model_check_config below names a value out of its
     * range as such ("blocks 1025 is not in 0..1024"), not as "not a valid integer". */
    for (int i = 0; i < 3; i++) {
        const char *s = json_string_value(json_object_get(meta, ints[i]));
        if (!s || !parse_int_string(s, INT_MIN, INT_MAX, &vals[i]))
            return srres_fail(p->err, SRRES_ERR_FORMAT,
                              "%s: metadata '%s' is %s%s%s, not a valid integer", p->name,
                              ints[i], s ? "\"" : "", s ? s : "missing", s ? "\"" : "");
    }
    cfg->scale = (int)vals[0];
    cfg->blocks = (int)vals[1];
    cfg->channels = (int)vals[2];
    const char *var = json_string_value(json_object_get(meta, "variant"));
    if (var && !strcmp(var, "seed"))
        *variant = SRRES_VARIANT_SEED;
    else if (var && !strcmp(var, "srgan"))
        *variant = SRRES_VARIANT_SRGAN;
    else
        return srres_fail(p->err, SRRES_ERR_FORMAT,
                          "%s: metadata 'variant' is %s%s%s; expected \"seed\" or \"srgan\"",
                          p->name, var ? "\"" : "", var ? var : "missing", var ? "\"" : "");
    const char *skip = json_string_value(json_object_get(meta, "image_skip"));
    if (!skip || !strcmp(skip, "none"))
        cfg->image_skip = SRRES_SKIP_NONE;
    else if (!strcmp(skip, "nearest"))
        cfg->image_skip = SRRES_SKIP_NEAREST;
    else
        return srres_fail(p->err, SRRES_ERR_FORMAT,
                          "%s: metadata 'image_skip' is \"%s\"; expected \"none\" or \"nearest\"",
                          p->name, skip);
    srres_error inner;
    if (model_check_config(cfg, &inner) != SRRES_OK)
        return srres_fail(p->err, SRRES_ERR_FORMAT, "%s: metadata: %s", p->name,
                          inner.message);
    return SRRES_OK;
}

/* BatchNorm statistics of an srgan file, gathered before folding. */
typedef struct bn_set {
    float *gamma, *beta, *mean, *var;
    int found;
} bn_set;

static const char *const bn_fields[4] = {"weight", "bias", "running_mean", "running_var"};

/* The BN set a name belongs to (srgan files), with its field index, or NULL. The name is
 * parsed, then rebuilt and compared, so that only the exact spelling matches ("body.01"
 * does not), in constant time: a file may name thousands of tensors. */
static bn_set *match_bn(const srres_model *m, bn_set *bns, const char *name, int *field)
{
    int block = 0, bn = 0, len = 0, i;
    if (!strncmp(name, "trunk_bn.", 9)) {
        i = 2 * m->cfg.blocks;
    } else if (sscanf(name, "body.%d.bn%d.%n", &block, &bn, &len) == 2 && len > 0 &&
               block >= 0 && block < m->cfg.blocks && (bn == 1 || bn == 2)) {
        i = 2 * block + bn - 1;
    } else {
        return NULL;
    }
    for (int f = 0; f < 4; f++) {
        char canonical[SRRES_TENSOR_NAME_MAX];
        if (i == 2 * m->cfg.blocks)
            snprintf(canonical, sizeof(canonical), "trunk_bn.%s", bn_fields[f]);
        else
            snprintf(canonical, sizeof(canonical), "body.%d.bn%d.%s", block, bn, bn_fields[f]);
        if (!strcmp(canonical, name)) {
            *field = f;
            return &bns[i];
        }
    }
    return NULL;
}

static int is_bn_counter(const char *name)
{
    const char *suffix = ".num_batches_tracked";
    size_t n = strlen(name), s = strlen(suffix);
    return n > s && !strcmp(name + n - s, suffix) &&
           (strstr(name, ".bn") || !strncmp(name, "trunk_bn", 8));
}

/* The conv a BN set follows, and whether a conv's bias may be absent (followed by BN). */
static conv_layer *bn_conv(srres_model *m, int i)
{
    if (i == 2 * m->cfg.blocks)
        return &m->trunk;
    return i % 2 ? &m->body[i / 2].conv2 : &m->body[i / 2].conv1;
}

/* The PReLU counts a file implies, read from the shapes of its prelu tensors. */
static srres_status read_prelu_counts(parser *p, json_t *root, const srres_config *cfg,
                                      int srgan, int *counts)
{
    int n = model_num_prelus(cfg);
    char name[SRRES_TENSOR_NAME_MAX];
    for (int i = 0; i < n; i++) {
        if (i == 0)
            snprintf(name, sizeof(name), "head.prelu");
        else if (i <= 2 * cfg->blocks)
            snprintf(name, sizeof(name), "body.%d.prelu%d", (i - 1) / 2, (i - 1) % 2 + 1);
        else
            snprintf(name, sizeof(name), "up.%d.prelu", i - 1 - 2 * cfg->blocks);
        json_t *t = json_object_get(root, name);
        json_t *sh = json_is_object(t) ? json_object_get(t, "shape") : NULL;
        json_t *d0 = json_is_array(sh) && json_array_size(sh) == 1 ? json_array_get(sh, 0) : NULL;
        if (!t && srgan && i >= 1 && i <= 2 * cfg->blocks && i % 2 == 0) {
            counts[i] = 1; /* SRGAN blocks have no second PReLU: identity, set later */
            continue;
        }
        if (!t)
            return srres_fail(p->err, SRRES_ERR_FORMAT, "%s: missing tensor '%s'", p->name,
                              name);
        if (!json_is_integer(d0) ||
            (json_integer_value(d0) != 1 && json_integer_value(d0) != cfg->channels))
            return srres_fail(p->err, SRRES_ERR_FORMAT,
                              "%s: tensor '%s' must have shape [1] or [%d]", p->name, name,
                              cfg->channels);
        counts[i] = (int)json_integer_value(d0);
    }
    return SRRES_OK;
}

static srres_status parse_header(parser *p, json_t *root, srres_model **out,
                                 optimizer_tensors *opt)
{
    srres_config cfg = {0};
    srres_variant variant = SRRES_VARIANT_SEED;
    srres_status st = read_config(p, json_object_get(root, "__metadata__"), &cfg, &variant);
    if (st != SRRES_OK)
        return st;
    int *counts = malloc(sizeof(int) * model_num_prelus(&cfg));
    if (!counts)
        return srres_fail(p->err, SRRES_ERR_NOMEM, "%s: out of memory", p->name);
    st = read_prelu_counts(p, root, &cfg, variant == SRRES_VARIANT_SRGAN, counts);
    /* Every conv weight takes two bytes at least: refuse a file claiming more weights than
     * its data holds before allocating them (a few hostile bytes must not cost gigabytes). */
    double C = cfg.channels, rr = cfg.scale == 3 ? 9 : 4;
    int stages = model_num_prelus(&cfg) - 1 - 2 * cfg.blocks;
    double weights = 2 * 3 * 81 * C + (2.0 * cfg.blocks + 1) * 9 * C * C + stages * 9 * C * C * rr;
    if (st == SRRES_OK && 2 * weights > (double)p->data_len)
        st = srres_fail(p->err, SRRES_ERR_FORMAT,
                        "%s: metadata (scale %d, %d block%s, %d channel%s) implies %.0f weights; "
                        "the %zu bytes of data cannot hold them",
                        p->name, cfg.scale, cfg.blocks, cfg.blocks == 1 ? "" : "s", cfg.channels,
                        cfg.channels == 1 ? "" : "s", weights, p->data_len);
    srres_model *m = NULL;
    if (st == SRRES_OK) {
        srres_error inner;
        st = model_alloc(&cfg, counts, &m, &inner);
        if (st != SRRES_OK)
            srres_fail(p->err, st, "%s: %s", p->name, inner.message);
    }
    free(counts);
    if (st != SRRES_OK)
        return st;
    m->variant = variant;

    size_t nentries = json_object_size(root);
    tensor_entry *entries = calloc(nentries, sizeof(*entries));
    char *filled = calloc((size_t)m->num_tensors, 1);
    int nbn = variant == SRRES_VARIANT_SRGAN ? 2 * cfg.blocks + 1 : 0;
    bn_set *bns = calloc((size_t)nbn + 1, sizeof(*bns));
    float *bn_store = calloc((size_t)(nbn ? nbn : 1) * 4 * cfg.channels, sizeof(float));
    *opt = (optimizer_tensors){.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
    if (!entries || !filled || !bns || !bn_store) {
        st = srres_fail(p->err, SRRES_ERR_NOMEM, "%s: out of memory", p->name);
        goto done;
    }
    for (int i = 0; i < nbn; i++) {
        float *base = bn_store + (size_t)i * 4 * cfg.channels;
        bns[i] = (bn_set){base, base + cfg.channels, base + 2 * cfg.channels,
                          base + 3 * cfg.channels, 0};
    }
    int opt_found = 0;
    size_t n = 0;
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        if (!strcmp(key, "__metadata__"))
            continue;
        tensor_entry *e = &entries[n++];
        if ((st = read_entry(p, key, val, e)) != SRRES_OK)
            goto done;
        model_tensor *t = model_find_tensor(m, key);
        int field;
        bn_set *bn = nbn ? match_bn(m, bns, key, &field) : NULL;
        if (t) {
            if ((st = load_floats(p, e, t->ndim, t->shape, t->data)) != SRRES_OK)
                goto done;
            filled[t - m->tensors] = 1;
        } else if (bn) {
            float *dst = field == 0 ? bn->gamma : field == 1 ? bn->beta : field == 2 ? bn->mean : bn->var;
            if ((st = load_floats(p, e, 1, &cfg.channels, dst)) != SRRES_OK)
                goto done;
            bn->found |= 1 << field;
        } else if (nbn && is_bn_counter(key)) {
            continue; /* PyTorch's BatchNorm step counter: not used at inference */
        } else if (!strcmp(key, "optimizer.m") || !strcmp(key, "optimizer.v") ||
                   !strcmp(key, "optimizer.avg")) {
            int count = (int)m->num_params;
            if (m->num_params > INT_MAX) {
                st = srres_fail(p->err, SRRES_ERR_FORMAT, "%s: too many parameters", p->name);
                goto done;
            }
            /* Allocated when met: a model file has none of them. */
            float **dst = key[10] == 'a' ? &opt->avg : key[10] == 'm' ? &opt->m : &opt->v;
            if (!(*dst = malloc(sizeof(float) * m->num_params))) {
                st = srres_fail(p->err, SRRES_ERR_NOMEM, "%s: out of memory", p->name);
                goto done;
            }
            if ((st = load_floats(p, e, 1, &count, *dst)) != SRRES_OK)
                goto done;
            opt_found |= key[10] == 'a' ? 4 : key[10] == 'm' ? 1 : 2;
        } else {
            st = srres_fail(p->err, SRRES_ERR_FORMAT,
                            "%s: unexpected tensor '%s' for a %s model with %d block%s", p->name,
                            key, variant == SRRES_VARIANT_SRGAN ? "srgan" : "seed", cfg.blocks,
                            cfg.blocks == 1 ? "" : "s");
            goto done;
        }
    }
    /* Tensors must not share bytes: sort by start and compare neighbours. */
    qsort(entries, n, sizeof(*entries), compare_ranges);
    for (size_t i = 1; i < n; i++) {
        if (entries[i].begin < entries[i - 1].end) {
            st = srres_fail(p->err, SRRES_ERR_FORMAT,
                            "%s: tensors '%s' and '%s' overlap in the data section", p->name,
                            entries[i - 1].name, entries[i].name);
            goto done;
        }
    }
    for (int i = 0; i < m->num_tensors; i++) {
        const char *tn = m->tensors[i].name;
        size_t len = strlen(tn);
        int optional_bias = nbn && len > 5 && !strcmp(tn + len - 5, ".bias") &&
                            (strstr(tn, ".conv") || !strncmp(tn, "trunk.", 6));
        if (!filled[i] && nbn && strstr(tn, ".prelu2")) {
            m->tensors[i].data[0] = 1.0f;
            continue;
        }
        if (!filled[i] && !optional_bias) {
            st = srres_fail(p->err, SRRES_ERR_FORMAT, "%s: missing tensor '%s'", p->name, tn);
            goto done;
        }
    }
    for (int i = 0; i < nbn; i++) {
        char prefix[SRRES_TENSOR_NAME_MAX];
        if (i == 2 * cfg.blocks)
            snprintf(prefix, sizeof(prefix), "trunk_bn");
        else
            snprintf(prefix, sizeof(prefix), "body.%d.bn%d", i / 2, i % 2 + 1);
        if (bns[i].found != 15) {
            int f = 0;
            while (bns[i].found & (1 << f))
                f++;
            st = srres_fail(p->err, SRRES_ERR_FORMAT, "%s: missing tensor '%s.%s'", p->name,
                            prefix, bn_fields[f]);
            goto done;
        }
        for (int c = 0; c < cfg.channels; c++) {
            if (bns[i].var[c] < 0) {
                st = srres_fail(p->err, SRRES_ERR_FORMAT,
                                "%s: tensor '%s.running_var' holds a negative variance at "
                                "index %d", p->name, prefix, c);
                goto done;
            }
        }
        conv_layer *conv = bn_conv(m, i);
        batchnorm_fold(conv, bns[i].gamma, bns[i].beta, bns[i].mean, bns[i].var, BN_EPS);
        size_t nw = (size_t)conv->cout * conv->cin * conv->k * conv->k;
        for (size_t q = 0; q < nw + (size_t)conv->cout; q++) {
            if (!isfinite(q < nw ? conv->weight[q] : conv->bias[q - nw])) {
                st = srres_fail(p->err, SRRES_ERR_FORMAT,
                                "%s: folding '%s' into its conv gives a non-finite %s", p->name,
                                prefix, q < nw ? "weight" : "bias");
                goto done;
            }
        }
    }
    if ((opt_found & 7) && (opt_found & 3) != 3) {
        st = srres_fail(p->err, SRRES_ERR_FORMAT, "%s: missing tensor 'optimizer.%c'",
                        p->name, opt_found & 1 ? 'v' : 'm');
        goto done;
    }
    const char *mk;
    json_t *mv;
    json_object_foreach(json_object_get(root, "__metadata__"), mk, mv)
    {
        static const char *const reserved[] = {"format", "version", "scale", "blocks",
                                               "channels", "variant", "image_skip"};
        int skip = 0;
        for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
            skip |= !strcmp(mk, reserved[i]);
        if (!strcmp(mk, "optimizer.step")) {
            long step;
            if (!parse_int_string(json_string_value(mv), 0, CHECKPOINT_MAX_STEP, &step)) {
                st = srres_fail(p->err, SRRES_ERR_FORMAT,
                                "%s: metadata 'optimizer.step' is not a step in 0..2^53",
                                p->name);
                goto done;
            }
            opt->step = step;
            continue;
        }
        if (!strcmp(mk, "optimizer.avg_decay")) {
            if (!parse_decay_string(p, json_string_value(mv), &opt->avg_decay)) {
                st = srres_fail(p->err, SRRES_ERR_FORMAT,
                                "%s: metadata 'optimizer.avg_decay' is not a decay in (0, 1)",
                                p->name);
                goto done;
            }
            opt_found |= 8;
            continue;
        }
        float *hyper = !strcmp(mk, "optimizer.beta1")   ? &opt->beta1
                       : !strcmp(mk, "optimizer.beta2") ? &opt->beta2
                       : !strcmp(mk, "optimizer.eps")   ? &opt->eps
                                                          : NULL;
        if (hyper) {
            int is_eps = hyper == &opt->eps;
            if (!parse_float_string(p, json_string_value(mv), hyper) ||
                !(is_eps ? *hyper > 0.0f : *hyper >= 0.0f && *hyper < 1.0f)) {
                st = srres_fail(p->err, SRRES_ERR_FORMAT, "%s: metadata '%s' is not %s",
                                p->name, mk, is_eps ? "above 0" : "in [0, 1)");
                goto done;
            }
            continue;
        }
        if (!skip && (st = model_append_metadata(m, mk, json_string_value(mv), p->err)))
            goto done;
    }
    if ((opt_found & 4) != (opt_found & 8) >> 1) {
        const char *avg = "tensor 'optimizer.avg'", *decay = "metadata 'optimizer.avg_decay'";
        st = srres_fail(p->err, SRRES_ERR_FORMAT, "%s: %s without %s", p->name,
                        opt_found & 4 ? avg : decay, opt_found & 4 ? decay : avg);
        goto done;
    }
    /* Nor may they leave bytes between or after them, as the safetensors reference requires
     * (a file it refuses was taken here). Checked last, so that a tensor left out of the
     * header is named as missing, not as bytes no tensor holds. */
    uint64_t at = 0;
    size_t i = 0;
    while (i < n && entries[i].begin == at)
        at = entries[i++].end;
    if (i < n) {
        st = srres_fail(p->err, SRRES_ERR_FORMAT,
                        "%s: bytes %llu to %llu of the data section belong to no tensor",
                        p->name, (unsigned long long)at, (unsigned long long)entries[i].begin);
        goto done;
    }
    if (at != p->data_len) {
        st = srres_fail(p->err, SRRES_ERR_FORMAT,
                        "%s: the data section runs %llu byte%s past its last tensor",
                        p->name, (unsigned long long)(p->data_len - at),
                        p->data_len - at == 1 ? "" : "s");
        goto done;
    }
    st = SRRES_OK;
done:
    free(entries);
    free(filled);
    free(bns);
    free(bn_store);
    if (st != SRRES_OK) {
        srres_model_free(m);
        free(opt->m);
        free(opt->v);
        free(opt->avg);
        *opt = (optimizer_tensors){0};
    } else {
        *out = m;
    }
    return st;
}

/* The checks a file's first 9 bytes allow: its size, the header's length and first byte.
 * `have` bytes of the file's `size` are at `bytes`, 9 or all of them. */
static srres_status check_start(const unsigned char *bytes, size_t have, size_t size,
                                const char *name, srres_error *err)
{
    if (size < 8)
        return srres_fail(err, SRRES_ERR_FORMAT,
                          "%s: %zu byte%s is too short for a safetensors file", name, size,
                          size == 1 ? "" : "s");
    uint64_t hlen = read_le64(bytes);
    if (hlen > size - 8)
        return srres_fail(err, SRRES_ERR_FORMAT,
                          "%s: header length %llu runs past the end of the file (%zu bytes); "
                          "truncated or not a safetensors file",
                          name, (unsigned long long)hlen, size);
    if (hlen > MAX_HEADER_BYTES)
        return srres_fail(err, SRRES_ERR_FORMAT, "%s: header length %llu is absurd", name,
                          (unsigned long long)hlen);
    if (hlen < 2 || (have > 8 && bytes[8] != '{'))
        return srres_fail(err, SRRES_ERR_FORMAT,
                          "%s: the header is not a JSON object; not a safetensors file", name);
    return SRRES_OK;
}

srres_status model_file_parse(const void *data, size_t size, const char *name,
                              srres_model **out, optimizer_tensors *opt, srres_error *err)
{
    *out = NULL;
    *opt = (optimizer_tensors){0};
    const unsigned char *bytes = data;
    srres_status st = check_start(bytes, size, size, name, err);
    if (st != SRRES_OK)
        return st;
    uint64_t hlen = read_le64(bytes);
    json_error_t jerr;
    json_t *root = json_loadb((const char *)bytes + 8, hlen, JSON_REJECT_DUPLICATES, &jerr);
    /* jansson names few of its allocation failures; the others leave no message. */
    if (!root && (json_error_code(&jerr) == json_error_out_of_memory || !jerr.text[0]))
        return srres_fail(err, SRRES_ERR_NOMEM, "%s: out of memory reading the header", name);
    if (!root)
        return srres_fail(err, SRRES_ERR_FORMAT, "%s: bad JSON header at byte %d: %s", name,
                          jerr.position, jerr.text);
    parser p = {name, bytes + 8 + hlen, size - 8 - hlen, err,
                newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)};
    if (!p.numeric)
        st = srres_fail(err, SRRES_ERR_NOMEM, "%s: out of memory", name);
    else if (!json_is_object(root))
        st = srres_fail(err, SRRES_ERR_FORMAT, "%s: the header is not a JSON object", name);
    else
        st = parse_header(&p, root, out, opt);
    if (p.numeric)
        freelocale(p.numeric);
    json_decref(root);
    return st;
}

static const char *file_kind(mode_t mode)
{
    return S_ISDIR(mode)    ? "a folder"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISFIFO(mode) ? "a FIFO or pipe"
           : S_ISSOCK(mode) ? "a socket"
                            : "a special file";
}

srres_status model_file_read_all(const char *path, void **data, size_t *size, srres_error *err)
{
    *data = NULL;
    *size = 0;
    /* O_NONBLOCK: a FIFO without a writer is refused below instead of blocking here */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return srres_fail_errno(err, errno, "%s: %s", path, strerror(errno));
    struct stat sb;
    int stat_failed = fstat(fd, &sb) < 0;
    if (stat_failed || !S_ISREG(sb.st_mode)) {
        int e = stat_failed ? errno : S_ISDIR(sb.st_mode) ? EISDIR : EINVAL;
        close(fd);
        if (stat_failed)
            return srres_fail_errno(err, e, "%s: %s", path, strerror(e));
        /* Named by kind: EINVAL's "Invalid argument", which ffmpeg adds, tells nothing of a
         * /dev/zero or a shell's <(...), a pipe named /dev/fd/N. */
        return srres_fail_errno(err, e, "%s: not a regular file (%s)", path, file_kind(sb.st_mode));
    }
    if ((uint64_t)sb.st_size > MAX_FILE_BYTES) {
        close(fd);
        return srres_fail(err, SRRES_ERR_FORMAT, "%s: %lld bytes is too large for a model",
                          path, (long long)sb.st_size);
    }
    size_t n = (size_t)sb.st_size;
    /* A file that is no model (a video given for one) is refused from its first bytes, not
     * read whole first. */
    unsigned char start[9];
    size_t have = n < sizeof(start) ? n : sizeof(start);
    ssize_t read_start;
    while ((read_start = pread(fd, start, have, 0)) < 0 && errno == EINTR)
        ;
    if (read_start == (ssize_t)have) {
        srres_status st = check_start(start, have, n, path, err);
        if (st != SRRES_OK) {
            close(fd);
            return st;
        }
    }
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return srres_fail(err, SRRES_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, n);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = errno;
            free(buf);
            close(fd);
            return srres_fail_errno(err, r < 0 ? e : EIO, "%s: read failed: %s", path,
                                    r < 0 ? strerror(e) : "file shrank while reading");
        }
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *size = n;
    return SRRES_OK;
}

/* A checkpoint loads as the model its run would write: its weights, or their average if it
 * keeps one. */
srres_status srres_model_load_memory(const void *data, size_t size, const char *name,
                                     srres_model **model, srres_error *err)
{
    optimizer_tensors opt;
    srres_status st = model_file_parse(data, size, name ? name : "model", model, &opt, err);
    if (st == SRRES_OK && opt.avg)
        memcpy((*model)->params, opt.avg, sizeof(float) * (*model)->num_params);
    free(opt.m);
    free(opt.v);
    free(opt.avg);
    return st;
}

srres_status srres_model_load(const char *path, srres_model **model, srres_error *err)
{
    void *data;
    size_t size;
    *model = NULL;
    srres_status st = model_file_read_all(path, &data, &size, err);
    if (st == SRRES_OK)
        st = srres_model_load_memory(data, size, path, model, err);
    free(data);
    return st;
}

/* ---- Writing --------------------------------------------------------------------------- */

static int add_entry(json_t *root, const char *name, const char *dtype, int ndim,
                     const int *shape, size_t begin, size_t end)
{
    json_t *sh = json_array();
    int bad = !sh;
    for (int i = 0; i < ndim && !bad; i++)
        bad = json_array_append_new(sh, json_integer(shape[i]));
    if (bad) {
        json_decref(sh);
        return -1;
    }
    /* "o" takes sh over, also when the pack fails */
    json_t *e = json_pack("{s:s, s:o, s:[I, I]}", "dtype", dtype, "shape", sh, "data_offsets",
                          (json_int_t)begin, (json_int_t)end);
    return e ? json_object_set_new(root, name, e) : -1;
}

static srres_status encode_values(const float *src, size_t count, srres_dtype dtype,
                                  unsigned char *dst, const char *tensor, const char *path,
                                  srres_error *err)
{
    for (size_t i = 0; i < count; i++) {
        uint16_t h;
        int ok = dtype == SRRES_DTYPE_F32   ? isfinite(src[i])
                 : dtype == SRRES_DTYPE_F16 ? float_to_half(src[i], &h)
                                            : float_to_bf16(src[i], &h);
        if (!ok)
            return srres_fail(err, SRRES_ERR_INVALID,
                              "%s: tensor '%s' value %g at index %zu does not fit %s", path,
                              tensor, (double)src[i], i, dtype_name(dtype));
        if (dtype == SRRES_DTYPE_F32) {
            memcpy(dst + 4 * i, &src[i], 4);
            continue;
        }
        dst[2 * i] = (unsigned char)(h & 0xff);
        dst[2 * i + 1] = (unsigned char)(h >> 8);
    }
    return SRRES_OK;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes buf to fd (then syncs it, if asked) and closes it: 0, or the first failure's errno. */
static int write_and_close(int fd, const void *buf, size_t n, int sync)
{
    /* A write of nothing leaves no errno: EIO says it failed all the same. */
    int e = write_all(fd, buf, n) || (sync && fsync(fd)) ? (errno ? errno : EIO) : 0;
    if (close(fd) && !e)
        e = errno;
    return e;
}

/* A character device or a FIFO named as the file (/dev/null, a pipe to another program) is
 * written to, not replaced: renaming over it would put a regular file in its place. */
static srres_status write_in_place(const char *path, const unsigned char *bytes, size_t n,
                                   srres_error *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return srres_fail_errno(err, errno, "%s: cannot open: %s", path, strerror(errno));
    int e = write_and_close(fd, bytes, n, 0);
    return e ? srres_fail_errno(err, e, "%s: write failed: %s", path, strerror(e)) : SRRES_OK;
}

/* Removes the temporaries that saves of `path` killed before their rename left beside it,
 * half written, for a user to wonder whether one is a newer checkpoint: the names
 * write_atomically makes, PATH.tmp-PID-N with PATH's first `keep` bytes, of processes that
 * are gone. A live one's may be being written; one whose process cannot be asked (EPERM:
 * another user's) is kept too. A PID names a process of this host's PID namespace only: in
 * a folder shared with another machine or container, a live save's PID can look gone, so
 * a temporary is removed only when its lock can also be taken, which its writer holds until
 * it is renamed (write_atomically) and the kernel drops when the writer dies; on a file
 * system without locks, none is removed. Best effort: a save does not fail for it. */
static void remove_stale_temporaries(const char *path, size_t keep)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0, base_keep = keep - dir_len;
    if (!base_keep)
        return;
    char *dir = dir_len ? strndup(path, dir_len) : NULL;
    DIR *d = opendir(dir ? dir : ".");
    free(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *tail = e->d_name + base_keep + 5;
        if (strncmp(e->d_name, base, base_keep) || strncmp(e->d_name + base_keep, ".tmp-", 5))
            continue;
        /* PID and N in decimal digits alone, as written: nothing else is ours to remove. */
        long pid = 0;
        const char *q = tail;
        while (*q >= '0' && *q <= '9' && pid <= (INT_MAX - (*q - '0')) / 10)
            pid = pid * 10 + (*q++ - '0');
        if (q == tail || *q++ != '-' || !(*q >= '0' && *q <= '9'))
            continue;
        while (*q >= '0' && *q <= '9')
            q++;
        if (*q || pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        struct stat held, named;
        /* Still the file it locked (not one renamed into its name meanwhile). */
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &held) == 0 &&
            fstatat(dirfd(d), e->d_name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(named.st_mode) && held.st_ino == named.st_ino &&
            held.st_dev == named.st_dev)
            unlinkat(dirfd(d), e->d_name, 0);
        if (fd >= 0)
            close(fd);
    }
    closedir(d);
}

/* Writes `bytes` to `path` through a temporary file in the same directory, with the mode
 * fopen would leave: an existing file's own (a private checkpoint stays private), else 0666
 * less the umask (mkstemp's 0600 would hide a model from others). A symbolic link is
 * followed (the file it names is replaced, the link kept), a device or FIFO written in
 * place, any other kind of file refused. */
static srres_status write_atomically(const char *path, const unsigned char *bytes, size_t n,
                                     srres_error *err)
{
    struct stat sb;
    int exists = lstat(path, &sb) == 0;
    if (exists && !S_ISREG(sb.st_mode)) {
        if (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode))
            return write_in_place(path, bytes, n, err);
        if (S_ISDIR(sb.st_mode))
            return srres_fail_errno(err, EISDIR, "%s: not a regular file (a folder)", path);
        if (!S_ISLNK(sb.st_mode))
            return srres_fail(err, SRRES_ERR_IO, "%s: not a regular file", path);
        char *target = realpath(path, NULL); /* no link left in it: one level of recursion */
        if (!target)
            return srres_fail_errno(err, errno, "%s: cannot follow the link: %s", path,
                                    strerror(errno));
        srres_status st = write_atomically(target, bytes, n, err);
        free(target);
        return st;
    }
    /* The temporary name is the file's own plus ".tmp-PID-N", its last part cut short
     * where that suffix would take it past NAME_MAX: a name the folder takes must save. */
    const char *slash = strrchr(path, '/');
    size_t keep = strlen(path), base = strlen(slash ? slash + 1 : path);
    if (base > NAME_MAX - 32)
        keep -= base - (NAME_MAX - 32);
    remove_stale_temporaries(path, keep);
    size_t len = keep + 48;
    char *tmp = malloc(len);
    if (!tmp)
        return srres_fail(err, SRRES_ERR_NOMEM, "out of memory");
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
        snprintf(tmp, len, "%.*s.tmp-%ld-%d", (int)keep, path, (long)getpid(), attempt);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        srres_status st =
            srres_fail_errno(err, errno, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return st;
    }
    /* The lock tells another process's remove_stale_temporaries that this one is being
     * written; a duplicate of fd holds it past the close of writing, until the rename. A
     * file system without locks refuses it, and its saves go on without. */
    flock(fd, LOCK_EX | LOCK_NB);
    int lock = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    /* Permission bits only, not set-user-ID and the like. Its failure is not the save's: a
     * file system without modes (FAT) refuses it, and has none to keep. */
    if (exists)
        fchmod(fd, sb.st_mode & 0777);
    int e = write_and_close(fd, bytes, n, 1);
    if (e || rename(tmp, path)) {
        e = e ? e : errno;
        unlink(tmp);
    }
    if (lock >= 0)
        close(lock);
    free(tmp);
    return e ? srres_fail_errno(err, e, "%s: write failed: %s", path, strerror(e)) : SRRES_OK;
}

/* "%.9g" in the C locale `numeric`, as the reader takes it: in the caller's, a program that
 * set a locale whose decimal point is a comma wrote "0,9", which no other locale reads back. */
static void format_float(char *buf, size_t len, float v, locale_t numeric)
{
    locale_t caller = uselocale(numeric);
    snprintf(buf, len, "%.9g", (double)v);
    uselocale(caller);
}

srres_status model_file_write(const srres_model *m, srres_dtype dtype,
                              const optimizer_tensors *opt, const char *path, srres_error *err)
{
    const char *dt = dtype_name(dtype);
    size_t es = dtype == SRRES_DTYPE_F32 ? 4 : 2;
    json_t *root = json_object(), *meta = json_object();
    char num[32];
    int bad = !root || !meta;
    bad |= json_object_set_new(meta, "format", json_string("srresnet"));
    bad |= json_object_set_new(meta, "version", json_string("1"));
    snprintf(num, sizeof(num), "%d", m->cfg.scale);
    bad |= json_object_set_new(meta, "scale", json_string(num));
    snprintf(num, sizeof(num), "%d", m->cfg.blocks);
    bad |= json_object_set_new(meta, "blocks", json_string(num));
    snprintf(num, sizeof(num), "%d", m->cfg.channels);
    bad |= json_object_set_new(meta, "channels", json_string(num));
    /* BN is folded at load, so what is written is always the seed structure. */
    bad |= json_object_set_new(meta, "variant", json_string("seed"));
    bad |= json_object_set_new(
        meta, "image_skip",
        json_string(m->cfg.image_skip == SRRES_SKIP_NEAREST ? "nearest" : "none"));
    for (int i = 0; i < m->num_metadata; i++)
        bad |= json_object_set_new(meta, m->metadata[i].key, json_string(m->metadata[i].value));
    if (opt) {
        snprintf(num, sizeof(num), "%" PRId64, opt->step);
        bad |= json_object_set_new(meta, "optimizer.step", json_string(num));
        const char *keys[] = {"optimizer.beta1", "optimizer.beta2", "optimizer.eps",
                              "optimizer.avg_decay"};
        const float vals[] = {opt->beta1, opt->beta2, opt->eps, opt->avg_decay};
        /* One C locale for the save's floats; the decay only where an average is kept. */
        locale_t numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
        bad |= !numeric;
        for (int i = 0; i < (opt->avg ? 4 : 3) && numeric; i++) {
            format_float(num, sizeof(num), vals[i], numeric);
            bad |= json_object_set_new(meta, keys[i], json_string(num));
        }
        if (numeric)
            freelocale(numeric);
    }
    bad |= json_object_set_new(root, "__metadata__", meta);
    size_t offset = 0;
    for (int i = 0; i < m->num_tensors; i++) {
        const model_tensor *t = &m->tensors[i];
        bad |= add_entry(root, t->name, dt, t->ndim, t->shape, offset, offset + t->count * es);
        offset += t->count * es;
    }
    /* A compact checkpoint (F16 weights) keeps Adam's moments in BF16: v is a squared
     * gradient, far below F16's range. */
    srres_dtype mdt = dtype == SRRES_DTYPE_F32 ? SRRES_DTYPE_F32 : SRRES_DTYPE_BF16;
    size_t moment_bytes = dtype_size(dtype_name(mdt)) * m->num_params;
    size_t avg_bytes = es * m->num_params;
    int np = (int)m->num_params;
    if (opt) {
        const char *mt = dtype_name(mdt);
        bad |= add_entry(root, "optimizer.m", mt, 1, &np, offset, offset + moment_bytes);
        offset += moment_bytes;
        bad |= add_entry(root, "optimizer.v", mt, 1, &np, offset, offset + moment_bytes);
        offset += moment_bytes;
    }
    if (opt && opt->avg) {
        bad |= add_entry(root, "optimizer.avg", dt, 1, &np, offset, offset + avg_bytes);
        offset += avg_bytes;
    }
    char *header = bad ? NULL : json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!header)
        return srres_fail(err, SRRES_ERR_NOMEM, "%s: out of memory building the header", path);
    size_t hlen = strlen(header);
    size_t padded = (hlen + 7) & ~(size_t)7; /* the data section starts 8-byte aligned */
    size_t total = 8 + padded + offset;
    /* What no load takes back is not written: a checkpoint saved for days of training, past
     * the limits model_file_parse and model_file_read_all set, was lost on resuming. */
    if (padded > MAX_HEADER_BYTES || total > MAX_FILE_BYTES) {
        free(header);
        if (padded > MAX_HEADER_BYTES)
            return srres_fail(err, SRRES_ERR_INVALID,
                              "%s: a header of %zu bytes (the metadata) is more than a model "
                              "file's %u may be",
                              path, padded, MAX_HEADER_BYTES);
        return srres_fail(err, SRRES_ERR_INVALID,
                          "%s: %zu bytes is more than a model file's %zu may be", path, total,
                          MAX_FILE_BYTES);
    }
    unsigned char *buf = malloc(total);
    if (!buf) {
        free(header);
        return srres_fail(err, SRRES_ERR_NOMEM, "%s: out of memory", path);
    }
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(buf + 8, header, hlen);
    memset(buf + 8 + hlen, ' ', padded - hlen);
    free(header);
    unsigned char *data = buf + 8 + padded;
    srres_status st = SRRES_OK;
    for (int i = 0; i < m->num_tensors && st == SRRES_OK; i++) {
        const model_tensor *t = &m->tensors[i];
        st = encode_values(t->data, t->count, dtype, data, t->name, path, err);
        data += t->count * es;
    }
    if (opt && st == SRRES_OK)
        st = encode_values(opt->m, m->num_params, mdt, data, "optimizer.m", path, err);
    if (opt && st == SRRES_OK)
        st = encode_values(opt->v, m->num_params, mdt, data + moment_bytes, "optimizer.v", path,
                           err);
    if (opt && opt->avg && st == SRRES_OK)
        st = encode_values(opt->avg, m->num_params, dtype, data + 2 * moment_bytes,
                           "optimizer.avg", path, err);
    if (st == SRRES_OK)
        st = write_atomically(path, buf, total, err);
    free(buf);
    return st;
}

srres_status srres_model_save(const srres_model *model, const char *path, srres_dtype dtype,
                              srres_error *err)
{
    if (dtype != SRRES_DTYPE_F32 && dtype != SRRES_DTYPE_F16 && dtype != SRRES_DTYPE_BF16)
        return srres_fail(err, SRRES_ERR_INVALID, "unknown dtype %d", (int)dtype);
    return model_file_write(model, dtype, NULL, path, err);
}
