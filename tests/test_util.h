/* test_util.h: small helpers shared by the unit tests (header-only, test code only). */
#ifndef SRRES_TEST_UTIL_H
#define SRRES_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "srres.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif

/* A temporary folder for a test file's group of tests: cmocka_run_group_tests(tests,
 * make_test_tmpdir, remove_test_tmpdir), and test_tmpdir() names it in between. */
static inline char *test_tmpdir(void)
{
    static char dir[64];
    return dir;
}

static inline int make_test_tmpdir(void **state)
{
    snprintf(test_tmpdir(), 64, "/tmp/srres-test.XXXXXX");
    return mkdtemp(test_tmpdir()) ? 0 : -1;
}

/* An empty file dir/name, which the test fails without. */
static inline void test_touch(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

static inline int remove_test_tmpdir(void **state)
{
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_tmpdir());
    return system(cmd);
}

/* Reads a whole file; fails the test if it cannot. */
static inline void *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n ? (size_t)n : 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* Loads a model file; fails the test if it cannot. */
static inline srres_model *load_model(const char *path)
{
    srres_model *m;
    srres_error err;
    if (srres_model_load(path, &m, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    return m;
}

static inline float *random_floats(size_t n, float lo, float hi, srres_rng *rng)
{
    float *v = malloc(n * sizeof(float));
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = lo + (hi - lo) * (float)srres_rng_uniform(rng);
    return v;
}

static inline srres_image rgb24_image(uint8_t *data, int w, int h)
{
    return (srres_image){SRRES_PIXEL_RGB24, w, h, {data, NULL, NULL}, {3 * w, 0, 0}};
}

static inline srres_image planar_f32_image(float *data, int w, int h)
{
    size_t plane = (size_t)w * h;
    return (srres_image){SRRES_PIXEL_RGBP_F32, w, h,
                         {data, data + plane, data + 2 * plane},
                         {(ptrdiff_t)(w * sizeof(float)), (ptrdiff_t)(w * sizeof(float)),
                          (ptrdiff_t)(w * sizeof(float))}};
}

#endif
