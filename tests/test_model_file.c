/* test_model_file.c: the safetensors model file. Files are built in memory here by a small
 * writer of the format (8-byte little-endian header length, the JSON header written by hand,
 * raw little-endian data), so every field can be made wrong on its own. Checked: valid F32,
 * F16 and BF16 files load their exact values; srres_model_save and load round-trip in all
 * three dtypes; srgan files fold BatchNorm; and every malformed file is refused with a
 * message naming the field or tensor at fault. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model.h"
#include "test_util.h"

/* ---- A safetensors writer ----------------------------------------------------------------- */

#define MAX_ENTRIES 256

typedef struct mfile {
    char *header; /* the JSON text without its closing brace */
    size_t hlen, hcap;
    unsigned char *data;
    size_t dlen, dcap;
    int n;
    char names[MAX_ENTRIES][64]; /* where each tensor's bytes went, for poking */
    size_t begin[MAX_ENTRIES];
} mfile;

static void hprintf(mfile *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void hprintf(mfile *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (f->hlen + (size_t)need + 1 > f->hcap) {
        f->hcap = (f->hlen + (size_t)need + 1) * 2;
        f->header = realloc(f->header, f->hcap);
        assert_non_null(f->header);
    }
    va_start(ap, fmt);
    vsnprintf(f->header + f->hlen, (size_t)need + 1, fmt, ap);
    va_end(ap);
    f->hlen += (size_t)need;
}

static void dappend(mfile *f, const void *p, size_t n)
{
    if (!n)
        return;
    if (f->dlen + n > f->dcap) {
        f->dcap = (f->dlen + n) * 2 + 16;
        f->data = realloc(f->data, f->dcap);
        assert_non_null(f->data);
    }
    memcpy(f->data + f->dlen, p, n);
    f->dlen += n;
}

/* Starts a file whose __metadata__ is the given JSON text (NULL: no metadata at all). */
static void mf_begin(mfile *f, const char *meta)
{
    *f = (mfile){0};
    if (meta)
        hprintf(f, "{\"__metadata__\":%s", meta);
    else
        hprintf(f, "{\"comment\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
}

static void mf_free(mfile *f)
{
    free(f->header);
    free(f->data);
}

/* Appends an entry whose bytes are given raw; `shape` is JSON text such as "[2,3]". */
static void mf_raw(mfile *f, const char *name, const char *dtype, const char *shape,
                   const void *bytes, size_t n)
{
    hprintf(f, ",\"%s\":{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":[%zu,%zu]}", name, dtype,
            shape, f->dlen, f->dlen + n);
    assert_true(f->n < MAX_ENTRIES);
    snprintf(f->names[f->n], sizeof(f->names[0]), "%s", name);
    f->begin[f->n++] = f->dlen;
    dappend(f, bytes, n);
}

/* Half precision bits of a value that half represents exactly (the test's own encoder). */
static uint16_t exact_half(float v)
{
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    double a = fabs((double)v);
    if (a == 0)
        return sign;
    int e;
    double m = frexp(a, &e); /* a = m 2^e, m in [0.5, 1) */
    int E = e + 14;          /* half: a = (1 + f / 1024) 2^(E - 15) */
    double frac = E >= 1 ? (2 * m - 1) * 1024 : a / ldexp(1, -24);
    assert_true(E <= 30);
    assert_true(frac == floor(frac)); /* exactly representable */
    return (uint16_t)(sign | (E >= 1 ? E << 10 : 0) | (uint16_t)frac);
}

static uint16_t exact_bf16(float v)
{
    uint32_t bits;
    memcpy(&bits, &v, 4);
    assert_true((bits & 0xffff) == 0);
    return (uint16_t)(bits >> 16);
}

/* Appends a tensor of floats stored in `dtype` (values must be exact in it). */
static void mf_tensor(mfile *f, const char *name, const char *dtype, int ndim, const int *shape,
                      const float *v)
{
    char sh[64] = "[";
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        snprintf(sh + strlen(sh), sizeof(sh) - strlen(sh), "%s%d", i ? "," : "", shape[i]);
        count *= (size_t)shape[i];
    }
    strcat(sh, "]");
    size_t es = strcmp(dtype, "F32") ? 2 : 4;
    unsigned char *bytes = malloc(count * es + 1);
    assert_non_null(bytes);
    for (size_t i = 0; i < count; i++) {
        if (es == 4) {
            memcpy(bytes + 4 * i, &v[i], 4);
            continue;
        }
        uint16_t h = strcmp(dtype, "F16") ? exact_bf16(v[i]) : exact_half(v[i]);
        bytes[2 * i] = (unsigned char)(h & 0xff);
        bytes[2 * i + 1] = (unsigned char)(h >> 8);
    }
    mf_raw(f, name, dtype, sh, bytes, count * es);
    free(bytes);
}

/* The whole file: length, header (closed, then `pad` spaces), data. */
static unsigned char *mf_bytes_padded(const mfile *f, int pad, size_t *size)
{
    size_t hl = f->hlen + 1 + (size_t)pad;
    *size = 8 + hl + f->dlen;
    unsigned char *b = malloc(*size);
    assert_non_null(b);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, f->header, f->hlen);
    b[8 + f->hlen] = '}';
    memset(b + 8 + f->hlen + 1, ' ', (size_t)pad);
    if (f->dlen)
        memcpy(b + 8 + hl, f->data, f->dlen);
    return b;
}

static unsigned char *mf_bytes(const mfile *f, size_t *size)
{
    return mf_bytes_padded(f, 0, size);
}

/* Replaces the first `old` in the header by `new` (which must be there). */
static void mf_replace(mfile *f, const char *old, const char *new)
{
    char *at = strstr(f->header, old);
    if (!at)
        fail_msg("'%s' is not in the header", old);
    size_t o = strlen(old), n = strlen(new), pos = (size_t)(at - f->header);
    size_t len = f->hlen - o + n;
    char *h = malloc(len + 1);
    assert_non_null(h);
    memcpy(h, f->header, pos);
    memcpy(h + pos, new, n);
    memcpy(h + pos + n, f->header + pos + o, f->hlen - pos - o + 1);
    free(f->header);
    f->header = h;
    f->hlen = len;
    f->hcap = len + 1;
}

static size_t tensor_begin(const mfile *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->names[i], name))
            return f->begin[i];
    fail_msg("no tensor '%s' in the file", name);
    return 0;
}

static void mf_poke_f32(mfile *f, const char *name, size_t index, float v)
{
    memcpy(f->data + tensor_begin(f, name) + 4 * index, &v, 4);
}

static void mf_poke_u16(mfile *f, const char *name, size_t index, uint16_t bits)
{
    size_t at = tensor_begin(f, name) + 2 * index;
    f->data[at] = (unsigned char)(bits & 0xff);
    f->data[at + 1] = (unsigned char)(bits >> 8);
}

/* ---- Model files -------------------------------------------------------------------------- */

typedef struct mspec {
    int scale, blocks, channels;
    const char *variant;    /* "seed" or "srgan" */
    const char *image_skip; /* NULL: the key is left out */
    const char *dtype;      /* "F32", "F16", "BF16" */
    int per_channel;        /* PReLU slopes per channel (else one per layer) */
    int srgan_bias;         /* srgan: convs before BN have a bias */
    int srgan_prelu2;       /* srgan: body.i.prelu2 tensors are present */
    int srgan_counters;     /* srgan: num_batches_tracked tensors (I64 scalars) */
    const char *omit;       /* a tensor to leave out */
    const char *extra_meta; /* appended inside __metadata__, starting with a comma */
    const char *one_slope;  /* a PReLU with one slope whatever per_channel says */
} mspec;

static const mspec SMALL = {2, 1, 2, "seed", "none", "F32", 1, 0, 0, 0, NULL, "", NULL};

/* Deterministic values that F16 and BF16 both hold exactly: k / 16 with |k| <= 20. */
static uint32_t name_hash(const char *s)
{
    uint32_t h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

static float value_of(const char *name, size_t i)
{
    return (float)((int)((name_hash(name) + 13 * i) % 41) - 20) / 16.0f;
}

/* BatchNorm statistics: gamma 0.5..0.875, var 0.25..0.75 (positive), others value_of. */
static float bn_value(const char *name, size_t i)
{
    if (strstr(name, "running_var"))
        return 0.25f + (float)((name_hash(name) + i) % 5) / 8.0f;
    if (strstr(name, ".weight"))
        return 0.5f + (float)((name_hash(name) + i) % 4) / 8.0f;
    return value_of(name, i);
}

static void add_values(mfile *f, const mspec *s, const char *name, int ndim, const int *shape,
                       int bn)
{
    if (s->omit && !strcmp(s->omit, name))
        return;
    size_t count = 1;
    for (int i = 0; i < ndim; i++)
        count *= (size_t)shape[i];
    float *v = malloc(count * sizeof(float));
    assert_non_null(v);
    for (size_t i = 0; i < count; i++)
        v[i] = bn ? bn_value(name, i) : value_of(name, i);
    mf_tensor(f, name, s->dtype, ndim, shape, v);
    free(v);
}

static void add_conv(mfile *f, const mspec *s, const char *prefix, int cin, int cout, int k,
                     int bias)
{
    char name[64];
    int shape[4] = {cout, cin, k, k};
    snprintf(name, sizeof(name), "%s.weight", prefix);
    add_values(f, s, name, 4, shape, 0);
    snprintf(name, sizeof(name), "%s.bias", prefix);
    if (bias)
        add_values(f, s, name, 1, &cout, 0);
}

static void add_prelu(mfile *f, const mspec *s, const char *name)
{
    int one = s->one_slope && !strcmp(name, s->one_slope);
    int n = s->per_channel && !one ? s->channels : 1;
    add_values(f, s, name, 1, &n, 0);
}

static void add_bn(mfile *f, const mspec *s, const char *prefix)
{
    static const char *const fields[] = {"weight", "bias", "running_mean", "running_var"};
    char name[64];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof(name), "%s.%s", prefix, fields[i]);
        add_values(f, s, name, 1, &s->channels, 1);
    }
    if (s->srgan_counters) {
        int64_t count = 12345;
        snprintf(name, sizeof(name), "%s.num_batches_tracked", prefix);
        mf_raw(f, name, "I64", "[]", &count, 8);
    }
}

