/* test_ensemble.c: self-ensemble inference (core/ensemble.c and srres_params.ensemble): the
 * transforms and their inverses, the group property that makes the mean commute with them,
 * and srres_upscale's results with it, on both kernels, tiled and untiled. */
#include <math.h>

#include "ensemble.h"
#include "test_util.h"

/* Planes [c][h][w] whose every value is its own index, so transforms are permutations. */
static float *index_planes(int c, int h, int w)
{
    float *p = malloc(sizeof(float) * c * h * w);
    assert_non_null(p);
    for (int i = 0; i < c * h * w; i++)
        p[i] = (float)i;
    return p;
}

static void test_transform_is_undone_by_accumulate(void **state)
{
    (void)state;
    int c = 2, h = 5, w = 7, n = c * h * w;
    float *src = index_planes(c, h, w), *t = malloc(sizeof(float) * n),
          *back = malloc(sizeof(float) * n);
    assert_non_null(t);
    assert_non_null(back);
    for (int k = 0; k < ENSEMBLE_MAX; k++) {
        memset(back, 0, sizeof(float) * n);
        ensemble_transform(t, src, c, h, w, k);
        ensemble_accumulate(back, t, c, h, w, k);
        assert_memory_equal(back, src, sizeof(float) * n);
        /* on a 5 x 7 plane, only the identity leaves every pixel where it was */
        assert_int_equal(memcmp(t, src, sizeof(float) * n) == 0, k == 0);
    }
    free(src);
    free(t);
    free(back);
}

/* The first n transforms (n = 1, 2, 4, 8) are closed under composition: that is what makes
 * the mean over them commute with each of them. Square planes, so transposes compose. */
static void test_first_n_transforms_form_a_group(void **state)
{
    (void)state;
    int h = 4, w = 4, n = h * w;
    float *src = index_planes(1, h, w);
    float a[16], ab[16], c[ENSEMBLE_MAX][16];
    for (int k = 0; k < ENSEMBLE_MAX; k++)
        ensemble_transform(c[k], src, 1, h, w, k);
    for (int size = 1; size <= ENSEMBLE_MAX; size *= 2)
        for (int i = 0; i < size; i++)
            for (int j = 0; j < size; j++) {
                ensemble_transform(a, src, 1, h, w, i);
                ensemble_transform(ab, a, 1, h, w, j);
                int found = 0;
                for (int k = 0; k < size; k++)
                    found |= !memcmp(ab, c[k], sizeof(float) * n);
                if (!found)
                    fail_msg("transform %d after %d is outside the first %d", j, i, size);
            }
    free(src);
}

/* A small x2 network without the image skip, weights lifted off their init so that one pass
 * is far from symmetric. */
static srres_model *asymmetric_model(void)
{
    srres_config cfg = {2, 2, 8, SRRES_SKIP_NONE, 1};
    srres_model *m;
    srres_error err;
    assert_int_equal(srres_model_create(&cfg, &m, &err), SRRES_OK);
    srres_model_init_random(m, 11);
    float *p = srres_model_params(m);
    srres_rng rng;
    srres_rng_seed(&rng, 12);
    for (size_t i = 0; i < srres_model_num_params(m); i++)
        p[i] += 0.05f * (float)srres_rng_normal(&rng);
    return m;
}

