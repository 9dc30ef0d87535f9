/* test_pixel_shuffle.c: pixel_shuffle_forward in exactly PyTorch's order,
 * out[c][y*r+i][x*r+j] = in[c*r*r + i*r + j][y][x], per image of a [C][n][h][w] batch, for
 * r = 2 and 3 (by index and on a hand-written example), and pixel_shuffle_backward against
 * central finite differences of that gather (L = sum(r * shuffle(x)), dout = r). */
#include <math.h>

#include "layers.h"
#include "test_util.h"

/* Index of in[ch][im][y][x] in a [channels][n][h][w] array. */
static size_t at(int ch, int im, int y, int x, int n, int h, int w)
{
    return (((size_t)ch * n + im) * h + y) * w + x;
}

/* The shuffle written from its definition, in double. */
static void ref_shuffle(double *out, const double *in, int c, int r, int n, int h, int w)
{
    for (int ch = 0; ch < c; ch++)
        for (int im = 0; im < n; im++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    for (int i = 0; i < r; i++)
                        for (int j = 0; j < r; j++)
                            out[at(ch, im, y * r + i, x * r + j, n, h * r, w * r)] =
                                in[at(ch * r * r + i * r + j, im, y, x, n, h, w)];
}

static void check_forward(int r, uint64_t seed)
{
    srres_rng rng;
    srres_rng_seed(&rng, seed);
    for (int t = 0; t < 20; t++) {
        int c = 1 + (int)srres_rng_below(&rng, 4), n = 1 + (int)srres_rng_below(&rng, 3);
        int h = 1 + (int)srres_rng_below(&rng, 6), w = 1 + (int)srres_rng_below(&rng, 6);
        size_t count = (size_t)c * r * r * n * h * w;
        float *in = random_floats(count, -1, 1, &rng), *out = malloc(count * sizeof(float));
        double *ind = malloc(count * sizeof(double)), *ref = malloc(count * sizeof(double));
        assert_non_null(out);
        assert_non_null(ind);
        assert_non_null(ref);
        for (size_t i = 0; i < count; i++)
            ind[i] = in[i];
        for (size_t i = 0; i < count; i++)
            out[i] = NAN; /* every output must be written */
        pixel_shuffle_forward(out, in, c, r, n, h, w);
        ref_shuffle(ref, ind, c, r, n, h, w);
        for (size_t i = 0; i < count; i++)
            if (!(out[i] == ref[i]))
                fail_msg("r %d c %d n %d h %d w %d: output %zu is %g, expected %g", r, c, n, h, w,
                         i, (double)out[i], ref[i]);
        free(in), free(out), free(ind), free(ref);
    }
}

static void test_forward_r2_is_pytorch_order(void **state)
{
    check_forward(2, 71);
}

static void test_forward_r3_is_pytorch_order(void **state)
{
    check_forward(3, 72);
}

/* torch.nn.functional.pixel_shuffle(torch.arange(8.).reshape(1, 8, 1, 1), 2): two output
 * channels of 2x2, [[0, 1], [2, 3]] and [[4, 5], [6, 7]]; and with 1x2 images, each channel's
 * two pixels side by side. */
static void test_forward_hand_example(void **state)
{
    float in[8], out[8];
    for (int i = 0; i < 8; i++)
        in[i] = (float)i;
    pixel_shuffle_forward(out, in, 2, 2, 1, 1, 1);
    const float expect[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    assert_memory_equal(out, expect, sizeof(expect));

    /* in [4][1][1][2] = channel k holds {10k, 10k+1}; out [1][1][2][4] */
    float in2[8] = {0, 1, 10, 11, 20, 21, 30, 31}, out2[8];
    pixel_shuffle_forward(out2, in2, 1, 2, 1, 1, 2);
    const float expect2[8] = {0, 10, 1, 11, 20, 30, 21, 31};
    assert_memory_equal(out2, expect2, sizeof(expect2));
}

/* r = 3 with a batch of two 1x1 images: image 1's nine channels land in its own 3x3. */
static void test_forward_hand_example_r3_batch(void **state)
{
    float in[18], out[18];
    for (int k = 0; k < 9; k++) {
        in[2 * k] = (float)k;             /* channel k, image 0 */
        in[2 * k + 1] = (float)(k + 100); /* channel k, image 1 */
    }
    pixel_shuffle_forward(out, in, 1, 3, 2, 1, 1);
    for (int k = 0; k < 9; k++) {
        assert_true(out[k] == (float)k);
        assert_true(out[9 + k] == (float)(k + 100));
    }
}

/* ---- Backward ---------------------------------------------------------------------------- */

static double objective(const double *in, const float *rw, int c, int r, int n, int h, int w,
                        double *scratch)
{
    size_t count = (size_t)c * r * r * n * h * w;
    ref_shuffle(scratch, in, c, r, n, h, w);
    double L = 0;
    for (size_t i = 0; i < count; i++)
        L += rw[i] * scratch[i];
    return L;
}

static void check_backward(int r, uint64_t seed)
{
    srres_rng rng;
    srres_rng_seed(&rng, seed);
    for (int t = 0; t < 12; t++) {
        int c = 1 + (int)srres_rng_below(&rng, 3), n = 1 + (int)srres_rng_below(&rng, 3);
        int h = 1 + (int)srres_rng_below(&rng, 5), w = 1 + (int)srres_rng_below(&rng, 5);
        size_t count = (size_t)c * r * r * n * h * w;
        float *rw = random_floats(count, -1, 1, &rng), *dinp = calloc(count, sizeof(float));
        double *in = malloc(count * sizeof(double)), *scratch = malloc(count * sizeof(double));
        assert_non_null(dinp);
        assert_non_null(in);
        assert_non_null(scratch);
        for (size_t i = 0; i < count; i++)
            in[i] = 2 * srres_rng_uniform(&rng) - 1;
        pixel_shuffle_backward(dinp, rw, c, r, n, h, w);
        for (size_t i = 0; i < count; i++) {
            const double step = 1e-3;
            double saved = in[i];
            in[i] = saved + step;
            double up = objective(in, rw, c, r, n, h, w, scratch);
            in[i] = saved - step;
            double down = objective(in, rw, c, r, n, h, w, scratch);
            in[i] = saved;
            double fd = (up - down) / (2 * step);
            if (!(fabs(dinp[i] - fd) <= 1e-6))
                fail_msg("r %d c %d n %d h %d w %d: dinp[%zu] %g, finite difference %g", r, c, n, h,
                         w, i, (double)dinp[i], fd);
        }
        free(rw), free(dinp), free(in), free(scratch);
    }
}

static void test_backward_r2_matches_finite_differences(void **state)
{
    check_backward(2, 73);
}

static void test_backward_r3_matches_finite_differences(void **state)
{
    check_backward(3, 74);
}

static void test_backward_accumulates(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 75);
    const int c = 2, r = 2, n = 2, h = 3, w = 5;
    size_t count = (size_t)c * r * r * n * h * w;
    float *dout = random_floats(count, -1, 1, &rng), *d0 = calloc(count, sizeof(float));
    float *d1 = random_floats(count, -1, 1, &rng), *init = malloc(count * sizeof(float));
    assert_non_null(d0);
    assert_non_null(init);
    memcpy(init, d1, count * sizeof(float));
    pixel_shuffle_backward(d0, dout, c, r, n, h, w);
    pixel_shuffle_backward(d1, dout, c, r, n, h, w);
    for (size_t i = 0; i < count; i++)
        assert_true(d1[i] == init[i] + d0[i]);
    free(dout), free(d0), free(d1), free(init);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_r2_is_pytorch_order),
        cmocka_unit_test(test_forward_r3_is_pytorch_order),
        cmocka_unit_test(test_forward_hand_example),
        cmocka_unit_test(test_forward_hand_example_r3_batch),
        cmocka_unit_test(test_backward_r2_matches_finite_differences),
        cmocka_unit_test(test_backward_r3_matches_finite_differences),
        cmocka_unit_test(test_backward_accumulates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