/* Writes a whole model file as PyTorch's srresnet_torch.py would. */
static void mf_model(mfile *f, const mspec *s)
{
    char meta[512], name[64];
    int srgan = !strcmp(s->variant, "srgan"), C = s->channels;
    snprintf(meta, sizeof(meta),
             "{\"format\":\"srresnet\",\"version\":\"1\",\"scale\":\"%d\",\"blocks\":\"%d\","
             "\"channels\":\"%d\",\"variant\":\"%s\"%s%s%s%s}",
             s->scale, s->blocks, C, s->variant, s->image_skip ? ",\"image_skip\":\"" : "",
             s->image_skip ? s->image_skip : "", s->image_skip ? "\"" : "", s->extra_meta);
    mf_begin(f, meta);
    add_conv(f, s, "head", 3, C, 9, 1);
    add_prelu(f, s, "head.prelu");
    for (int i = 0; i < s->blocks; i++) {
        snprintf(name, sizeof(name), "body.%d.conv1", i);
        add_conv(f, s, name, C, C, 3, !srgan || s->srgan_bias);
        if (srgan) {
            snprintf(name, sizeof(name), "body.%d.bn1", i);
            add_bn(f, s, name);
        }
        snprintf(name, sizeof(name), "body.%d.prelu1", i);
        add_prelu(f, s, name);
        snprintf(name, sizeof(name), "body.%d.conv2", i);
        add_conv(f, s, name, C, C, 3, !srgan || s->srgan_bias);
        if (srgan) {
            snprintf(name, sizeof(name), "body.%d.bn2", i);
            add_bn(f, s, name);
        }
        if (!srgan || s->srgan_prelu2) {
            snprintf(name, sizeof(name), "body.%d.prelu2", i);
            add_prelu(f, s, name);
        }
    }
    add_conv(f, s, "trunk", C, C, 3, 1);
    if (srgan)
        add_bn(f, s, "trunk_bn");
    int r = s->scale == 3 ? 3 : 2, stages = s->scale == 8 ? 3 : s->scale == 4 ? 2 : 1;
    for (int j = 0; j < stages; j++) {
        snprintf(name, sizeof(name), "up.%d", j);
        add_conv(f, s, name, C, C * r * r, 3, 1);
        snprintf(name, sizeof(name), "up.%d.prelu", j);
        add_prelu(f, s, name);
    }
    add_conv(f, s, "tail", C, 3, 9, 1);
}

/* ---- Loading helpers ---------------------------------------------------------------------- */

static srres_model *load_ok(const mfile *f)
{
    size_t size;
    unsigned char *b = mf_bytes(f, &size);
    srres_model *m;
    srres_error err;
    if (srres_model_load_memory(b, size, "test.safetensors", &m, &err) != SRRES_OK)
        fail_msg("expected the file to load: %s", err.message);
    free(b);
    return m;
}

/* Loads bytes that must be refused as malformed, with a message holding `a` (and `b`). */
static void expect_refused_bytes(const void *bytes, size_t size, const char *a, const char *b)
{
    srres_model *m = (srres_model *)1;
    srres_error err = {"(no message)", 0};
    srres_status st = srres_model_load_memory(bytes, size, "bad.safetensors", &m, &err);
    if (st != SRRES_ERR_FORMAT || !strstr(err.message, a) || (b && !strstr(err.message, b)) ||
        !strstr(err.message, "bad.safetensors"))
        fail_msg("status %d (%s), message \"%s\"; expected a format error naming %s%s%s", (int)st,
                 srres_status_string(st), err.message, a, b ? " and " : "", b ? b : "");
    assert_null(m);
}

static void expect_refused(const mfile *f, const char *a, const char *b)
{
    size_t size;
    unsigned char *bytes = mf_bytes(f, &size);
    expect_refused_bytes(bytes, size, a, b);
    free(bytes);
}

/* A small valid file with one edit of its header. */
static void expect_edit_refused(const char *old, const char *new, const char *a, const char *b)
{
    mfile f;
    mf_model(&f, &SMALL);
    mf_replace(&f, old, new);
    expect_refused(&f, a, b);
    mf_free(&f);
}

static void expect_spec_refused(const mspec *s, const char *a, const char *b)
{
    mfile f;
    mf_model(&f, s);
    expect_refused(&f, a, b);
    mf_free(&f);
}

/* Every tensor of a seed model holds value_of(name, i). */
static void check_values(const srres_model *m)
{
    for (int t = 0; t < m->num_tensors; t++) {
        const model_tensor *tensor = &m->tensors[t];
        for (size_t i = 0; i < tensor->count; i++)
            if (tensor->data[i] != value_of(tensor->name, i))
                fail_msg("%s[%zu] is %g, the file holds %g", tensor->name, i,
                         (double)tensor->data[i], (double)value_of(tensor->name, i));
    }
}

/* ---- Valid files -------------------------------------------------------------------------- */

static void check_dtype_loads_exactly(const char *dtype)
{
    mspec s = SMALL;
    s.dtype = dtype;
    mfile f;
    mf_model(&f, &s);
    srres_model *m = load_ok(&f);
    const srres_config *c = srres_model_config(m);
    assert_int_equal(c->scale, 2);
    assert_int_equal(c->blocks, 1);
    assert_int_equal(c->channels, 2);
    assert_int_equal(c->image_skip, SRRES_SKIP_NONE);
    assert_int_equal(srres_model_variant(m), SRRES_VARIANT_SEED);
    check_values(m);
    srres_model_free(m);
    mf_free(&f);
}

static void test_f32_file_loads_exact_values(void **state)
{
    check_dtype_loads_exactly("F32");
}

static void test_f16_file_loads_exact_values(void **state)
{
    check_dtype_loads_exactly("F16");
}

static void test_bf16_file_loads_exact_values(void **state)
{
    check_dtype_loads_exactly("BF16");
}

/* Half-precision corner values decode to the exact floats, sign of zero included. */
static void test_f16_special_values_decode_exactly(void **state)
{
    static const struct {
        uint16_t bits;
        float value;
    } table[] = {
        {0x0000, 0.0f},       {0x8000, -0.0f},       {0x0001, 0x1p-24f}, /* smallest subnormal */
        {0x03ff, 0x3ffp-24f},                                            /* largest subnormal */
        {0x0400, 0x1p-14f},                                              /* smallest normal */
        {0x3c00, 1.0f},       {0xc000, -2.0f},       {0x3555, 0x1.554p-2f},
        {0x7bff, 65504.0f}, /* largest */
        {0xfbff, -65504.0f},  {0x8201, -0x201p-24f},
    };
    int n = (int)(sizeof(table) / sizeof(table[0]));
    mfile f;
    mf_model(&f, &(mspec){2, 0, 1, "seed", NULL, "F16", 0, 0, 0, 0, NULL, "", NULL});
    for (int i = 0; i < 3 * 81; i++)
        mf_poke_u16(&f, "head.weight", (size_t)i, table[i % n].bits);
    srres_model *m = load_ok(&f);
    for (int i = 0; i < 3 * 81; i++) {
        float got = m->head.weight[i], want = table[i % n].value;
        if (memcmp(&got, &want, 4))
            fail_msg("F16 0x%04x decoded as %a, not %a", table[i % n].bits, (double)got,
                     (double)want);
    }
    srres_model_free(m);
    mf_free(&f);
}

static void test_bf16_special_values_decode_exactly(void **state)
{
    static const struct {
        uint16_t bits;
        float value;
    } table[] = {
        {0x0000, 0.0f},        {0x8000, -0.0f},     {0x3f80, 1.0f},
        {0xc040, -3.0f},       {0x0001, 0x1p-133f}, /* subnormal */
        {0x7f7f, 0x1.fep127f},                      /* largest */
        {0x3eaa, 0x1.54p-2f},
    };
    int n = (int)(sizeof(table) / sizeof(table[0]));
    mfile f;
    mf_model(&f, &(mspec){2, 0, 1, "seed", NULL, "BF16", 0, 0, 0, 0, NULL, "", NULL});
    for (int i = 0; i < 3 * 81; i++)
        mf_poke_u16(&f, "head.weight", (size_t)i, table[i % n].bits);
    srres_model *m = load_ok(&f);
    for (int i = 0; i < 3 * 81; i++) {
        float got = m->head.weight[i], want = table[i % n].value;
        if (memcmp(&got, &want, 4))
            fail_msg("BF16 0x%04x decoded as %a, not %a", table[i % n].bits, (double)got,
                     (double)want);
    }
    srres_model_free(m);
    mf_free(&f);
}

static void test_every_scale_and_structure_loads(void **state)
{
    static const int scales[] = {2, 3, 4, 8}, stages[] = {1, 1, 2, 3};
    for (int i = 0; i < 4; i++)
        for (int blocks = 0; blocks <= 2; blocks++) {
            mspec s = SMALL;
            s.scale = scales[i];
            s.blocks = blocks;
            s.channels = 1 + blocks;
            s.per_channel = blocks % 2;
            s.dtype = blocks == 1 ? "BF16" : "F16";
            mfile f;
            mf_model(&f, &s);
            srres_model *m = load_ok(&f);
            assert_int_equal(m->cfg.scale, scales[i]);
            assert_int_equal(m->up_stages, stages[i]);
            assert_int_equal(m->up_factor, scales[i] == 3 ? 3 : 2);
            assert_int_equal(m->cfg.blocks, blocks);
            check_values(m);
            srres_model_free(m);
            mf_free(&f);
        }
}

/* A mix of one slope and one per channel in the same file. */
static void test_mixed_prelu_shapes_load(void **state)
{
    mspec s = SMALL; /* channels 2, per channel */
    s.one_slope = "body.0.prelu2";
    mfile f;
    mf_model(&f, &s);
    srres_model *m = load_ok(&f);
    assert_int_equal(m->body[0].prelu2.n, 1);
    assert_int_equal(m->body[0].prelu1.n, 2);
    assert_int_equal(m->head_prelu.n, 2);
    assert_true(m->body[0].prelu2.slope[0] == value_of("body.0.prelu2", 0));
    srres_model_free(m);
    mf_free(&f);
}

static void test_image_skip_nearest_and_default_none(void **state)
{
    mspec s = SMALL;
    s.image_skip = "nearest";
    mfile f;
    mf_model(&f, &s);
    srres_model *m = load_ok(&f);
    assert_int_equal(srres_model_config(m)->image_skip, SRRES_SKIP_NEAREST);
    srres_model_free(m);
    mf_free(&f);
    s.image_skip = NULL;
    mf_model(&f, &s);
    m = load_ok(&f);
    assert_int_equal(srres_model_config(m)->image_skip, SRRES_SKIP_NONE);
    srres_model_free(m);
    mf_free(&f);
}

static void test_user_metadata_is_kept(void **state)
{
    mspec s = SMALL;
    s.extra_meta = ",\"description\":\"a test\",\"trained_on\":\"\\u00e9t\\u00e9\"";
    mfile f;
    mf_model(&f, &s);
    srres_model *m = load_ok(&f);
    assert_string_equal(srres_model_get_metadata(m, "description"), "a test");
    assert_string_equal(srres_model_get_metadata(m, "trained_on"), "\xc3\xa9t\xc3\xa9");
    assert_null(srres_model_get_metadata(m, "scale")); /* reserved keys are not user metadata */
    assert_null(srres_model_get_metadata(m, "format"));
    srres_model_free(m);
    mf_free(&f);
}