/* out [3][2h][2w] = the model on in [3][h][w] (planar float). */
static void upscale(srres_model *m, int ensemble, srres_kernel kernel, int tile,
                    const float *in, int h, int w, float *out)
{
    srres_params p = srres_default_params();
    p.ensemble = ensemble;
    p.kernel = kernel;
    p.tile = tile;
    p.threads = 2;
    srres_ctx *ctx;
    srres_error err;
    assert_int_equal(srres_ctx_create(m, &p, &ctx, &err), SRRES_OK);
    srres_image a = planar_f32_image((float *)in, w, h), b = planar_f32_image(out, 2 * w, 2 * h);
    if (srres_upscale(ctx, &a, &b, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    srres_ctx_free(ctx);
}

static float max_difference(const float *a, const float *b, size_t n)
{
    float d = 0;
    for (size_t i = 0; i < n; i++)
        d = fmaxf(d, fabsf(a[i] - b[i]));
    return d;
}

/* For every ensemble size and each transform in its group: upscaling the transformed image
 * gives the transformed upscale, to float rounding; with one pass it does not. */
static void check_commutes(srres_kernel kernel)
{
    int h = 9, w = 13, H = 2 * h, W = 2 * w;
    size_t nin = (size_t)3 * h * w, nout = (size_t)3 * H * W;
    srres_model *m = asymmetric_model();
    srres_rng rng;
    srres_rng_seed(&rng, 5);
    float *in = random_floats(nin, 0.2f, 0.8f, &rng), *tin = malloc(sizeof(float) * nin);
    float *out = malloc(sizeof(float) * nout), *tout = malloc(sizeof(float) * nout),
          *expect = malloc(sizeof(float) * nout);
    assert_true(tin && out && tout && expect);
    for (int n = 1; n <= ENSEMBLE_MAX; n *= 2) {
        upscale(m, n, kernel, -1, in, h, w, out);
        for (int k = 1; k < ENSEMBLE_MAX; k++) {
            int tr = ensemble_transposes(k);
            ensemble_transform(tin, in, 3, h, w, k);
            upscale(m, n, kernel, -1, tin, tr ? w : h, tr ? h : w, tout);
            ensemble_transform(expect, out, 3, H, W, k);
            float d = max_difference(tout, expect, nout);
            if (k < n && d > 1e-5f)
                fail_msg("kernel %d, ensemble %d: transform %d is off by %g", (int)kernel, n,
                         k, d);
            if (n == 1 && d < 1e-2f)
                fail_msg("kernel %d: one pass already commutes with transform %d (%g): the "
                         "model cannot show the ensemble's effect", (int)kernel, k, d);
        }
    }
    srres_model_free(m);
    free(in);
    free(tin);
    free(out);
    free(tout);
    free(expect);
}

static void test_mean_commutes_with_its_transforms(void **state)
{
    (void)state;
    check_commutes(SRRES_KERNEL_AUTO);
    check_commutes(SRRES_KERNEL_BASELINE);
}

/* Tiles overlap by the receptive field, so a tiled ensemble equals the untiled one; and 0
 * means 1. */
static void test_tiled_equals_untiled(void **state)
{
    (void)state;
    int h = 21, w = 30;
    size_t nin = (size_t)3 * h * w, nout = nin * 4;
    srres_model *m = asymmetric_model();
    srres_rng rng;
    srres_rng_seed(&rng, 6);
    float *in = random_floats(nin, 0, 1, &rng);
    float *a = malloc(sizeof(float) * nout), *b = malloc(sizeof(float) * nout);
    assert_true(a && b);
    srres_kernel kernels[2] = {SRRES_KERNEL_AUTO, SRRES_KERNEL_BASELINE};
    for (int k = 0; k < 2; k++) {
        upscale(m, 8, kernels[k], -1, in, h, w, a);
        upscale(m, 8, kernels[k], 7, in, h, w, b);
        assert_true(max_difference(a, b, nout) < 1e-5f);
        upscale(m, 1, kernels[k], -1, in, h, w, a);
        upscale(m, 0, kernels[k], -1, in, h, w, b);
        assert_memory_equal(a, b, sizeof(float) * nout);
    }
    srres_model_free(m);
    free(in);
    free(a);
    free(b);
}

static void test_other_sizes_are_refused(void **state)
{
    (void)state;
    srres_model *m = asymmetric_model();
    int bad[] = {-1, 3, 5, 6, 7, 9, 16};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        srres_params p = srres_default_params();
        p.ensemble = bad[i];
        srres_ctx *ctx = NULL;
        srres_error err;
        assert_int_equal(srres_ctx_create(m, &p, &ctx, &err), SRRES_ERR_INVALID);
        assert_null(ctx);
        assert_non_null(strstr(err.message, "is not 1, 2, 4 or 8"));
    }
    srres_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transform_is_undone_by_accumulate),
        cmocka_unit_test(test_first_n_transforms_form_a_group),
        cmocka_unit_test(test_mean_commutes_with_its_transforms),
        cmocka_unit_test(test_tiled_equals_untiled),
        cmocka_unit_test(test_other_sizes_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
