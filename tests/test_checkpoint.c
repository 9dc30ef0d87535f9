/* test_checkpoint.c: trainer checkpoints: model + Adam moments + step + metadata (+ the
 * weights' average) survive a save and load exactly, or rounded in a compact checkpoint of
 * half the size; the model a checkpoint stands for is its average when it keeps one; a plain
 * model file, or one whose optimizer tensors are wrong, is not taken for a checkpoint.
 * Malformed variants are made by editing a saved checkpoint's JSON header (jansson) and
 * keeping its data section. */
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <unistd.h>

#include "test_util.h"

static void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", test_tmpdir(), name);
}

/* A small trained-looking state: random model, moments and step. */
static void make_state(srres_model **m, srres_adam *adam, uint64_t seed)
{
    srres_config cfg = {2, 1, 3, SRRES_SKIP_NEAREST, 1};
    srres_error err;
    assert_int_equal(srres_model_create(&cfg, m, &err), SRRES_OK);
    srres_model_init_random(*m, seed);
    assert_int_equal(srres_adam_init(adam, srres_model_num_params(*m), &err), SRRES_OK);
    srres_rng rng;
    srres_rng_seed(&rng, seed + 1);
    for (size_t i = 0; i < adam->n; i++) {
        adam->m[i] = (float)srres_rng_normal(&rng) * 1e-3f;
        adam->v[i] = (float)srres_rng_uniform(&rng) * 1e-6f;
    }
    adam->step = 123456789012LL;
}

/* An average unlike the weights, so taking one for the other shows. */
static void make_average(srres_adam *adam, srres_model *m, float decay)
{
    srres_error err;
    assert_int_equal(srres_adam_average(adam, srres_model_params(m), decay, &err), SRRES_OK);
    for (size_t i = 0; i < adam->n; i++)
        adam->avg[i] = adam->avg[i] * 0.5f + (float)i * 1e-3f;
}