/* Entries may come in any order in the header, and the header may end in spaces (the
 * reference writer pads it to a multiple of 8 bytes). */
static void test_entry_order_and_padding_do_not_matter(void **state)
{
    mfile f;
    mf_model(&f, &SMALL);
    /* Move head.weight's entry (the first) to the end of the header. */
    char *at = strstr(f.header, ",\"head.weight\"");
    assert_non_null(at);
    char *entry = strndup(at, (size_t)(strstr(at, "]}") + 2 - at));
    assert_non_null(entry);
    mf_replace(&f, entry, "");
    hprintf(&f, "%s", entry);
    free(entry);
    size_t size;
    unsigned char *b = mf_bytes_padded(&f, 5, &size);
    srres_model *m;
    srres_error err;
    if (srres_model_load_memory(b, size, "reordered", &m, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    check_values(m);
    srres_model_free(m);
    free(b);
    mf_free(&f);
}

/* ---- Saving -------------------------------------------------------------------------------- */

static srres_model *random_model(uint64_t seed)
{
    srres_config cfg = {4, 2, 3, SRRES_SKIP_NEAREST, 1};
    srres_model *m;
    srres_error err;
    assert_int_equal(srres_model_create(&cfg, &m, &err), SRRES_OK);
    srres_model_init_random(m, seed);
    assert_int_equal(srres_model_set_metadata(m, "description", "round trip", &err), SRRES_OK);
    return m;
}

static srres_model *save_and_load(const srres_model *m, srres_dtype dtype, const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    srres_error err;
    if (srres_model_save(m, path, dtype, &err) != SRRES_OK)
        fail_msg("save: %s", err.message);
    srres_model *back;
    if (srres_model_load(path, &back, &err) != SRRES_OK)
        fail_msg("load: %s", err.message);
    const srres_config *a = srres_model_config(m), *b = srres_model_config(back);
    assert_int_equal(a->scale, b->scale);
    assert_int_equal(a->blocks, b->blocks);
    assert_int_equal(a->channels, b->channels);
    assert_int_equal(a->image_skip, b->image_skip);
    assert_int_equal(srres_model_num_params(back), srres_model_num_params(m));
    assert_string_equal(srres_model_get_metadata(back, "description"), "round trip");
    return back;
}

static void test_save_load_f32_is_exact(void **state)
{
    srres_model *m = random_model(1), *back = save_and_load(m, SRRES_DTYPE_F32, "f32");
    assert_memory_equal(srres_model_params(m), srres_model_params(back),
                        srres_model_num_params(m) * sizeof(float));
    srres_model_free(m);
    srres_model_free(back);
}

/* Models line up value for value only when every tensor does: two with as many parameters
 * but their per-channel PReLU at different layers do not. */
static void test_same_layout_compares_every_tensor(void **state)
{
    srres_config cfg = {2, 1, 4, SRRES_SKIP_NEAREST, 0};
    int n = model_num_prelus(&cfg);
    int first[8], second[8];
    assert_true(n >= 2 && n <= 8);
    for (int i = 0; i < n; i++)
        first[i] = second[i] = 1;
    first[0] = second[1] = cfg.channels;
    srres_model *a, *b, *a2, *plain;
    srres_error err;
    assert_int_equal(model_alloc(&cfg, first, &a, &err), SRRES_OK);
    assert_int_equal(model_alloc(&cfg, second, &b, &err), SRRES_OK);
    assert_int_equal(model_alloc(&cfg, first, &a2, &err), SRRES_OK);
    assert_int_equal(srres_model_num_params(a), srres_model_num_params(b));
    assert_true(srres_model_same_layout(a, a2));
    assert_false(srres_model_same_layout(a, b));
    cfg.image_skip = SRRES_SKIP_NONE;
    assert_int_equal(model_alloc(&cfg, first, &plain, &err), SRRES_OK);
    assert_false(srres_model_same_layout(a, plain));
    srres_model_free(a);
    srres_model_free(b);
    srres_model_free(a2);
    srres_model_free(plain);
}

/* The header is JSON: text that is not UTF-8 is refused when set, naming the key, instead of
 * vanishing from the saved file; the key is kept as it was. */
static void test_metadata_must_be_utf8(void **state)
{
    srres_model *m = random_model(2);
    srres_error err;
    assert_int_equal(srres_model_set_metadata(m, "trained_on", "caf\xe9", &err),
                     SRRES_ERR_INVALID);
    assert_non_null(strstr(err.message, "'trained_on'"));
    assert_non_null(strstr(err.message, "UTF-8"));
    assert_null(srres_model_get_metadata(m, "trained_on"));
    assert_int_equal(srres_model_set_metadata(m, "description", "\xc3", &err),
                     SRRES_ERR_INVALID);
    assert_int_equal(srres_model_set_metadata(m, "\xff", "x", &err), SRRES_ERR_INVALID);
    assert_non_null(strstr(err.message, "key"));
    assert_int_equal(srres_model_set_metadata(m, "trained_on", "caf\xc3\xa9", &err), SRRES_OK);
    srres_model *back = save_and_load(m, SRRES_DTYPE_F16, "utf8");
    assert_string_equal(srres_model_get_metadata(back, "trained_on"), "caf\xc3\xa9");
    srres_model_free(m);
    srres_model_free(back);
}

/* Stored to the nearest value (within half a unit in the last place, subnormals included),
 * and saving what was loaded gives the same values again. */
static void check_rounded_round_trip(srres_dtype dtype, int mantissa_bits, double min_step)
{
    srres_model *m = random_model(2);
    float *p = srres_model_params(m);
    size_t n = srres_model_num_params(m);
    p[0] = 3e-6f; /* below F16's normal range */
    p[1] = -1e-7f;
    srres_model *back = save_and_load(m, dtype, "rounded"), *again;
    const float *q = srres_model_params(back);
    for (size_t i = 0; i < n; i++) {
        double ulp = fmax(ldexp(1.0, ilogb(fmax(fabs(p[i]), 1e-300)) - mantissa_bits), min_step);
        if (!(fabs(q[i] - p[i]) <= ulp / 2))
            fail_msg("parameter %zu: %a stored as %a", i, (double)p[i], (double)q[i]);
    }
    again = save_and_load(back, dtype, "rounded-again");
    assert_memory_equal(q, srres_model_params(again), n * sizeof(float));
    srres_model_free(m);
    srres_model_free(back);
    srres_model_free(again);
}

static void test_save_load_f16_rounds_to_nearest(void **state)
{
    check_rounded_round_trip(SRRES_DTYPE_F16, 10, 0x1p-24);
}

static void test_save_load_bf16_rounds_to_nearest(void **state)
{
    check_rounded_round_trip(SRRES_DTYPE_BF16, 7, 0x1p-133);
}

/* Values halfway between two neighbours go to the even one, normal and subnormal alike. */
static void check_ties_to_even(srres_dtype dtype, const float (*ties)[2], int n)
{
    srres_model *m = random_model(8);
    for (int i = 0; i < n; i++)
        m->head.bias[i] = ties[i][0];
    srres_model *back = save_and_load(m, dtype, "ties");
    for (int i = 0; i < n; i++)
        if (back->head.bias[i] != ties[i][1])
            fail_msg("%a stored as %a, not %a", (double)ties[i][0], (double)back->head.bias[i],
                     (double)ties[i][1]);
    srres_model_free(m);
    srres_model_free(back);
}

static void test_save_f16_rounds_ties_to_even(void **state)
{
    static const float ties[][2] = {
        {1.0f + 0x1p-11f, 1.0f},           /* down to the even 1.0 */
        {1.0f + 0x3p-11f, 1.0f + 0x1p-9f}, /* up to the even 1 + 2^-9 */
        {0x5p-25f, 0x2p-24f},              /* subnormal 2.5 ulp: down to 2 */
        {-0x7p-25f, -0x4p-24f},            /* subnormal 3.5 ulp: up to 4 */
        {0x1p-25f, 0.0f},                  /* half the smallest subnormal: to zero */
    };
    check_ties_to_even(SRRES_DTYPE_F16, ties, 5);
}

static void test_save_bf16_rounds_ties_to_even(void **state)
{
    static const float ties[][2] = {
        {1.0f + 0x1p-8f, 1.0f},
        {1.0f + 0x3p-8f, 1.0f + 0x1p-6f},
        {-(2.0f + 0x1p-7f), -2.0f},
    };
    check_ties_to_even(SRRES_DTYPE_BF16, ties, 3);
}

/* Values every dtype holds come back exactly from every dtype. */
static void test_save_load_exact_values_in_every_dtype(void **state)
{
    for (int d = SRRES_DTYPE_F32; d <= SRRES_DTYPE_BF16; d++) {
        srres_model *m = random_model(3);
        float *p = srres_model_params(m);
        for (size_t i = 0; i < srres_model_num_params(m); i++)
            p[i] = (float)((int)(i % 41) - 20) / 16.0f;
        srres_model *back = save_and_load(m, (srres_dtype)d, "exact");
        assert_memory_equal(p, srres_model_params(back), srres_model_num_params(m) * sizeof(float));
        srres_model_free(m);
        srres_model_free(back);
    }
}

static void expect_save_refused(srres_model *m, srres_dtype dtype, const char *tensor)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/refused-%d", test_tmpdir(), (int)dtype);
    srres_error err = {"(no message)", 0};
    srres_status st = srres_model_save(m, path, dtype, &err);
    if (st != SRRES_ERR_INVALID || !strstr(err.message, tensor))
        fail_msg("status %d, message \"%s\"; expected a refusal naming %s", (int)st, err.message,
                 tensor);
    assert_int_equal(access(path, F_OK), -1); /* nothing left behind */
}

static void test_save_f16_overflow_names_the_tensor(void **state)
{
    srres_model *m = random_model(4);
    m->tail.bias[1] = 65519.0f; /* rounds to 65504: fits */
    char path[128];
    snprintf(path, sizeof(path), "%s/max-f16", test_tmpdir());
    srres_error err;
    assert_int_equal(srres_model_save(m, path, SRRES_DTYPE_F16, &err), SRRES_OK);
    m->tail.bias[1] = 65520.0f; /* rounds to infinity */
    expect_save_refused(m, SRRES_DTYPE_F16, "'tail.bias'");
    m->tail.bias[1] = 0;
    m->body[1].conv2.weight[5] = -1e5f;
    expect_save_refused(m, SRRES_DTYPE_F16, "'body.1.conv2.weight'");
    srres_model_free(m);
}

static void test_save_bf16_refuses_values_beyond_its_range(void **state)
{
    srres_model *m = random_model(5);
    m->head.bias[0] = 3.4e38f; /* rounds up past BF16's largest value */
    expect_save_refused(m, SRRES_DTYPE_BF16, "'head.bias'");
    srres_model_free(m);
}

/* The loader refuses non-finite weights, so the writer must not write them: a file the
 * library cannot read back would be the result. */
static void test_save_refuses_non_finite_values_in_every_dtype(void **state)
{
    for (int d = SRRES_DTYPE_F32; d <= SRRES_DTYPE_BF16; d++) {
        srres_model *m = random_model(6);
        m->up[1].weight[3] = NAN;
        expect_save_refused(m, (srres_dtype)d, "'up.1.weight'");
        m->up[1].weight[3] = 0;
        m->head_prelu.slope[0] = -INFINITY;
        expect_save_refused(m, (srres_dtype)d, "'head.prelu'");
        srres_model_free(m);
    }
}

static void test_save_refuses_unknown_dtype(void **state)
{
    srres_model *m = random_model(7);
    char path[128];
    snprintf(path, sizeof(path), "%s/unknown-dtype", test_tmpdir());
    srres_error err;
    assert_int_equal(srres_model_save(m, path, (srres_dtype)7, &err), SRRES_ERR_INVALID);
    srres_model_free(m);
}

/* ---- Malformed files: the container ------------------------------------------------------ */

static void test_empty_and_short_files_are_refused(void **state)
{
    unsigned char b[8] = {2, 0, 0, 0, 0, 0, 0, 0};
    for (size_t n = 0; n < 8; n++)
        expect_refused_bytes(b, n, "too short", NULL);
}

static void test_header_length_past_the_end_is_refused(void **state)
{
    mfile f;
    mf_model(&f, &SMALL);
    size_t size;
    unsigned char *b = mf_bytes(&f, &size);
    uint64_t past = size - 8 + 1;
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(past >> (8 * i));
    expect_refused_bytes(b, size, "runs past the end", NULL);
    memset(b, 0xff, 8); /* 2^64 - 1 */
    expect_refused_bytes(b, size, "runs past the end", NULL);
    memset(b, 0, 8);
    b[7] = 0x80; /* 2^63 */
    expect_refused_bytes(b, size, "runs past the end", NULL);
    free(b);
    mf_free(&f);
}

/* A header longer than the 100 MiB the reference implementation allows, in a file that is
 * long enough to hold it. */
static void test_absurd_header_length_is_refused(void **state)
{
    size_t hlen = (100u << 20) + 1, size = 8 + hlen;
    unsigned char *b = calloc(size, 1);
    assert_non_null(b);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    b[8] = '{';
    expect_refused_bytes(b, size, "absurd", NULL);
    free(b);
}

static void expect_header_refused(const char *header, const char *needle)
{
    size_t hl = strlen(header), size = 8 + hl;
    unsigned char *b = malloc(size + 1);
    assert_non_null(b);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, header, hl);
    expect_refused_bytes(b, size, needle, NULL);
    free(b);
}

