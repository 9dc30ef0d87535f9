/* test_batchnorm.c: batchnorm_fold against the inference BatchNorm formula
 * y = gamma (conv(x) - mean) / sqrt(var + eps) + beta, applied after a plain double
 * convolution, on random convs of both kernel sizes (and one worked by hand). */
#include <math.h>

#include "batchnorm.h"
#include "test_util.h"

/* out [cout][h][w] = conv(in [cin][h][w]) with zero padding, weights from L; with `mag`,
 * the sum of the terms' magnitudes instead (the scale of the rounding error). */
static void ref_conv(double *out, const double *in, const conv_layer *L, int h, int w, int mag)
{
    int k = L->k, pad = k / 2;
    for (int co = 0; co < L->cout; co++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double s = mag ? fabs(L->bias[co]) : L->bias[co];
                for (int ci = 0; ci < L->cin; ci++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int sy = y + ky - pad, sx = x + kx - pad;
                            if (sy < 0 || sy >= h || sx < 0 || sx >= w)
                                continue;
                            double t = (double)L->weight[((co * L->cin + ci) * k + ky) * k + kx] *
                                       in[(ci * h + sy) * w + sx];
                            s += mag ? fabs(t) : t;
                        }
                out[(co * h + y) * w + x] = s;
            }
}

static void check_fold(int cin, int cout, int k, int h, int w, float eps, srres_rng *rng)
{
    size_t wn = (size_t)cout * cin * k * k;
    conv_layer L = {random_floats(wn, -1, 1, rng), random_floats(cout, -1, 1, rng), cin, cout, k};
    float *gamma = random_floats(cout, -2, 2, rng), *beta = random_floats(cout, -1, 1, rng);
    float *mean = random_floats(cout, -1, 1, rng), *var = random_floats(cout, 0, 3, rng);
    var[0] = 0.0f; /* only eps keeps the root away from zero */
    double *in = malloc(sizeof(double) * cin * h * w);
    double *plain = malloc(sizeof(double) * cout * h * w);
    double *folded = malloc(sizeof(double) * cout * h * w);
    double *mag = malloc(sizeof(double) * cout * h * w);
    assert_non_null(mag);
    assert_non_null(in);
    assert_non_null(plain);
    assert_non_null(folded);
    for (int i = 0; i < cin * h * w; i++)
        in[i] = 2 * srres_rng_uniform(rng) - 1;
    ref_conv(plain, in, &L, h, w, 0);
    batchnorm_fold(&L, gamma, beta, mean, var, eps);
    ref_conv(folded, in, &L, h, w, 0);
    ref_conv(mag, in, &L, h, w, 1);
    for (int co = 0; co < cout; co++)
        for (int i = 0; i < h * w; i++) {
            double y = plain[co * h * w + i];
            double bn = gamma[co] * (y - mean[co]) / sqrt((double)var[co] + eps) + beta[co];
            double got = folded[co * h * w + i];
            /* The folded weights are floats: each term is off by half an ulp at most. */
            if (fabs(got - bn) > 1e-6 * (mag[co * h * w + i] + fabs(beta[co])) + 1e-12)
                fail_msg("cin %d cout %d k %d: channel %d pixel %d: folded conv %.9g, BN %.9g", cin,
                         cout, k, co, i, got, bn);
        }
    free(L.weight), free(L.bias), free(gamma), free(beta), free(mean), free(var);
    free(in), free(plain), free(folded), free(mag);
}

static void test_fold_matches_bn_after_conv(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 11);
    for (int i = 0; i < 12; i++) {
        int cin = 1 + (int)srres_rng_below(&rng, 5), cout = 1 + (int)srres_rng_below(&rng, 5);
        int k = i % 2 ? 9 : 3;
        check_fold(cin, cout, k, 3 + (int)srres_rng_below(&rng, 6),
                   3 + (int)srres_rng_below(&rng, 6), 1e-5f, &rng);
    }
}

static void test_fold_uses_the_given_eps(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 12);
    check_fold(2, 3, 3, 4, 5, 0.5f, &rng);
}

/* One output channel, worked by hand: s = 2 / sqrt(3 + 1) = 1, so W' = W and
 * b' = (0.5 - 0.25) * 1 + 0.125; a second channel with s = -1 / sqrt(0 + 0.25) = -2. */
static void test_fold_by_hand(void **state)
{
    float weight[2 * 1 * 3 * 3] = {1, -2, 3, 0.5f, 0, -1, 2, 4, -3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    float bias[2] = {0.5f, 1.0f};
    conv_layer L = {weight, bias, 1, 2, 3};
    const float gamma[2] = {2, -1}, beta[2] = {0.125f, 3}, mean[2] = {0.25f, -1},
                var[2] = {3.75f, 0};
    batchnorm_fold(&L, gamma, beta, mean, var, 0.25f);
    const float w0[9] = {1, -2, 3, 0.5f, 0, -1, 2, 4, -3};
    for (int i = 0; i < 9; i++) {
        assert_true(weight[i] == w0[i]);
        assert_true(weight[9 + i] == -2.0f);
    }
    assert_true(bias[0] == 0.375f); /* (0.5 - 0.25) * 1 + 0.125 */
    assert_true(bias[1] == -1.0f);  /* (1 - -1) * -2 + 3 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_matches_bn_after_conv),
        cmocka_unit_test(test_fold_uses_the_given_eps),
        cmocka_unit_test(test_fold_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