static void save_state(const char *name, char *path, size_t len, int average)
{
    srres_model *m;
    srres_adam adam;
    srres_error err;
    make_state(&m, &adam, 5);
    if (average)
        make_average(&adam, m, 0.999f);
    tmp_path(path, len, name);
    if (srres_checkpoint_save(m, &adam, path, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    srres_adam_release(&adam);
    srres_model_free(m);
}

static void test_round_trip_keeps_everything(void **state)
{
    srres_model *m, *back;
    srres_adam adam, adam_back;
    srres_error err;
    make_state(&m, &adam, 3);
    assert_int_equal(srres_model_set_metadata(m, "trained_on", "unit tests", &err), SRRES_OK);
    assert_int_equal(srres_model_set_metadata(m, "lr", "5e-4", &err), SRRES_OK);
    adam.beta1 = 0.5f; /* a caller's own: a resumed run must go on with them */
    adam.beta2 = 0.99f;
    adam.eps = 1e-6f;
    char path[128];
    tmp_path(path, sizeof(path), "round_trip.ckpt");
    assert_int_equal(srres_checkpoint_save(m, &adam, path, &err), SRRES_OK);
    if (srres_checkpoint_load(path, &back, &adam_back, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    const srres_config *a = srres_model_config(m), *b = srres_model_config(back);
    assert_int_equal(a->scale, b->scale);
    assert_int_equal(a->blocks, b->blocks);
    assert_int_equal(a->channels, b->channels);
    assert_int_equal(a->image_skip, b->image_skip);
    size_t n = srres_model_num_params(m);
    assert_int_equal(srres_model_num_params(back), n);
    assert_memory_equal(srres_model_params(m), srres_model_params(back), n * sizeof(float));
    assert_int_equal(adam_back.n, n);
    assert_int_equal(adam_back.step, adam.step);
    assert_memory_equal(adam_back.m, adam.m, n * sizeof(float));
    assert_memory_equal(adam_back.v, adam.v, n * sizeof(float));
    assert_true(adam_back.beta1 == 0.5f && adam_back.beta2 == 0.99f && adam_back.eps == 1e-6f);
    assert_null(srres_model_get_metadata(back, "optimizer.beta1"));
    assert_string_equal(srres_model_get_metadata(back, "trained_on"), "unit tests");
    assert_string_equal(srres_model_get_metadata(back, "lr"), "5e-4");
    assert_null(srres_model_get_metadata(back, "optimizer.step"));
    srres_adam_release(&adam);
    srres_adam_release(&adam_back);
    srres_model_free(m);
    srres_model_free(back);
}

/* Sets a locale whose decimal point is a comma: an installed one, or one localedef makes in
 * the test folder (LOCPATH). 0 when neither can be had. */
static int set_comma_locale(void)
{
    static const char *const names[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "nl_NL.UTF-8"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (setlocale(LC_ALL, names[i]) && !strcmp(localeconv()->decimal_point, ","))
            return 1;
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' >/dev/null 2>&1",
             test_tmpdir());
    if (system(cmd) != 0)
        return 0;
    setenv("LOCPATH", test_tmpdir(), 1);
    return setlocale(LC_ALL, "de_DE.UTF-8") && !strcmp(localeconv()->decimal_point, ",");
}

/* A program that set such a locale (setlocale(LC_ALL, "") in Germany) wrote "0,5" for
 * beta1, which a program in the C locale refused, and refused the "0.5" of every other
 * checkpoint. */
static void test_checkpoints_are_the_same_in_every_locale(void **state)
{
    srres_model *m, *back;
    srres_adam adam, adam_back;
    srres_error err;
    make_state(&m, &adam, 4);
    make_average(&adam, m, 0.9995f);
    adam.beta1 = 0.5f;
    adam.eps = 1e-6f;
    char comma_path[128], c_path[128];
    tmp_path(comma_path, sizeof(comma_path), "comma_locale.ckpt");
    tmp_path(c_path, sizeof(c_path), "c_locale.ckpt");
    assert_int_equal(srres_checkpoint_save(m, &adam, c_path, &err), SRRES_OK);
    if (!set_comma_locale()) {
        srres_adam_release(&adam);
        srres_model_free(m);
        skip(); /* no locale of that kind here, and no localedef to make one */
    }
    srres_status saved = srres_checkpoint_save(m, &adam, comma_path, &err);
    srres_status loaded = srres_checkpoint_load(c_path, &back, &adam_back, &err);
    setlocale(LC_ALL, "C");
    unsetenv("LOCPATH");
    assert_int_equal(saved, SRRES_OK);
    if (loaded != SRRES_OK)
        fail_msg("a checkpoint of the C locale in a comma locale: %s", err.message);
    assert_true(adam_back.beta1 == 0.5f && adam_back.eps == 1e-6f);
    assert_true(adam_back.avg_decay == 0.9995f);
    srres_adam_release(&adam_back);
    srres_model_free(back);
    if (srres_checkpoint_load(comma_path, &back, &adam_back, &err) != SRRES_OK)
        fail_msg("a checkpoint of a comma locale in the C locale: %s", err.message);
    assert_true(adam_back.beta1 == 0.5f && adam_back.beta2 == adam.beta2 &&
                adam_back.eps == 1e-6f && adam_back.avg_decay == 0.9995f);
    size_t a, b;
    void *x = read_file(c_path, &a), *y = read_file(comma_path, &b);
    assert_int_equal(a, b);
    assert_memory_equal(x, y, a); /* the same file, byte for byte */
    free(x);
    free(y);
    srres_adam_release(&adam);
    srres_adam_release(&adam_back);
    srres_model_free(m);
    srres_model_free(back);
}

static void test_round_trip_keeps_the_average(void **state)
{
    srres_model *m, *back;
    srres_adam adam, adam_back;
    srres_error err;
    make_state(&m, &adam, 8);
    make_average(&adam, m, 0.9995f);
    char path[128];
    tmp_path(path, sizeof(path), "average.ckpt");
    assert_int_equal(srres_checkpoint_save(m, &adam, path, &err), SRRES_OK);
    if (srres_checkpoint_load(path, &back, &adam_back, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    size_t n = srres_model_num_params(m);
    assert_non_null(adam_back.avg);
    assert_true(adam_back.avg_decay == 0.9995f);
    assert_memory_equal(adam_back.avg, adam.avg, n * sizeof(float));
    assert_memory_equal(srres_model_params(back), srres_model_params(m), n * sizeof(float));
    assert_memory_equal(adam_back.m, adam.m, n * sizeof(float));
    assert_null(srres_model_get_metadata(back, "optimizer.avg_decay"));
    srres_adam_release(&adam);
    srres_adam_release(&adam_back);
    srres_model_free(m);
    srres_model_free(back);
}

/* Each value within the rounding of a format with `bits` of mantissa (F16 10, BF16 7),
 * plus F16's smallest step for values near zero. */
static void assert_rounded(const float *got, const float *want, size_t n, int bits)
{
    for (size_t i = 0; i < n; i++) {
        float tol = ldexpf(fabsf(want[i]), -bits) + 6e-8f;
        if (!(fabsf(got[i] - want[i]) <= tol))
            fail_msg("value %zu: %g, want %g within %g", i, (double)got[i], (double)want[i],
                     (double)tol);
    }
}

/* A compact checkpoint holds the same state to within F16 (the weights and the average) and
 * BF16 (the moments, whose v is far below F16's range), in half the bytes a parameter. With
 * and without an average, whose absence moves where the moments sit. */
static void check_compact_round_trip(uint64_t seed, int average)
{
    srres_model *m, *back;
    srres_adam adam, adam_back;
    srres_error err;
    make_state(&m, &adam, seed);
    if (average)
        make_average(&adam, m, 0.999f);
    for (size_t i = 0; i < adam.n; i++)
        adam.v[i] *= 1e-6f; /* squared gradients go this low; F16 would flush them to 0 */
    assert_int_equal(srres_model_set_metadata(m, "train.seed", "7", &err), SRRES_OK);
    char full[128], compact[128];
    tmp_path(full, sizeof(full), "full.ckpt");
    tmp_path(compact, sizeof(compact), "compact.ckpt");
    assert_int_equal(srres_checkpoint_save(m, &adam, full, &err), SRRES_OK);
    if (srres_checkpoint_save_compact(m, &adam, compact, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    size_t n = srres_model_num_params(m);
    /* 16 bytes a parameter (weights, m, v, average) become 8, or 12 become 6; the headers
     * differ by a few */
    size_t full_size, compact_size;
    free(read_file(full, &full_size));
    free(read_file(compact, &compact_size));
    assert_true((long)full_size - (long)compact_size >= (long)((average ? 8 : 6) * n) - 64);
    if (srres_checkpoint_load(compact, &back, &adam_back, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    assert_rounded(srres_model_params(back), srres_model_params(m), n, 10);
    if (average) {
        assert_rounded(adam_back.avg, adam.avg, n, 10);
        assert_true(adam_back.avg_decay == 0.999f);
    } else {
        assert_null(adam_back.avg);
    }
    assert_rounded(adam_back.m, adam.m, n, 7);
    assert_rounded(adam_back.v, adam.v, n, 7);
    for (size_t i = 0; i < n; i++)
        assert_true(adam_back.v[i] > 0.0f || adam.v[i] == 0.0f);
    assert_int_equal(adam_back.step, adam.step);
    assert_string_equal(srres_model_get_metadata(back, "train.seed"), "7");
    srres_adam_release(&adam);
    srres_adam_release(&adam_back);
    srres_model_free(m);
    srres_model_free(back);
}

static void test_compact_checkpoint_rounds_the_state(void **state)
{
    check_compact_round_trip(9, 1);
}

static void test_compact_checkpoint_without_average(void **state)
{
    check_compact_round_trip(10, 0);
}

/* A checkpoint loads as a model: the average when there is one, else the weights. */
static void test_checkpoint_loads_as_its_model(void **state)
{
    for (int average = 0; average <= 1; average++) {
        srres_model *m, *back;
        srres_adam adam;
        srres_error err;
        make_state(&m, &adam, 9);
        if (average)
            make_average(&adam, m, 0.99f);
        char path[128];
        tmp_path(path, sizeof(path), average ? "model_avg.ckpt" : "model_plain.ckpt");
        assert_int_equal(srres_checkpoint_save(m, &adam, path, &err), SRRES_OK);
        if (srres_model_load(path, &back, &err) != SRRES_OK)
            fail_msg("%s", err.message);
        size_t n = srres_model_num_params(m);
        assert_memory_equal(srres_model_params(back), average ? adam.avg : srres_model_params(m),
                            n * sizeof(float));
        srres_adam_release(&adam);
        srres_model_free(m);
        srres_model_free(back);
    }
}

static void test_model_file_is_not_a_checkpoint(void **state)
{
    srres_model *m;
    srres_adam adam;
    srres_error err;
    make_state(&m, &adam, 4);
    char path[128];
    tmp_path(path, sizeof(path), "plain.safetensors");
    assert_int_equal(srres_model_save(m, path, SRRES_DTYPE_F32, &err), SRRES_OK);
    srres_model *back = (srres_model *)1;
    srres_adam loaded = {0};
    assert_int_equal(srres_checkpoint_load(path, &back, &loaded, &err), SRRES_ERR_FORMAT);
    assert_non_null(strstr(err.message, "'optimizer.m'"));
    assert_non_null(strstr(err.message, "not a checkpoint"));
    assert_non_null(strstr(err.message, path));
    assert_null(back);
    /* From memory with no name, the message calls it "checkpoint" (it said "(null)"). */
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char bytes[1 << 16];
    size_t size = fread(bytes, 1, sizeof(bytes), f);
    fclose(f);
    assert_true(size > 0 && size < sizeof(bytes));
    assert_int_equal(srres_checkpoint_load_memory(bytes, size, NULL, &back, &loaded, &err),
                     SRRES_ERR_FORMAT);
    assert_non_null(strstr(err.message, "checkpoint: missing tensor 'optimizer.m'"));
    srres_adam_release(&adam);
    srres_model_free(m);
}

static void test_save_refuses_adam_of_another_size(void **state)
{
    srres_model *m;
    srres_adam adam, other;
    srres_error err;
    make_state(&m, &adam, 6);
    assert_int_equal(srres_adam_init(&other, adam.n - 1, &err), SRRES_OK);
    char path[128];
    tmp_path(path, sizeof(path), "mismatch.ckpt");
    assert_int_equal(srres_checkpoint_save(m, &other, path, &err), SRRES_ERR_INVALID);
    assert_int_equal(access(path, F_OK), -1); /* nothing written */
    srres_adam_release(&adam);
    srres_adam_release(&other);
    srres_model_free(m);
}

/* ---- Edited checkpoints ----------------------------------------------------------------- */

typedef struct edited {
    unsigned char *bytes;
    size_t size;
} edited;

typedef void header_edit(json_t *root, const void *arg);

/* Loads the checkpoint at `path`, lets `edit` change its header (given `arg`), and
 * reassembles the file with the same data section. */
static edited edit_header(const char *path, header_edit *edit, const void *arg)
{
    size_t size;
    unsigned char *file = read_file(path, &size);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | file[i];
    json_error_t jerr;
    json_t *root = json_loadb((const char *)file + 8, hlen, 0, &jerr);
    assert_non_null(root);
    edit(root, arg);
    char *header = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(header);
    json_decref(root);
    size_t nh = strlen(header), data = size - 8 - hlen;
    edited e = {malloc(8 + nh + data), 8 + nh + data};
    assert_non_null(e.bytes);
    for (int i = 0; i < 8; i++)
        e.bytes[i] = (unsigned char)((uint64_t)nh >> (8 * i));
    memcpy(e.bytes + 8, header, nh);
    memcpy(e.bytes + 8 + nh, file + 8 + hlen, data);
    free(header);
    free(file);
    return e;
}

/* The checkpoint saved as `edit_name` and changed by `edit` is refused with a message naming
 * `needle`. */
static void expect_rejected(const char *edit_name, header_edit *edit, const void *arg,
                            const char *needle)
{
    char path[128];
    save_state(edit_name, path, sizeof(path), strstr(needle, "avg") != NULL);
    edited e = edit_header(path, edit, arg);
    srres_model *m = (srres_model *)1;
    srres_adam adam = {0};
    srres_error err = {{0}, 0};
    srres_status st = srres_checkpoint_load_memory(e.bytes, e.size, edit_name, &m, &adam, &err);
    if (st == SRRES_OK || !strstr(err.message, needle) || !strstr(err.message, edit_name))
        fail_msg("%s: status %d, message \"%s\"; expected a message naming %s", edit_name, (int)st,
                 err.message, needle);
    assert_int_equal(st, SRRES_ERR_FORMAT);
    assert_null(m);
    assert_null(adam.m);
    assert_null(adam.v);
    assert_null(adam.avg);
    /* Loaded as a model (its average or weights), the damaged file is refused the same way. */
    st = srres_model_load_memory(e.bytes, e.size, edit_name, &m, &err);
    if (st != SRRES_ERR_FORMAT || !strstr(err.message, needle))
        fail_msg("%s as a model: status %d, message \"%s\"; expected a message naming %s",
                 edit_name, (int)st, err.message, needle);
    assert_null(m);
    free(e.bytes);
}

static json_int_t entry_int(json_t *root, const char *name, const char *field, size_t i)
{
    return json_integer_value(
        json_array_get(json_object_get(json_object_get(root, name), field), i));
}

static void set_entry_ints(json_t *root, const char *name, const char *field, size_t i,
                           json_int_t v)
{
    json_array_set_new(json_object_get(json_object_get(root, name), field), i, json_integer(v));
}

/* optimizer.m one value short: shape and byte count both say N - 1. */
static void shorten_m(json_t *root, const void *arg)
{
    set_entry_ints(root, "optimizer.m", "shape", 0, entry_int(root, "optimizer.m", "shape", 0) - 1);
    set_entry_ints(root, "optimizer.m", "data_offsets", 1,
                   entry_int(root, "optimizer.m", "data_offsets", 1) - 4);
}

/* optimizer.v claims one more value, taken from nowhere: the shape is wrong. */
static void lengthen_v_shape(json_t *root, const void *arg)
{
    set_entry_ints(root, "optimizer.v", "shape", 0, entry_int(root, "optimizer.v", "shape", 0) + 1);
}

static void drop_v(json_t *root, const void *arg)
{
    json_object_del(root, "optimizer.v");
}

static void m_as_i32(json_t *root, const void *arg)
{
    json_object_set_new(json_object_get(root, "optimizer.m"), "dtype", json_string("I32"));
}

static void drop_avg(json_t *root, const void *arg)
{
    json_object_del(root, "optimizer.avg");
}

static void drop_avg_decay(json_t *root, const void *arg)
{
    json_object_del(json_object_get(root, "__metadata__"), "optimizer.avg_decay");
}

/* arg: {key, value}, the metadata value set. */
static void set_metadata_value(json_t *root, const void *arg)
{
    const char *const *kv = arg;
    json_object_set_new(json_object_get(root, "__metadata__"), kv[0], json_string(kv[1]));
}

/* A checkpoint whose metadata `key` says `value` is rejected, naming the key. */
static void expect_value_rejected(const char *edit_name, const char *key, const char *value)
{
    const char *kv[2] = {key, value};
    char needle[64];
    snprintf(needle, sizeof(needle), "'%s'", key);
    expect_rejected(edit_name, set_metadata_value, kv, needle);
}

static void no_edit(json_t *root, const void *arg)
{
}

/* The control: reassembly alone keeps a checkpoint valid, so the rejections below are the
 * edits' doing. */
static void test_reassembled_checkpoint_loads(void **state)
{
    char path[128];
    save_state("control.ckpt", path, sizeof(path), 0);
    edited e = edit_header(path, no_edit, NULL);
    srres_model *m;
    srres_adam adam;
    srres_error err;
    if (srres_checkpoint_load_memory(e.bytes, e.size, "control", &m, &adam, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    assert_int_equal(adam.step, 123456789012LL);
    srres_adam_release(&adam);
    srres_model_free(m);
    free(e.bytes);
}

static void test_short_optimizer_tensor_is_rejected(void **state)
{
    expect_rejected("short_m.ckpt", shorten_m, NULL, "'optimizer.m'");
}

static void test_optimizer_tensor_of_wrong_shape_is_rejected(void **state)
{
    expect_rejected("long_v.ckpt", lengthen_v_shape, NULL, "'optimizer.v'");
}

static void test_missing_second_moment_is_named(void **state)
{
    expect_rejected("no_v.ckpt", drop_v, NULL, "'optimizer.v'");
}

static void test_optimizer_tensor_must_be_floats(void **state)
{
    expect_rejected("m_i32.ckpt", m_as_i32, NULL, "'optimizer.m' has dtype I32");
}

static void test_negative_step_is_rejected(void **state)
{
    expect_value_rejected("bad_step.ckpt", "optimizer.step", "-3");
}

/* A step the next update would overflow (signed overflow in srres_adam_update) is refused. */
static void test_step_near_int64_max_is_rejected(void **state)
{
    expect_value_rejected("huge_step.ckpt", "optimizer.step", "9223372036854775807");
    expect_value_rejected("huge_step2.ckpt", "optimizer.step", "9007199254740993");
}

static void test_average_needs_its_decay_and_the_decay_its_average(void **state)
{
    expect_rejected("no_avg.ckpt", drop_avg, NULL, "'optimizer.avg'");
    expect_rejected("no_avg_decay.ckpt", drop_avg_decay, NULL, "'optimizer.avg_decay'");
}

static void test_average_decay_must_be_inside_0_1(void **state)
{
    expect_value_rejected("avg_decay_one.ckpt", "optimizer.avg_decay", "1");
    expect_value_rejected("avg_decay_text.ckpt", "optimizer.avg_decay", "0.99x");
}

/* Adam's settings a file brings are checked as saving checks them: an eps of 0 divides 0
 * by 0 wherever the second moment is 0. */
static void test_adam_settings_out_of_range_are_rejected(void **state)
{
    expect_value_rejected("eps_zero.ckpt", "optimizer.eps", "0");
    expect_value_rejected("beta1_one.ckpt", "optimizer.beta1", "1");
    expect_value_rejected("beta2_negative.ckpt", "optimizer.beta2", "-0.1");
}

static void test_missing_path_is_io_error(void **state)
{
    char path[128];
    tmp_path(path, sizeof(path), "does-not-exist.ckpt");
    srres_model *m;
    srres_adam adam;
    srres_error err;
    memset(&adam, 0xab, sizeof(adam)); /* a caller's uninitialised state */
    assert_int_equal(srres_checkpoint_load(path, &m, &adam, &err), SRRES_ERR_IO);
    assert_non_null(strstr(err.message, path));
    assert_null(m);
    /* Left empty, so releasing it on the error path is safe. */
    assert_null(adam.m);
    assert_int_equal(adam.n, 0);
    srres_adam_release(&adam);
}

/* Adam's settings come back as they were, to the limits Adam allows (beta1 = 0, as GAN
 * recipes use; a large eps); settings (and steps) a checkpoint could not load back are
 * refused when saving, not found out at the resume. */
static void test_adam_settings_at_their_limits_round_trip(void **state)
{
    srres_model *m, *back;
    srres_adam adam, got;
    srres_error err;
    char path[128];
    make_state(&m, &adam, 9);
    adam.beta1 = 0.0f;
    adam.beta2 = 0.5f;
    adam.eps = 1.0f;
    tmp_path(path, sizeof(path), "limits.ckpt");
    if (srres_checkpoint_save(m, &adam, path, &err) != SRRES_OK)
        fail_msg("save: %s", err.message);
    if (srres_checkpoint_load(path, &back, &got, &err) != SRRES_OK)
        fail_msg("load: %s", err.message);
    assert_true(got.beta1 == 0.0f && got.beta2 == 0.5f && got.eps == 1.0f);
    srres_adam_release(&got);
    srres_model_free(back);
    const float bad[][3] = {{1.0f, 0.999f, 1e-8f}, {0.9f, -0.1f, 1e-8f}, {0.9f, 0.999f, 0.0f},
                            {0.9f, 0.999f, INFINITY}, {NAN, 0.999f, 1e-8f}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        adam.beta1 = bad[i][0];
        adam.beta2 = bad[i][1];
        adam.eps = bad[i][2];
        assert_int_equal(srres_checkpoint_save(m, &adam, path, &err), SRRES_ERR_INVALID);
        assert_non_null(strstr(err.message, "beta1"));
    }
    adam.beta1 = 0.9f;
    adam.beta2 = 0.999f;
    adam.eps = 1e-8f;
    /* A step the loader refuses: negative (saved as "-3", which did not load) or past 2^53. */
    const int64_t bad_steps[] = {-3, INT64_MAX};
    for (size_t i = 0; i < sizeof(bad_steps) / sizeof(bad_steps[0]); i++) {
        adam.step = bad_steps[i];
        assert_int_equal(srres_checkpoint_save(m, &adam, path, &err), SRRES_ERR_INVALID);
        assert_non_null(strstr(err.message, "step"));
    }
    srres_adam_release(&adam);
    srres_model_free(m);
}

/* The optimizer's metadata keys are the checkpoint's: a caller cannot set one (an
 * "optimizer.avg_decay" without an average made a checkpoint that saved and did not load). */
static void test_optimizer_metadata_is_the_checkpoints_own(void **state)
{
    srres_model *m, *back;
    srres_adam adam, got;
    srres_error err;
    char path[128];
    make_state(&m, &adam, 10);
    assert_int_equal(srres_model_set_metadata(m, "optimizer.avg_decay", "0.5", &err),
                     SRRES_ERR_INVALID);
    assert_non_null(strstr(err.message, "'optimizer.avg_decay'"));
    assert_int_equal(srres_model_set_metadata(m, "optimizer.step", "7", &err),
                     SRRES_ERR_INVALID);
    tmp_path(path, sizeof(path), "meta.ckpt");
    assert_int_equal(srres_checkpoint_save(m, &adam, path, &err), SRRES_OK);
    if (srres_checkpoint_load(path, &back, &got, &err) != SRRES_OK)
        fail_msg("load: %s", err.message);
    assert_true(got.step == adam.step);
    srres_adam_release(&got);
    srres_model_free(back);
    srres_adam_release(&adam);
    srres_model_free(m);
}

/* A released state is empty: saving it is an error, updating it does nothing. */
static void test_released_state_is_empty(void **state)
{
    srres_model *m;
    srres_adam adam;
    srres_error err;
    char path[128];
    make_state(&m, &adam, 11);
    srres_adam_release(&adam);
    srres_adam_release(&adam);
    srres_adam_release(NULL);
    assert_int_equal(adam.n, 0);
    tmp_path(path, sizeof(path), "released.ckpt");
    assert_int_equal(srres_checkpoint_save(m, &adam, path, &err), SRRES_ERR_INVALID);
    srres_adam_update(&adam, srres_model_params(m), srres_model_params(m), 1e-3f);
    srres_model_free(m);
}

/* jansson's allocations fail one after the other: each save either fails, saying so, or
 * writes a checkpoint that loads (an unchecked shape entry once wrote a file whose shapes
 * lost a dimension, reported as saved); a load that runs out says so, not "malformed". */
static long allocations_left;

static void *failing_malloc(size_t n)
{
    return allocations_left-- > 0 ? malloc(n) : NULL;
}

static void test_out_of_memory_in_the_header_never_saves_a_bad_file(void **state)
{
    srres_model *m, *back;
    srres_adam adam, got;
    srres_error err;
    char path[128];
    make_state(&m, &adam, 12);
    make_average(&adam, m, 0.99f);
    tmp_path(path, sizeof(path), "oom.ckpt");
    int failed = 0;
    for (long k = 0;; k++) {
        unlink(path);
        allocations_left = k;
        json_set_alloc_funcs(failing_malloc, free);
        srres_status st = srres_checkpoint_save(m, &adam, path, &err);
        json_set_alloc_funcs(malloc, free);
        if (allocations_left >= 0) { /* none failed: every allocation has been tried */
            assert_int_equal(st, SRRES_OK);
            break;
        }
        if (st != SRRES_OK) {
            assert_int_equal(st, SRRES_ERR_NOMEM);
            assert_int_equal(access(path, F_OK), -1);
            failed++;
            continue;
        }
        if (srres_checkpoint_load(path, &back, &got, &err) != SRRES_OK)
            fail_msg("allocation %ld failed, the save said it worked, and the load says: %s", k,
                     err.message);
        srres_adam_release(&got);
        srres_model_free(back);
    }
    assert_true(failed > 10);
    allocations_left = 0;
    json_set_alloc_funcs(failing_malloc, free);
    srres_status st = srres_checkpoint_load(path, &back, &got, &err);
    json_set_alloc_funcs(malloc, free);
    assert_int_equal(st, SRRES_ERR_NOMEM);
    assert_non_null(strstr(err.message, "out of memory"));
    srres_adam_release(&adam);
    srres_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_keeps_everything),
        cmocka_unit_test(test_checkpoints_are_the_same_in_every_locale),
        cmocka_unit_test(test_round_trip_keeps_the_average),
        cmocka_unit_test(test_compact_checkpoint_rounds_the_state),
        cmocka_unit_test(test_compact_checkpoint_without_average),
        cmocka_unit_test(test_checkpoint_loads_as_its_model),
        cmocka_unit_test(test_model_file_is_not_a_checkpoint),
        cmocka_unit_test(test_save_refuses_adam_of_another_size),
        cmocka_unit_test(test_reassembled_checkpoint_loads),
        cmocka_unit_test(test_short_optimizer_tensor_is_rejected),
        cmocka_unit_test(test_optimizer_tensor_of_wrong_shape_is_rejected),
        cmocka_unit_test(test_missing_second_moment_is_named),
        cmocka_unit_test(test_optimizer_tensor_must_be_floats),
        cmocka_unit_test(test_negative_step_is_rejected),
        cmocka_unit_test(test_step_near_int64_max_is_rejected),
        cmocka_unit_test(test_average_needs_its_decay_and_the_decay_its_average),
        cmocka_unit_test(test_average_decay_must_be_inside_0_1),
        cmocka_unit_test(test_adam_settings_out_of_range_are_rejected),
        cmocka_unit_test(test_missing_path_is_io_error),
        cmocka_unit_test(test_adam_settings_at_their_limits_round_trip),
        cmocka_unit_test(test_optimizer_metadata_is_the_checkpoints_own),
        cmocka_unit_test(test_released_state_is_empty),
        cmocka_unit_test(test_out_of_memory_in_the_header_never_saves_a_bad_file),
    };
    return cmocka_run_group_tests(tests, make_test_tmpdir, remove_test_tmpdir);
}