static void test_header_not_starting_with_a_brace_is_refused(void **state)
{
    expect_header_refused("", "not a JSON object");
    expect_header_refused("{", "not a JSON object");
    expect_header_refused("[{}]", "not a JSON object");
    expect_header_refused(" {}", "not a JSON object");
    expect_header_refused("\"__metadata__\"", "not a JSON object");
    expect_header_refused("PK\003\004", "not a JSON object");
}

static void test_bad_json_is_refused(void **state)
{
    expect_header_refused("{\"__metadata__\":", "bad JSON");
    expect_header_refused("{\"a\":1}}", "bad JSON");
    expect_header_refused("{'a':1}", "bad JSON");
    expect_header_refused("{\"a\":[1,2,]}", "bad JSON");
    expect_header_refused("{\"a\":\"\\ud800\"}", "bad JSON");
    expect_header_refused("{\"a\":\"\xff\xfe\"}", "bad JSON");
}

static void test_duplicate_keys_are_refused(void **state)
{
    mfile f;
    mf_model(&f, &SMALL);
    char *entry = strstr(f.header, ",\"head.bias\"");
    assert_non_null(entry);
    char *copy = strndup(entry, (size_t)(strstr(entry, "]}") + 2 - entry));
    assert_non_null(copy);
    hprintf(&f, "%s", copy);
    expect_refused(&f, "duplicate", NULL);
    free(copy);
    mf_free(&f);
    expect_edit_refused("\"format\":\"srresnet\"", "\"format\":\"srresnet\",\"format\":\"x\"",
                        "duplicate", NULL);
}

/* ---- Malformed files: metadata ------------------------------------------------------------- */

static void test_missing_metadata_is_refused(void **state)
{
    mfile f;
    mf_begin(&f, NULL);
    expect_refused(&f, "__metadata__", NULL);
    mf_free(&f);
    expect_edit_refused("\"__metadata__\"", "\"__metadata_\"", "__metadata__", NULL);
    expect_header_refused("{}", "__metadata__");
}

static void test_metadata_not_an_object_is_refused(void **state)
{
    static const char *const values[] = {"\"srresnet\"", "[]", "null", "1"};
    for (int i = 0; i < 4; i++) {
        mfile f;
        mf_begin(&f, values[i]);
        expect_refused(&f, "__metadata__", NULL);
        mf_free(&f);
    }
}

static void test_wrong_or_missing_format_is_refused(void **state)
{
    expect_edit_refused("\"format\":\"srresnet\"", "\"format\":\"pt\"", "'format'", NULL);
    expect_edit_refused("\"format\":\"srresnet\"", "\"format\":\"SRResNet\"", "'format'", NULL);
    expect_edit_refused("\"format\":\"srresnet\",", "", "'format'", NULL);
}

static void test_wrong_or_missing_version_is_refused(void **state)
{
    expect_edit_refused("\"version\":\"1\"", "\"version\":\"2\"", "'version'", NULL);
    expect_edit_refused("\"version\":\"1\"", "\"version\":\"1.0\"", "'version'", NULL);
    expect_edit_refused("\"version\":\"1\",", "", "'version'", NULL);
}

static void check_bad_numbers(const char *key, const char *const *values, int n)
{
    char old[64], new[96], needle[32];
    snprintf(old, sizeof(old), "\"%s\":\"%s\"", key,
             !strcmp(key, "scale")    ? "2"
             : !strcmp(key, "blocks") ? "1"
                                      : "2");
    snprintf(needle, sizeof(needle), "%s", key);
    for (int i = 0; i < n; i++) {
        snprintf(new, sizeof(new), "\"%s\":\"%s\"", key, values[i]);
        expect_edit_refused(old, new, needle, NULL);
    }
    snprintf(new, sizeof(new), "\"%s_\":\"1\"", key); /* missing */
    expect_edit_refused(old, new, needle, NULL);
}

static void test_bad_scale_is_refused(void **state)
{
    static const char *const v[] = {
        "two", "2.0", "", "-2", "0", "1", "5", "16", "0x2", "2 ", " 2", "+2", "\\t2",
        "99999999999999999999"};
    check_bad_numbers("scale", v, (int)(sizeof(v) / sizeof(v[0])));
}

static void test_bad_blocks_is_refused(void **state)
{
    static const char *const v[] = {"-1",  "1025", "4097", "1.5",
                                    "abc", "",     "1e2",  "18446744073709551617"};
    check_bad_numbers("blocks", v, (int)(sizeof(v) / sizeof(v[0])));
}

static void test_bad_channels_is_refused(void **state)
{
    static const char *const v[] = {"0", "-3", "4097", "65536", "2x", "", "1e2", " 2", "+2"};
    check_bad_numbers("channels", v, (int)(sizeof(v) / sizeof(v[0])));
}

/* A number out of its range is named with the range, not as "not a valid integer". */
static void test_numbers_out_of_range_name_the_range(void **state)
{
    expect_edit_refused("\"blocks\":\"1\"", "\"blocks\":\"100000\"",
                        "blocks 100000 is not in 0..1024", NULL);
    expect_edit_refused("\"blocks\":\"1\"", "\"blocks\":\"-1\"", "blocks -1 is not in 0..1024",
                        NULL);
    expect_edit_refused("\"channels\":\"2\"", "\"channels\":\"5000\"",
                        "channels 5000 is not in 1..4096", NULL);
    expect_edit_refused("\"scale\":\"2\"", "\"scale\":\"5000\"", "scale 5000 is not one of",
                        NULL);
    expect_edit_refused("\"variant\":\"seed\"", "\"variant\":\"rrdb\"",
                        "'variant' is \"rrdb\";", NULL);
}

static void test_unknown_variant_is_refused(void **state)
{
    expect_edit_refused("\"variant\":\"seed\"", "\"variant\":\"esrgan\"", "'variant'", NULL);
    expect_edit_refused("\"variant\":\"seed\"", "\"variant\":\"\"", "'variant'", NULL);
    expect_edit_refused("\"variant\":\"seed\",", "", "'variant'", NULL);
}

static void test_unknown_image_skip_is_refused(void **state)
{
    expect_edit_refused("\"image_skip\":\"none\"", "\"image_skip\":\"bilinear\"", "'image_skip'",
                        NULL);
    expect_edit_refused("\"image_skip\":\"none\"", "\"image_skip\":\"\"", "'image_skip'", NULL);
}

static void test_non_string_metadata_is_refused(void **state)
{
    expect_edit_refused("\"scale\":\"2\"", "\"scale\":2", "'scale'", "not a string");
    expect_edit_refused("\"blocks\":\"1\"", "\"blocks\":1.0", "'blocks'", "not a string");
    expect_edit_refused("\"variant\":\"seed\"", "\"variant\":null", "'variant'", "not a string");
    static const char *const extra[] = {"[\"a\"]", "{}", "true", "null", "7"};
    for (int i = 0; i < 5; i++) {
        char meta[64];
        snprintf(meta, sizeof(meta), ",\"description\":%s", extra[i]);
        mspec s = SMALL;
        s.extra_meta = meta;
        expect_spec_refused(&s, "'description'", "not a string");
    }
}

/* A file claiming a network far larger than its data section: refused as malformed. Today
 * the loader first allocates the claimed parameters (here about 4 GB), so this also guards
 * against hostile files making the library allocate huge amounts of memory. */
static void test_config_larger_than_the_data_is_refused(void **state)
{
    mfile f;
    mf_begin(&f, "{\"format\":\"srresnet\",\"version\":\"1\",\"scale\":\"2\",\"blocks\":\"0\","
                 "\"channels\":\"2048\",\"variant\":\"seed\"}");
    float one = 1;
    mf_tensor(&f, "head.prelu", "F32", 1, (int[]){1}, &one);
    mf_tensor(&f, "up.0.prelu", "F32", 1, (int[]){1}, &one);
    expect_refused(&f, "2048", NULL);
    mf_free(&f);
}

/* ---- Malformed files: tensors -------------------------------------------------------------- */

static void test_missing_tensor_is_named(void **state)
{
    static const char *const names[] = {"head.weight",       "head.bias",    "body.0.conv2.weight",
                                        "body.0.conv1.bias", "trunk.weight", "up.0.bias",
                                        "tail.weight",       "tail.bias",    "head.prelu",
                                        "body.0.prelu2",     "up.0.prelu"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        mspec s = SMALL;
        s.omit = names[i];
        char needle[64];
        snprintf(needle, sizeof(needle), "'%s'", names[i]);
        expect_spec_refused(&s, "missing", needle);
    }
}

