/* test_residual.c: the skip connections: residual_forward (also in place),
 * residual_backward against central finite differences of a + b (L = sum(r * (a + b))),
 * accumulating and with either gradient left out, and nearest_skip_forward against pixel
 * repetition written plainly, for every scale and [C][n][h][w] batches. */
#include <math.h>

#include "layers.h"
#include "test_util.h"

static void test_forward_adds(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 81);
    const size_t n = 37;
    float *a = random_floats(n, -1, 1, &rng), *b = random_floats(n, -1, 1, &rng);
    float *out = malloc(n * sizeof(float));
    assert_non_null(out);
    residual_forward(out, a, b, n);
    for (size_t i = 0; i < n; i++)
        assert_true(out[i] == a[i] + b[i]);
    free(a), free(b), free(out);
}

static void test_forward_in_place(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 82);
    const size_t n = 23;
    float *a = random_floats(n, -1, 1, &rng), *b = random_floats(n, -1, 1, &rng);
    float *a0 = malloc(n * sizeof(float)), *b0 = malloc(n * sizeof(float));
    assert_non_null(a0);
    assert_non_null(b0);
    memcpy(a0, a, n * sizeof(float));
    memcpy(b0, b, n * sizeof(float));
    residual_forward(a, a, b, n); /* out aliases a */
    for (size_t i = 0; i < n; i++)
        assert_true(a[i] == a0[i] + b0[i]);
    residual_forward(b, a0, b, n); /* out aliases b */
    for (size_t i = 0; i < n; i++)
        assert_true(b[i] == a0[i] + b0[i]);
    free(a), free(b), free(a0), free(b0);
}

/* dL/da and dL/db by central differences of L = sum(r * (a + b)), checked for both. */
static void test_backward_matches_finite_differences(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 83);
    const size_t n = 29;
    float *r = random_floats(n, -1, 1, &rng), *da = calloc(n, sizeof(float));
    float *db = calloc(n, sizeof(float));
    double *a = malloc(n * sizeof(double)), *b = malloc(n * sizeof(double));
    assert_non_null(da);
    assert_non_null(db);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        a[i] = 2 * srres_rng_uniform(&rng) - 1;
        b[i] = 2 * srres_rng_uniform(&rng) - 1;
    }
    residual_backward(da, db, r, n);
    for (int which = 0; which < 2; which++) {
        double *v = which ? b : a;
        const float *g = which ? db : da;
        for (size_t i = 0; i < n; i++) {
            const double h = 1e-3;
            double saved = v[i], up = 0, down = 0;
            v[i] = saved + h;
            for (size_t q = 0; q < n; q++)
                up += r[q] * (a[q] + b[q]);
            v[i] = saved - h;
            for (size_t q = 0; q < n; q++)
                down += r[q] * (a[q] + b[q]);
            v[i] = saved;
            assert_true(fabs(g[i] - (up - down) / (2 * h)) < 1e-9);
        }
    }
    free(r), free(da), free(db), free(a), free(b);
}

static void test_backward_accumulates_and_skips_null(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 84);
    const size_t n = 17;
    float *dout = random_floats(n, -1, 1, &rng), *da = random_floats(n, -1, 1, &rng);
    float *db = random_floats(n, -1, 1, &rng);
    float *a0 = malloc(n * sizeof(float)), *b0 = malloc(n * sizeof(float));
    assert_non_null(a0);
    assert_non_null(b0);
    memcpy(a0, da, n * sizeof(float));
    memcpy(b0, db, n * sizeof(float));
    residual_backward(da, NULL, dout, n);
    for (size_t i = 0; i < n; i++)
        assert_true(da[i] == a0[i] + dout[i]);
    residual_backward(NULL, db, dout, n);
    for (size_t i = 0; i < n; i++)
        assert_true(db[i] == b0[i] + dout[i]);
    residual_backward(NULL, NULL, dout, n); /* nothing to do, nothing touched */
    free(dout), free(da), free(db), free(a0), free(b0);
}

/* ---- The nearest image skip -------------------------------------------------------------- */

static void check_nearest_skip(int c, int s, int n, int h, int w, srres_rng *rng)
{
    int H = h * s, W = w * s;
    size_t lr_count = (size_t)c * n * h * w, hr_count = (size_t)c * n * H * W;
    float *lr = random_floats(lr_count, 0, 1, rng), *out = random_floats(hr_count, -1, 1, rng);
    float *before = malloc(hr_count * sizeof(float));
    assert_non_null(before);
    memcpy(before, out, hr_count * sizeof(float));
    nearest_skip_forward(out, lr, c, s, n, h, w);
    for (int ch = 0; ch < c; ch++)
        for (int im = 0; im < n; im++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    size_t o = (((size_t)ch * n + im) * H + y) * W + x;
                    float src = lr[(((size_t)ch * n + im) * h + y / s) * w + x / s];
                    if (out[o] != before[o] + src)
                        fail_msg("c %d s %d n %d h %d w %d: out[%d][%d][%d][%d] is %g, "
                                 "expected %g",
                                 c, s, n, h, w, ch, im, y, x, (double)out[o],
                                 (double)(before[o] + src));
                }
    free(lr), free(out), free(before);
}

static void test_nearest_skip_repeats_each_pixel(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 85);
    static const int scales[] = {2, 3, 4, 8};
    for (int i = 0; i < 4; i++)
        for (int t = 0; t < 4; t++)
            check_nearest_skip(1 + (int)srres_rng_below(&rng, 3), scales[i],
                               1 + (int)srres_rng_below(&rng, 3), 1 + (int)srres_rng_below(&rng, 5),
                               1 + (int)srres_rng_below(&rng, 5), &rng);
}

/* The RGB case the network uses: three channels, a batch of two odd-sized images. */
static void test_nearest_skip_rgb_batch(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 86);
    check_nearest_skip(3, 3, 2, 5, 7, &rng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_adds),
        cmocka_unit_test(test_forward_in_place),
        cmocka_unit_test(test_backward_matches_finite_differences),
        cmocka_unit_test(test_backward_accumulates_and_skips_null),
        cmocka_unit_test(test_nearest_skip_repeats_each_pixel),
        cmocka_unit_test(test_nearest_skip_rgb_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