/* A name the header spells with a line break or an escape sequence is quoted on one line,
 * its control characters as '?' (srres.h: a one-line message). */
static void test_message_of_a_hostile_name_is_one_line(void **state)
{
    mfile f;
    mf_model(&f, &SMALL);
    float v[2] = {0, 0};
    mf_tensor(&f, "a\\nfake line\\u001b[2J\\t", "F32", 1, (int[]){2}, v);
    expect_refused(&f, "unexpected", "'a?fake line?[2J?'");
    mf_free(&f);
    /* C1's CSI (U+009B, an escape sequence's start to terminals that take C1) too */
    mf_model(&f, &SMALL);
    mf_tensor(&f, "b\\u009b2J", "F32", 1, (int[]){2}, v);
    expect_refused(&f, "unexpected", "'b?2J'");
    mf_free(&f);
}

static void test_unknown_tensor_is_named(void **state)
{
    static const char *const names[] = {"foo",         "body.1.conv1.weight",
                                        "up.1.weight", "body.0.bn1.weight",
                                        "optimizer.x", "head.weight.extra"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        mfile f;
        mf_model(&f, &SMALL);
        float v[2] = {0, 0};
        mf_tensor(&f, names[i], "F32", 1, (int[]){2}, v);
        char needle[64];
        snprintf(needle, sizeof(needle), "'%s'", names[i]);
        expect_refused(&f, "unexpected", needle);
        mf_free(&f);
    }
}

static void test_wrong_shape_is_named(void **state)
{
    /* The same byte count in another shape, so only the shape is wrong. */
    expect_edit_refused("\"head.weight\":{\"dtype\":\"F32\",\"shape\":[2,3,9,9]",
                        "\"head.weight\":{\"dtype\":\"F32\",\"shape\":[2,3,3,27]", "'head.weight'",
                        "shape");
    expect_edit_refused("\"tail.bias\":{\"dtype\":\"F32\",\"shape\":[3]",
                        "\"tail.bias\":{\"dtype\":\"F32\",\"shape\":[2]", "'tail.bias'", "shape");
    expect_edit_refused("\"up.0.weight\":{\"dtype\":\"F32\",\"shape\":[8,2,3,3]",
                        "\"up.0.weight\":{\"dtype\":\"F32\",\"shape\":[2,8,3,3]", "'up.0.weight'",
                        "shape");
    expect_edit_refused("\"head.weight\":{\"dtype\":\"F32\",\"shape\":[2,3,9,9]",
                        "\"head.weight\":{\"dtype\":\"F32\",\"shape\":[2,3,9,-9]", "'head.weight'",
                        "shape");
    expect_edit_refused("\"head.weight\":{\"dtype\":\"F32\",\"shape\":[2,3,9,9]",
                        "\"head.weight\":{\"dtype\":\"F32\",\"shape\":\"[2,3,9,9]\"",
                        "'head.weight'", "shape");
}

static void test_wrong_rank_is_named(void **state)
{
    expect_edit_refused("\"head.weight\":{\"dtype\":\"F32\",\"shape\":[2,3,9,9]",
                        "\"head.weight\":{\"dtype\":\"F32\",\"shape\":[2,243,1]", "'head.weight'",
                        "shape");
    expect_edit_refused("\"trunk.bias\":{\"dtype\":\"F32\",\"shape\":[2]",
                        "\"trunk.bias\":{\"dtype\":\"F32\",\"shape\":[1,2]", "'trunk.bias'",
                        "shape");
    expect_edit_refused("\"trunk.bias\":{\"dtype\":\"F32\",\"shape\":[2]",
                        "\"trunk.bias\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1]",
                        "'trunk.bias'", "shape");
    expect_edit_refused("\"head.bias\":{\"dtype\":\"F32\",\"shape\":[2]",
                        "\"head.bias\":{\"dtype\":\"F32\",\"shape\":[]", "'head.bias'", "shape");
    /* The message shows the whole of the largest shape a file may give, brackets and all. */
    expect_edit_refused("\"head.bias\":{\"dtype\":\"F32\",\"shape\":[2]",
                        "\"head.bias\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,"
                        "2147483647,2147483647,2147483647,2147483647,2147483647,2147483647]",
                        "has shape [2147483647, 2147483647, 2147483647, 2147483647, 2147483647, "
                        "2147483647, 2147483647, 2147483647]; the metadata implies [2]",
                        NULL);
}

static void test_wrong_dtype_is_named(void **state)
{
    static const char *const dtypes[] = {"I32", "F64", "I64", "U8", "f32", "", "F8_E4M3"};
    for (size_t i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); i++) {
        char new[96];
        snprintf(new, sizeof(new), "\"head.bias\":{\"dtype\":\"%s\"", dtypes[i]);
        expect_edit_refused("\"head.bias\":{\"dtype\":\"F32\"", new, "'head.bias'", "dtype");
    }
    expect_edit_refused("\"head.bias\":{\"dtype\":\"F32\"", "\"head.bias\":{\"dtype\":32",
                        "'head.bias'", "dtype");
}

static void test_bad_prelu_slope_count_is_named(void **state)
{
    static const char *const shapes[] = {"[3]", "[0]", "[1,2]", "[]", "[2,1]"};
    for (int i = 0; i < 5; i++) {
        char new[96];
        snprintf(new, sizeof(new), "\"body.0.prelu1\":{\"dtype\":\"F32\",\"shape\":%s", shapes[i]);
        expect_edit_refused("\"body.0.prelu1\":{\"dtype\":\"F32\",\"shape\":[2]", new,
                            "'body.0.prelu1'", NULL);
    }
}

/* head.bias sits at bytes [1944, 1952) of the small file's data. */
static void test_bad_data_offsets_are_named(void **state)
{
    static const char *const bad[] = {
        "[1944,99999]",     /* past the end */
        "[1952,1944]",      /* reversed */
        "[-8,0]",           /* negative */
        "[1944.0,1952]",    /* not integers */
        "[\"1944\",1952]",  /* strings */
        "[1944]",           /* one number */
        "[1944,1952,1960]", /* three */
        "{}",               /* not an array */
        "[1944,9223372036854775807]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char new[96];
        snprintf(new, sizeof(new), "\"data_offsets\":%s}", bad[i]);
        expect_edit_refused("\"data_offsets\":[1944,1952]}", new, "'head.bias'", "data_offsets");
    }
    expect_edit_refused(",\"data_offsets\":[1944,1952]}", "}", "'head.bias'", "data_offsets");
    expect_edit_refused("\"data_offsets\":[1944,1952]}",
                        "\"data_offsets\":[1944,"
                        "18446744073709551616]}",
                        "JSON", NULL); /* too big for JSON's int */
}

static void test_wrong_byte_count_is_named(void **state)
{
    expect_edit_refused("\"data_offsets\":[1944,1952]}", "\"data_offsets\":[1944,1956]}",
                        "'head.bias'", "bytes");
    expect_edit_refused("\"data_offsets\":[1944,1952]}", "\"data_offsets\":[1944,1948]}",
                        "'head.bias'", "bytes");
    expect_edit_refused("\"data_offsets\":[1944,1952]}", "\"data_offsets\":[1944,1944]}",
                        "'head.bias'", "bytes");
}

static void test_overlapping_tensors_are_refused(void **state)
{
    /* head.prelu (8 bytes at 1952) made to share head.bias's bytes */
    expect_edit_refused("\"data_offsets\":[1952,1960]}", "\"data_offsets\":[1944,1952]}", "overlap",
                        "'head.bias'");
    /* a partial overlap with the next tensor */
    expect_edit_refused("\"data_offsets\":[1952,1960]}", "\"data_offsets\":[1948,1956]}", "overlap",
                        "'head.prelu'");
}

/* The safetensors reference refuses a data section the tensors do not fill; so does the
 * loader (it took both files below). */
static void test_data_no_tensor_holds_is_refused(void **state)
{
    (void)state;
    mfile f;
    mf_model(&f, &SMALL);
    size_t size;
    unsigned char *bytes = mf_bytes(&f, &size);
    unsigned char *longer = realloc(bytes, size + 1);
    assert_non_null(longer);
    longer[size] = 0;
    expect_refused_bytes(longer, size + 1, "runs 1 byte past its last tensor", NULL);
    free(longer);
    /* the last tensor moved 4 bytes on, behind a hole */
    char old[64], new[64];
    size_t b = f.begin[f.n - 1], e = f.dlen;
    snprintf(old, sizeof(old), "\"data_offsets\":[%zu,%zu]}", b, e);
    snprintf(new, sizeof(new), "\"data_offsets\":[%zu,%zu]}", b + 4, e + 4);
    mf_replace(&f, old, new);
    bytes = mf_bytes(&f, &size);
    longer = realloc(bytes, size + 4);
    assert_non_null(longer);
    memset(longer + size, 0, 4);
    char hole[64];
    snprintf(hole, sizeof(hole), "bytes %zu to %zu of the data section belong to no tensor", b,
             b + 4);
    expect_refused_bytes(longer, size + 4, hole, NULL);
    free(longer);
    mf_free(&f);
}

static void check_non_finite(const char *dtype, int nan)
{
    mspec s = SMALL;
    s.dtype = dtype;
    mfile f;
    mf_model(&f, &s);
    if (!strcmp(dtype, "F32"))
        mf_poke_f32(&f, "body.0.conv1.weight", 7, nan ? NAN : -INFINITY);
    else if (!strcmp(dtype, "F16"))
        mf_poke_u16(&f, "body.0.conv1.weight", 7, nan ? 0x7e00 : 0xfc00);
    else
        mf_poke_u16(&f, "body.0.conv1.weight", 7, nan ? 0x7fc1 : 0x7f80);
    expect_refused(&f, "'body.0.conv1.weight'", nan ? "NaN" : "Inf");
    mf_free(&f);
}

static void test_nan_weights_are_refused(void **state)
{
    check_non_finite("F32", 1);
    check_non_finite("F16", 1);
    check_non_finite("BF16", 1);
}

static void test_inf_weights_are_refused(void **state)
{
    check_non_finite("F32", 0);
    check_non_finite("F16", 0);
    check_non_finite("BF16", 0);
}

static void test_tensor_entry_not_an_object_is_named(void **state)
{
    mfile f;
    mf_model(&f, &SMALL);
    hprintf(&f, ",\"head.extra\":[1,2]");
    expect_refused(&f, "'head.extra'", NULL);
    mf_free(&f);
}

/* ---- srgan files ---------------------------------------------------------------------------- */

static const mspec SRGAN = {2, 2, 3, "srgan", "none", "F32", 1, 1, 0, 1, NULL, "", NULL};

/* W' = W s, b' = (b - mean) s + beta, s = gamma / sqrt(var + 1e-5), from the file's values. */
static void check_folded(const srres_model *m, const char *conv, const char *bn, int bias)
{
    char wname[64], bname[64], field[64];
    snprintf(wname, sizeof(wname), "%s.weight", conv);
    snprintf(bname, sizeof(bname), "%s.bias", conv);
    const model_tensor *w = model_find_tensor(m, wname), *b = model_find_tensor(m, bname);
    assert_non_null(w);
    assert_non_null(b);
    int C = m->cfg.channels;
    size_t per = w->count / (size_t)C;
    for (int o = 0; o < C; o++) {
        snprintf(field, sizeof(field), "%s.weight", bn);
        double gamma = bn_value(field, (size_t)o);
        snprintf(field, sizeof(field), "%s.bias", bn);
        double beta = bn_value(field, (size_t)o);
        snprintf(field, sizeof(field), "%s.running_mean", bn);
        double mean = bn_value(field, (size_t)o);
        snprintf(field, sizeof(field), "%s.running_var", bn);
        double var = bn_value(field, (size_t)o);
        double s = gamma / sqrt(var + 1e-5);
        for (size_t i = 0; i < per; i++) {
            double want = value_of(wname, o * per + i) * s;
            assert_true(fabs(w->data[o * per + i] - want) <= 1e-6 * fabs(want));
        }
        double want_b = ((bias ? value_of(bname, (size_t)o) : 0.0) - mean) * s + beta;
        if (!(fabs(b->data[o] - want_b) <= 1e-6 * (1 + fabs(want_b))))
            fail_msg("%s[%d] is %.9g; folding gives %.9g", bname, o, (double)b->data[o], want_b);
    }
}

static void check_srgan(const mspec *s)
{
    mfile f;
    mf_model(&f, s);
    srres_model *m = load_ok(&f);
    assert_int_equal(srres_model_variant(m), SRRES_VARIANT_SRGAN);
    char conv[48], bn[48];
    for (int i = 0; i < s->blocks; i++)
        for (int j = 1; j <= 2; j++) {
            snprintf(conv, sizeof(conv), "body.%d.conv%d", i, j);
            snprintf(bn, sizeof(bn), "body.%d.bn%d", i, j);
            check_folded(m, conv, bn, s->srgan_bias);
        }
    check_folded(m, "trunk", "trunk_bn", 1);
    /* Everything else is as stored. */
    static const char *const plain[] = {"head.weight",   "head.bias",   "head.prelu",
                                        "body.0.prelu1", "up.0.weight", "tail.bias"};
    for (int t = 0; t < 6; t++) {
        const model_tensor *tensor = model_find_tensor(m, plain[t]);
        assert_non_null(tensor);
        for (size_t i = 0; i < tensor->count; i++)
            assert_true(tensor->data[i] == value_of(plain[t], i));
    }
    srres_model_free(m);
    mf_free(&f);
}

static void test_srgan_folds_batchnorm(void **state)
{
    check_srgan(&SRGAN);
}

static void test_srgan_convs_without_bias_fold(void **state)
{
    mspec s = SRGAN;
    s.srgan_bias = 0;
    s.dtype = "F16";
    check_srgan(&s);
}

/* channels 1, no blocks: only trunk_bn, worked by hand. trunk.weight and trunk.bias hold
 * value_of(); gamma = 2, beta = 0.5, mean = 0.25, var = 3, so s = 2 / sqrt(3.00001). */
static void test_srgan_fold_by_hand(void **state)
{
    mfile f;
    mf_begin(&f, "{\"format\":\"srresnet\",\"version\":\"1\",\"scale\":\"2\",\"blocks\":\"0\","
                 "\"channels\":\"1\",\"variant\":\"srgan\"}");
    float w9[9] = {1, 0, -1, 2, 0.5f, 0, 0, 0, 4}, bias = 1.5f, one = 1;
    float gamma = 2, beta = 0.5f, mean = 0.25f, var = 3;
    float *head = calloc(243, sizeof(float)), *up = calloc(36, sizeof(float));
    float *tail = calloc(243, sizeof(float)), zeros[4] = {0};
    assert_non_null(head);
    assert_non_null(up);
    assert_non_null(tail);
    mf_tensor(&f, "head.weight", "F32", 4, (int[]){1, 3, 9, 9}, head);
    mf_tensor(&f, "head.bias", "F32", 1, (int[]){1}, zeros);
    mf_tensor(&f, "head.prelu", "F32", 1, (int[]){1}, &one);
    mf_tensor(&f, "trunk.weight", "F32", 4, (int[]){1, 1, 3, 3}, w9);
    mf_tensor(&f, "trunk.bias", "F32", 1, (int[]){1}, &bias);
    mf_tensor(&f, "trunk_bn.weight", "F32", 1, (int[]){1}, &gamma);
    mf_tensor(&f, "trunk_bn.bias", "F32", 1, (int[]){1}, &beta);
    mf_tensor(&f, "trunk_bn.running_mean", "F32", 1, (int[]){1}, &mean);
    mf_tensor(&f, "trunk_bn.running_var", "F32", 1, (int[]){1}, &var);
    mf_tensor(&f, "up.0.weight", "F32", 4, (int[]){4, 1, 3, 3}, up);
    mf_tensor(&f, "up.0.bias", "F32", 1, (int[]){4}, zeros);
    mf_tensor(&f, "up.0.prelu", "F32", 1, (int[]){1}, &one);
    mf_tensor(&f, "tail.weight", "F32", 4, (int[]){3, 1, 9, 9}, tail);
    mf_tensor(&f, "tail.bias", "F32", 1, (int[]){3}, zeros);
    srres_model *m = load_ok(&f);
    const double s = 2.0 / sqrt(3.00001); /* 1.1547 */
    for (int i = 0; i < 9; i++)
        assert_true(fabs(m->trunk.weight[i] - w9[i] * s) < 1e-6);
    assert_true(fabs(m->trunk.weight[8] - 4.6188) < 1e-4);
    assert_true(fabs(m->trunk.bias[0] - ((1.5 - 0.25) * s + 0.5)) < 1e-6); /* 1.94337 */
    srres_model_free(m);
    free(head), free(up), free(tail);
    mf_free(&f);
}

static void test_srgan_without_prelu2_is_identity(void **state)
{
    mfile f;
    mf_model(&f, &SRGAN);
    srres_model *m = load_ok(&f);
    for (int i = 0; i < SRGAN.blocks; i++) {
        assert_int_equal(m->body[i].prelu2.n, 1);
        assert_true(m->body[i].prelu2.slope[0] == 1.0f);
    }
    srres_model_free(m);
    mf_free(&f);
}

static void test_srgan_with_prelu2_keeps_it(void **state)
{
    mspec s = SRGAN;
    s.srgan_prelu2 = 1;
    mfile f;
    mf_model(&f, &s);
    srres_model *m = load_ok(&f);
    assert_true(m->body[1].prelu2.slope[2] == value_of("body.1.prelu2", 2));
    srres_model_free(m);
    mf_free(&f);
}

static void test_srgan_batch_counters_are_accepted_or_absent(void **state)
{
    mspec s = SRGAN;
    s.srgan_counters = 0;
    check_srgan(&s);
    s.srgan_counters = 1;
    check_srgan(&s);
}

static void test_srgan_missing_bn_tensor_is_named(void **state)
{
    static const char *const names[] = {"body.0.bn2.running_mean", "body.1.bn1.weight",
                                        "trunk_bn.running_var", "trunk_bn.bias"};
    for (int i = 0; i < 4; i++) {
        mspec s = SRGAN;
        s.omit = names[i];
        char needle[64];
        snprintf(needle, sizeof(needle), "'%s'", names[i]);
        expect_spec_refused(&s, "missing", needle);
    }
}

/* match_bn reads a BN tensor's block and layer with sscanf's %d, whose overflow C leaves
 * undefined (glibc wraps 2^32 to 0): names that parse to a real layer's numbers but are not
 * its exact spelling are unexpected tensors, never that layer's statistics. */
static void test_srgan_bn_names_out_of_range_are_unexpected(void **state)
{
    static const char *const names[] = {"body.4294967296.bn1.weight",
                                        "body.4294967297.bn2.running_var",
                                        "body.99999999999999999999.bn1.weight",
                                        "body.-4294967296.bn1.bias",
                                        "body.0.bn4294967297.weight",
                                        "body.0.bn-4294967295.running_mean",
                                        "body.+0.bn1.weight",
                                        "body. 1.bn2.weight",
                                        "body.00.bn1.weight",
                                        "body.0.bn01.weight",
                                        "body.0.bn1.weight ",
                                        "body.0.bn1.weightx",
                                        "body.2.bn1.weight",
                                        "body.0.bn3.weight",
                                        "body.0.bn1.",
                                        "body..bn1.weight",
                                        "trunk_bn.4294967296",
                                        "trunk_bn.weight.weight"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        mfile f;
        mf_model(&f, &SRGAN);
        float v[3] = {1, 1, 1};
        mf_tensor(&f, names[i], "F32", 1, (int[]){3}, v);
        char needle[64];
        snprintf(needle, sizeof(needle), "'%s'", names[i]);
        expect_refused(&f, "unexpected", needle);
        mf_free(&f);
    }
}

static void test_srgan_negative_running_var_is_named(void **state)
{
    mfile f;
    mf_model(&f, &SRGAN);
    mf_poke_f32(&f, "body.1.bn2.running_var", 2, -0.25f);
    expect_refused(&f, "body.1.bn2.running_var", NULL);
    mf_free(&f);
}

/* Finite statistics whose fold is not finite: gamma 3e38 over sqrt(0 + 1e-5) overflows a
 * float. The folded conv must not come back with infinite weights. */
static void test_srgan_fold_overflow_is_refused(void **state)
{
    mfile f;
    mf_model(&f, &SRGAN);
    mf_poke_f32(&f, "trunk_bn.weight", 1, 3e38f);
    mf_poke_f32(&f, "trunk_bn.running_var", 1, 0.0f);
    expect_refused(&f, "trunk_bn", NULL);
    mf_free(&f);
}

static void test_srgan_bn_of_wrong_shape_is_named(void **state)
{
    mfile f;
    mf_model(&f, &SRGAN);
    mf_replace(&f, "\"trunk_bn.running_mean\":{\"dtype\":\"F32\",\"shape\":[3]",
               "\"trunk_bn.running_mean\":{\"dtype\":\"F32\",\"shape\":[1,3]");
    expect_refused(&f, "'trunk_bn.running_mean'", "shape");
    mf_free(&f);
}

static void test_seed_file_with_bn_tensors_is_refused(void **state)
{
    mfile f;
    mf_model(&f, &SRGAN); /* BN tensors and no prelu2: not a seed file */
    mf_replace(&f, "\"variant\":\"srgan\"", "\"variant\":\"seed\"");
    expect_refused(&f, "missing", "'body.0.prelu2'");
    mf_free(&f);
}

/* ---- Truncation and files on disk ------------------------------------------------------------ */

static void test_truncated_fixture_never_loads(void **state)
{
    size_t size;
    char path[256];
    snprintf(path, sizeof(path), "%s/x2_seed.safetensors", FIXTURES);
    unsigned char *full = read_file(path, &size);
    srres_model *m;
    srres_error err;
    assert_int_equal(srres_model_load_memory(full, size, "x2_seed", &m, &err), SRRES_OK);
    srres_model_free(m);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | full[i];
    int tried = 0;
    for (size_t len = 0; len < size; len += len < 8 + hlen + 64 ? 1 : 97) {
        unsigned char *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */
        assert_non_null(copy);
        memcpy(copy, full, len);
        m = (srres_model *)1;
        srres_status st = srres_model_load_memory(copy, len, "truncated", &m, &err);
        if (st == SRRES_OK)
            fail_msg("a copy truncated to %zu of %zu bytes loaded", len, size);
        assert_null(m);
        assert_true(strlen(err.message) > 0);
        free(copy);
        tried++;
    }
    for (size_t len = size - 8; len < size; len++) { /* the last bytes one by one */
        m = (srres_model *)1;
        assert_int_not_equal(srres_model_load_memory(full, len, "truncated", &m, &err), SRRES_OK);
        assert_null(m);
    }
    assert_true(tried > 300);
    free(full);
}

static void test_load_missing_path_is_io_error(void **state)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/no-such-model.safetensors", test_tmpdir());
    srres_model *m = (srres_model *)1;
    srres_error err;
    assert_int_equal(srres_model_load(path, &m, &err), SRRES_ERR_IO);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, strerror(ENOENT)));
    assert_int_equal(err.sys_errno, ENOENT); /* the filter returns AVERROR(ENOENT) */
    assert_null(m);
}

static void test_load_directory_is_io_error(void **state)
{
    srres_model *m = (srres_model *)1;
    srres_error err;
    errno = 0;
    assert_int_equal(srres_model_load(test_tmpdir(), &m, &err), SRRES_ERR_IO);
    assert_non_null(strstr(err.message, test_tmpdir()));
    assert_non_null(strstr(err.message, "not a regular file"));
    assert_int_equal(err.sys_errno, EISDIR);
    assert_null(m);
    /* A failure that is not a system call's leaves no errno behind. */
    srres_config bad = {5, 1, 4, SRRES_SKIP_NONE, 0};
    assert_int_equal(srres_model_create(&bad, &m, &err), SRRES_ERR_INVALID);
    assert_int_equal(err.sys_errno, 0);
}

/* A FIFO is refused at once as not a regular file (opening it waited for a writer). */
static void test_fifo_is_refused_without_waiting(void **state)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/fifo.safetensors", test_tmpdir());
    assert_int_equal(mkfifo(path, 0600), 0);
    srres_model *m;
    srres_error err;
    alarm(20); /* a hang ends the test run (SIGALRM) instead of the whole check */
    assert_int_equal(srres_model_load(path, &m, &err), SRRES_ERR_IO);
    alarm(0);
    assert_non_null(strstr(err.message, "not a regular file (a FIFO or pipe)"));
    unlink(path);
}

/* A device given as the model or checkpoint (/dev/zero, for which ffmpeg adds only "Invalid
 * argument") is named with what it is. */
static void test_device_is_named_as_one(void **state)
{
    srres_model *m;
    srres_adam adam;
    srres_error err;
    assert_int_equal(srres_model_load("/dev/zero", &m, &err), SRRES_ERR_IO);
    assert_string_equal(err.message, "/dev/zero: not a regular file (a character device)");
    assert_null(m);
    assert_int_equal(srres_checkpoint_load("/dev/null", &m, &adam, &err), SRRES_ERR_IO);
    assert_string_equal(err.message, "/dev/null: not a regular file (a character device)");
    assert_int_equal(srres_model_load(test_tmpdir(), &m, &err), SRRES_ERR_IO);
    assert_non_null(strstr(err.message, ": not a regular file (a folder)"));
}

/* A large file that is no model (a video given as the model: an MP4's first bytes make a
 * header length past the end) is refused from its first bytes: it was read whole first, 2 GiB
 * of memory and seconds of reading for a 2 GiB file (the filter's model=in.mp4). */
static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void test_large_file_that_is_no_model_is_refused_unread(void **state)
{
    static const unsigned char mp4[] = {0, 0, 0, 0x20, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm'};
    char path[128];
    snprintf(path, sizeof(path), "%s/video.mp4", test_tmpdir());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(mp4, 1, sizeof(mp4), f), sizeof(mp4));
    assert_int_equal(fclose(f), 0);
    assert_int_equal(truncate(path, (off_t)2 << 30), 0); /* sparse: no disk space taken */
    long before = peak_rss_kib();
    srres_model *m;
    srres_error err;
    assert_int_equal(srres_model_load(path, &m, &err), SRRES_ERR_FORMAT);
    long grew = peak_rss_kib() - before;
    unlink(path);
    assert_non_null(strstr(err.message, "runs past the end of the file (2147483648 bytes)"));
    if (grew > 64 * 1024)
        fail_msg("loading grew the peak memory by %ld KiB", grew);
}

/* Saved files get the mode fopen would give (0666 less the umask), like any other file the
 * caller writes; mkstemp's 0600 made 0644 ignored a umask of 077. */
static void test_saved_file_follows_the_umask(void **state)
{
    srres_model *m = random_model(3);
    char path[128];
    srres_error err;
    struct stat sb;
    const mode_t masks[] = {022, 077, 027};
    for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
        snprintf(path, sizeof(path), "%s/umask%zu.safetensors", test_tmpdir(), i);
        mode_t old = umask(masks[i]);
        srres_status st = srres_model_save(m, path, SRRES_DTYPE_F16, &err);
        umask(old);
        assert_int_equal(st, SRRES_OK);
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0666 & ~masks[i]);
    }
    srres_model_free(m);
}

/* A model is not saved into a file no load takes back: metadata past the 100 MiB a header
 * may hold was written, and the file then refused ("header length ... is absurd"). Nothing
 * is left at the path. */
static void test_save_refuses_what_no_load_takes(void **state)
{
    srres_model *m = random_model(7);
    size_t n = ((size_t)100 << 20) + 1;
    char *big = malloc(n + 1), path[128];
    assert_non_null(big);
    memset(big, 'a', n);
    big[n] = '\0';
    srres_error err;
    assert_int_equal(srres_model_set_metadata(m, "description", big, &err), SRRES_OK);
    free(big);
    snprintf(path, sizeof(path), "%s/huge_header.safetensors", test_tmpdir());
    srres_status st = srres_model_save(m, path, SRRES_DTYPE_F16, &err);
    struct stat sb;
    int written = stat(path, &sb) == 0;
    unlink(path);
    srres_model_free(m);
    assert_int_equal(st, SRRES_ERR_INVALID);
    assert_non_null(strstr(err.message, "header"));
    assert_false(written);
}

/* A file saved over keeps its mode, as one that fopen truncates does: a checkpoint made
 * private (0600) came back 0644 at the next save, readable by all, the temporary file that
 * replaced it taking the umask's mode. Through a link, the file it names keeps its own. */
static void test_saving_over_a_file_keeps_its_mode(void **state)
{
    srres_model *m = random_model(6);
    char path[128], link_path[128];
    srres_error err;
    struct stat sb;
    snprintf(path, sizeof(path), "%s/private.safetensors", test_tmpdir());
    snprintf(link_path, sizeof(link_path), "%s/private.link", test_tmpdir());
    static const mode_t modes[] = {0600, 0640, 0444, 0755};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        assert_int_equal(srres_model_save(m, path, SRRES_DTYPE_F32, &err), SRRES_OK);
        assert_int_equal(chmod(path, modes[i]), 0);
        assert_int_equal(srres_model_save(m, path, SRRES_DTYPE_F16, &err), SRRES_OK);
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_mode & 07777, modes[i]);
    }
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(symlink("private.safetensors", link_path), 0);
    assert_int_equal(srres_model_save(m, link_path, SRRES_DTYPE_F32, &err), SRRES_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    assert_int_equal(lstat(link_path, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    unlink(link_path);
    unlink(path);
    srres_model_free(m);
}

/* Any name the folder takes can be saved to: the temporary file beside it shortens a long
 * name to fit (it got ".tmp-PID-N" appended, past NAME_MAX: "File name too long"), and
 * leaves nothing behind. */
static void test_save_takes_the_longest_file_name(void **state)
{
    srres_model *m = random_model(4), *back;
    char name[NAME_MAX + 1], path[512];
    memset(name, 'a', NAME_MAX);
    name[NAME_MAX] = '\0';
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    srres_error err;
    srres_status st = srres_model_save(m, path, SRRES_DTYPE_F32, &err);
    if (st != SRRES_OK)
        fail_msg("save: %s", err.message);
    assert_int_equal(srres_model_load(path, &back, &err), SRRES_OK);
    srres_model_free(back);
    assert_int_equal(unlink(path), 0);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -q '[.]tmp-'", test_tmpdir());
    assert_int_not_equal(system(cmd), 0);
    srres_model_free(m);
}

/* A process that is gone: a child that has exited and been waited for. */
static pid_t dead_pid(void)
{
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    assert_int_equal(waitpid(child, NULL, 0), child);
    return child;
}

static int exists_in(const char *dir, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* A save killed between writing its temporary file and renaming it leaves NAME.tmp-PID-N
 * (NAME cut to NAME_MAX - 32 bytes) beside the file: the next save of that file, a model, a
 * checkpoint or a long name's, removes those of processes that are gone, and keeps a live
 * process's, another file's and names it did not make. */
static void test_save_removes_stale_temporaries(void **state)
{
    srres_model *m = random_model(4);
    srres_adam adam;
    srres_error err;
    assert_int_equal(srres_adam_init(&adam, srres_model_num_params(m), &err), SRRES_OK);
    char dir[128], name[NAME_MAX + 1], dead[NAME_MAX + 32], kept[8][NAME_MAX + 32];
    snprintf(dir, sizeof(dir), "%s/stale", test_tmpdir());
    assert_int_equal(mkdir(dir, 0700), 0);
    memset(name, 'b', NAME_MAX);
    name[NAME_MAX] = '\0';
    const char *files[] = {"m.safetensors", "c.ckpt", name};
    for (int f = 0; f < 3; f++) {
        long gone = (long)dead_pid();
        int cut = (int)strlen(files[f]) > NAME_MAX - 32 ? NAME_MAX - 32 : (int)strlen(files[f]);
        snprintf(dead, sizeof(dead), "%.*s.tmp-%ld-0", cut, files[f], gone);
        snprintf(kept[0], sizeof(kept[0]), "%.*s.tmp-%ld-1", cut, files[f], (long)getppid());
        snprintf(kept[1], sizeof(kept[1]), "%.*s.tmp-%ld-0", cut, files[f], (long)getpid());
        snprintf(kept[2], sizeof(kept[2]), "other.tmp-%ld-0", gone);
        snprintf(kept[3], sizeof(kept[3]), "%.*s.tmp-%ld-0x", cut, files[f], gone);
        snprintf(kept[4], sizeof(kept[4]), "%.*s.tmp-+%ld-0", cut, files[f], gone);
        snprintf(kept[5], sizeof(kept[5]), "%.*s.tmp-%ld-", cut, files[f], gone);
        snprintf(kept[6], sizeof(kept[6]), "%.*s.tmp-99999999999999999999-0", cut, files[f]);
        snprintf(kept[7], sizeof(kept[7]), "x%.*s.tmp-%ld-0", cut - 1, files[f], gone);
        test_touch(dir, dead);
        for (int k = 0; k < 8; k++)
            test_touch(dir, kept[k]);
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
        srres_status st = f == 1 ? srres_checkpoint_save(m, &adam, path, &err)
                                 : srres_model_save(m, path, SRRES_DTYPE_F32, &err);
        if (st != SRRES_OK)
            fail_msg("save %s: %s", files[f], err.message);
        if (exists_in(dir, dead))
            fail_msg("a gone process's temporary is left: %s", dead);
        for (int k = 0; k < 8; k++)
            if (!exists_in(dir, kept[k]))
                fail_msg("saving %s removed %s", files[f], kept[k]);
    }
    /* A gone PID's temporary whose lock is held is kept: its writer is alive in another PID
     * namespace or on another machine sharing the folder, where its PID means nothing. */
    snprintf(dead, sizeof(dead), "m.safetensors.tmp-%ld-7", (long)dead_pid());
    test_touch(dir, dead);
    char locked[PATH_MAX + NAME_MAX];
    snprintf(locked, sizeof(locked), "%s/%s", dir, dead);
    int held = open(locked, O_RDONLY);
    assert_true(held >= 0);
    assert_int_equal(flock(held, LOCK_EX | LOCK_NB), 0);
    char again[512];
    snprintf(again, sizeof(again), "%s/m.safetensors", dir);
    assert_int_equal(srres_model_save(m, again, SRRES_DTYPE_F32, &err), SRRES_OK);
    if (!exists_in(dir, dead))
        fail_msg("a locked temporary was removed: %s", dead);
    close(held);
    assert_int_equal(srres_model_save(m, again, SRRES_DTYPE_F32, &err), SRRES_OK);
    assert_false(exists_in(dir, dead));
    /* A file in the working folder, named without a folder, is cleaned up as well. */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    snprintf(dead, sizeof(dead), "here.safetensors.tmp-%ld-3", (long)dead_pid());
    test_touch(".", dead);
    srres_status st = srres_model_save(m, "here.safetensors", SRRES_DTYPE_F32, &err);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(st, SRRES_OK);
    assert_false(exists_in(dir, dead));
    srres_adam_release(&adam);
    srres_model_free(m);
}

/* Saving over a symbolic link replaces the file it names and keeps the link; a FIFO (or a
 * device such as /dev/null) is written to, not replaced by a regular file (as root, -o
 * /dev/null replaced the system's /dev/null); a folder is refused. */
static void test_save_keeps_links_fifos_and_folders(void **state)
{
    srres_model *a = random_model(3), *b = random_model(4);
    srres_error err;
    char real[128], link[128], fifo[128];
    struct stat sb;
    snprintf(real, sizeof(real), "%s/real.safetensors", test_tmpdir());
    snprintf(link, sizeof(link), "%s/link.safetensors", test_tmpdir());
    snprintf(fifo, sizeof(fifo), "%s/save.fifo", test_tmpdir());
    assert_int_equal(srres_model_save(a, real, SRRES_DTYPE_F32, &err), SRRES_OK);
    assert_int_equal(symlink("real.safetensors", link), 0);
    assert_int_equal(srres_model_save(b, link, SRRES_DTYPE_F32, &err), SRRES_OK);
    assert_int_equal(lstat(link, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    srres_model *back = load_model(real);
    assert_memory_equal(srres_model_params(back), srres_model_params(b),
                        srres_model_num_params(b) * sizeof(float));
    srres_model_free(back);

    /* A reader in a child process counts what comes through the FIFO. */
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        alarm(20);
        FILE *f = fopen(fifo, "rb");
        long n = 0;
        while (f && fgetc(f) != EOF)
            n++;
        _exit(n >= 1000 ? 0 : 1); /* the model's file is a few kilobytes */
    }
    alarm(20);
    srres_status st = srres_model_save(b, fifo, SRRES_DTYPE_F32, &err);
    alarm(0);
    assert_int_equal(lstat(fifo, &sb), 0);
    if (!S_ISFIFO(sb.st_mode))
        kill(child, SIGKILL);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(st, SRRES_OK);
    assert_true(S_ISFIFO(sb.st_mode));
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    assert_int_equal(srres_model_save(b, test_tmpdir(), SRRES_DTYPE_F32, &err), SRRES_ERR_IO);
    assert_non_null(strstr(err.message, "not a regular file"));
    assert_int_equal(err.sys_errno, EISDIR);
    srres_model_free(a);
    srres_model_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f32_file_loads_exact_values),
        cmocka_unit_test(test_f16_file_loads_exact_values),
        cmocka_unit_test(test_bf16_file_loads_exact_values),
        cmocka_unit_test(test_f16_special_values_decode_exactly),
        cmocka_unit_test(test_bf16_special_values_decode_exactly),
        cmocka_unit_test(test_every_scale_and_structure_loads),
        cmocka_unit_test(test_mixed_prelu_shapes_load),
        cmocka_unit_test(test_image_skip_nearest_and_default_none),
        cmocka_unit_test(test_user_metadata_is_kept),
        cmocka_unit_test(test_entry_order_and_padding_do_not_matter),
        cmocka_unit_test(test_save_load_f32_is_exact),
        cmocka_unit_test(test_metadata_must_be_utf8),
        cmocka_unit_test(test_same_layout_compares_every_tensor),
        cmocka_unit_test(test_save_load_f16_rounds_to_nearest),
        cmocka_unit_test(test_save_load_bf16_rounds_to_nearest),
        cmocka_unit_test(test_save_f16_rounds_ties_to_even),
        cmocka_unit_test(test_save_bf16_rounds_ties_to_even),
        cmocka_unit_test(test_save_load_exact_values_in_every_dtype),
        cmocka_unit_test(test_save_f16_overflow_names_the_tensor),
        cmocka_unit_test(test_save_bf16_refuses_values_beyond_its_range),
        cmocka_unit_test(test_save_refuses_non_finite_values_in_every_dtype),
        cmocka_unit_test(test_save_refuses_unknown_dtype),
        cmocka_unit_test(test_empty_and_short_files_are_refused),
        cmocka_unit_test(test_header_length_past_the_end_is_refused),
        cmocka_unit_test(test_absurd_header_length_is_refused),
        cmocka_unit_test(test_header_not_starting_with_a_brace_is_refused),
        cmocka_unit_test(test_bad_json_is_refused),
        cmocka_unit_test(test_duplicate_keys_are_refused),
        cmocka_unit_test(test_missing_metadata_is_refused),
        cmocka_unit_test(test_metadata_not_an_object_is_refused),
        cmocka_unit_test(test_wrong_or_missing_format_is_refused),
        cmocka_unit_test(test_wrong_or_missing_version_is_refused),
        cmocka_unit_test(test_bad_scale_is_refused),
        cmocka_unit_test(test_bad_blocks_is_refused),
        cmocka_unit_test(test_bad_channels_is_refused),
        cmocka_unit_test(test_numbers_out_of_range_name_the_range),
        cmocka_unit_test(test_unknown_variant_is_refused),
        cmocka_unit_test(test_unknown_image_skip_is_refused),
        cmocka_unit_test(test_non_string_metadata_is_refused),
        cmocka_unit_test(test_config_larger_than_the_data_is_refused),
        cmocka_unit_test(test_missing_tensor_is_named),
        cmocka_unit_test(test_unknown_tensor_is_named),
        cmocka_unit_test(test_message_of_a_hostile_name_is_one_line),
        cmocka_unit_test(test_wrong_shape_is_named),
        cmocka_unit_test(test_wrong_rank_is_named),
        cmocka_unit_test(test_wrong_dtype_is_named),
        cmocka_unit_test(test_bad_prelu_slope_count_is_named),
        cmocka_unit_test(test_bad_data_offsets_are_named),
        cmocka_unit_test(test_wrong_byte_count_is_named),
        cmocka_unit_test(test_overlapping_tensors_are_refused),
        cmocka_unit_test(test_data_no_tensor_holds_is_refused),
        cmocka_unit_test(test_nan_weights_are_refused),
        cmocka_unit_test(test_inf_weights_are_refused),
        cmocka_unit_test(test_tensor_entry_not_an_object_is_named),
        cmocka_unit_test(test_srgan_folds_batchnorm),
        cmocka_unit_test(test_srgan_convs_without_bias_fold),
        cmocka_unit_test(test_srgan_fold_by_hand),
        cmocka_unit_test(test_srgan_without_prelu2_is_identity),
        cmocka_unit_test(test_srgan_with_prelu2_keeps_it),
        cmocka_unit_test(test_srgan_batch_counters_are_accepted_or_absent),
        cmocka_unit_test(test_srgan_missing_bn_tensor_is_named),
        cmocka_unit_test(test_srgan_bn_names_out_of_range_are_unexpected),
        cmocka_unit_test(test_srgan_negative_running_var_is_named),
        cmocka_unit_test(test_srgan_fold_overflow_is_refused),
        cmocka_unit_test(test_fifo_is_refused_without_waiting),
        cmocka_unit_test(test_device_is_named_as_one),
        cmocka_unit_test(test_large_file_that_is_no_model_is_refused_unread),
        cmocka_unit_test(test_saved_file_follows_the_umask),
        cmocka_unit_test(test_saving_over_a_file_keeps_its_mode),
        cmocka_unit_test(test_save_refuses_what_no_load_takes),
        cmocka_unit_test(test_save_takes_the_longest_file_name),
        cmocka_unit_test(test_save_removes_stale_temporaries),
        cmocka_unit_test(test_save_keeps_links_fifos_and_folders),
        cmocka_unit_test(test_srgan_bn_of_wrong_shape_is_named),
        cmocka_unit_test(test_seed_file_with_bn_tensors_is_refused),
        cmocka_unit_test(test_truncated_fixture_never_loads),
        cmocka_unit_test(test_load_missing_path_is_io_error),
        cmocka_unit_test(test_load_directory_is_io_error),
    };
    return cmocka_run_group_tests(tests, make_test_tmpdir, remove_test_tmpdir);
}
