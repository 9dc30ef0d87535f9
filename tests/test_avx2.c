/* test_avx2.c: the AVX2 + FMA fast path (SRRES_KERNEL_AVX2) as a whole: against PyTorch's
 * output at every scale, untiled and tiled; against the baseline and the AVX-512 path on
 * odd sizes, with and without the self-ensemble; and refused where it cannot run. And the
 * AVX2 PReLU plane kernels the layers use on such CPUs, against the plain loops. */
#include <math.h>

#include "cpu.h"
#include "layers.h"
#include "test_util.h"

/* out [3][h s][w s] of in [3][h][w] planes on the given path; NULL if the context is
 * refused (a path this CPU lacks). */
static float *upscale(srres_model *m, srres_kernel kernel, int tile, int ensemble, const float *in,
                      int w, int h)
{
    int s = srres_model_config(m)->scale;
    srres_params p = srres_default_params();
    p.kernel = kernel;
    p.tile = tile;
    p.ensemble = ensemble;
    p.threads = 2;
    srres_ctx *ctx;
    srres_error err;
    srres_status st = srres_ctx_create(m, &p, &ctx, &err);
    if (st == SRRES_ERR_UNSUPPORTED)
        return NULL;
    if (st != SRRES_OK)
        fail_msg("%s", err.message);
    size_t P = (size_t)w * h;
    float *out = malloc(sizeof(float) * 3 * P * s * s), *src = malloc(sizeof(float) * 3 * P);
    assert_true(out && src);
    memcpy(src, in, sizeof(float) * 3 * P);
    srres_image a = planar_f32_image(src, w, h), b = planar_f32_image(out, w * s, h * s);
    if (srres_upscale(ctx, &a, &b, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    srres_ctx_free(ctx);
    free(src);
    return out;
}

static double max_difference(const float *a, const float *b, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++)
        d = fmax(d, fabs((double)a[i] - b[i]));
    return d;
}

/* PyTorch's FP32 output of the fixtures (tests/fixtures/make_fixtures.py), with the bounds
 * test_network_torch.c holds the AVX-512 path to: within 1/255 everywhere, and the same
 * 8-bit value on >= 99.9 % of values. */
static void check_pytorch(int tile)
{
    if (!cpu_has_avx2_fma())
        skip();
    char names[16][64], path[256];
    int ws[16], hs[16], n = 0;
    snprintf(path, sizeof(path), "%s/cases.txt", FIXTURES);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (n < 16 && fscanf(f, "%63s %d %d", names[n], &ws[n], &hs[n]) == 3)
        n++;
    fclose(f);
    assert_true(n >= 5);
    for (int i = 0; i < n; i++) {
        size_t size;
        snprintf(path, sizeof(path), "%s/%s.safetensors", FIXTURES, names[i]);
        srres_model *m = load_model(path);
        int s = srres_model_config(m)->scale, w = ws[i], h = hs[i];
        size_t P = (size_t)w * h, Q = P * s * s;
        snprintf(path, sizeof(path), "%s/%s.in.rgb", FIXTURES, names[i]);
        uint8_t *rgb = read_file(path, &size);
        assert_int_equal(size, 3 * P);
        snprintf(path, sizeof(path), "%s/%s.out.f32", FIXTURES, names[i]);
        float *expect = read_file(path, &size);
        assert_int_equal(size, sizeof(float) * 3 * Q);
        float *in = malloc(sizeof(float) * 3 * P);
        assert_non_null(in);
        for (size_t k = 0; k < P; k++)
            for (int c = 0; c < 3; c++)
                in[c * P + k] = rgb[3 * k + c] / 255.0f;
        float *out = upscale(m, SRRES_KERNEL_AVX2, tile, 1, in, w, h);
        assert_non_null(out);
        double worst = 0;
        long off = 0;
        for (size_t k = 0; k < 3 * Q; k++) {
            float e = expect[k] < 0 ? 0 : expect[k] > 1 ? 1 : expect[k];
            worst = fmax(worst, fabs((double)out[k] - e));
            off += floorf(e * 255.0f + 0.5f) != floorf(out[k] * 255.0f + 0.5f);
        }
        print_message("%s (avx2, tile %d): max |diff| %.2e, 8-bit values off: %ld of %zu\n",
                      names[i], tile, worst, off, 3 * Q);
        if (worst >= 1.0 / 255.0 || off * 1000 > (long)(3 * Q))
            fail_msg("%s, tile %d: max |diff| %g, %ld of %zu 8-bit values off", names[i], tile,
                     worst, off, 3 * Q);
        free(rgb), free(expect), free(in), free(out);
        srres_model_free(m);
    }
}

static void test_matches_pytorch_untiled(void **state)
{
    check_pytorch(-1);
}

static void test_matches_pytorch_tiled(void **state)
{
    check_pytorch(3);
}

/* Odd sizes at x2 and x4 (with the image skip), untiled, tiled, and with the self-ensemble
 * of 8 (whose transposes swap the sides): the baseline's output to within 1e-5, as the
 * ensemble's own transforms must commute (test_ensemble.c); where the CPU has AVX-512,
 * its output to within 3e-6: the head and the 3x3 convs are the same bits, the Winograd
 * tail sums its channels 8 to a lane where AVX-512 sums 16 (1.3e-6 apart on x4_16x64). */
static void test_matches_baseline_and_avx512(void **state)
{
    if (!cpu_has_avx2_fma())
        skip();
    static const char *models[] = {"x2_seed", "x4_skip_bf16", "x4_16x64"};
    static const struct {
        int tile, ensemble;
    } runs[] = {{-1, 1}, {12, 1}, {-1, 8}};
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s.safetensors", FIXTURES, models[i]);
        srres_model *m = load_model(path);
        int s = srres_model_config(m)->scale, w = 29, h = 19;
        size_t n = (size_t)3 * w * h * s * s;
        srres_rng rng;
        srres_rng_seed(&rng, 17);
        float *in = random_floats((size_t)3 * w * h, 0, 1, &rng);
        for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
            int tile = runs[r].tile, ens = runs[r].ensemble;
            float *avx2 = upscale(m, SRRES_KERNEL_AVX2, tile, ens, in, w, h);
            float *base = upscale(m, SRRES_KERNEL_BASELINE, tile, ens, in, w, h);
            double d = max_difference(avx2, base, n);
            print_message("%s tile %d ensemble %d: avx2 - baseline %.2e\n", models[i], tile, ens,
                          d);
            if (d > 1e-5)
                fail_msg("%s tile %d ensemble %d: AVX2 path off the baseline by %g", models[i],
                         tile, ens, d);
            if (cpu_has_avx512()) {
                float *fast = upscale(m, SRRES_KERNEL_AUTO, tile, ens, in, w, h);
                d = max_difference(avx2, fast, n);
                if (d > 3e-6)
                    fail_msg("%s tile %d ensemble %d: AVX2 path off AVX-512 by %g", models[i], tile,
                             ens, d);
                free(fast);
            }
            free(avx2);
            free(base);
        }
        free(in);
        srres_model_free(m);
    }
}

/* bf16 products need AVX512_BF16: the AVX2 path refuses them rather than run FP32. */
static void test_bf16_is_refused(void **state)
{
    srres_model *m = load_model(FIXTURES "/x2_seed.safetensors");
    srres_params p = srres_default_params();
    p.kernel = SRRES_KERNEL_AVX2;
    p.precision = SRRES_PRECISION_BF16;
    srres_ctx *ctx = NULL;
    srres_error err;
    assert_int_equal(srres_ctx_create(m, &p, &ctx, &err), SRRES_ERR_UNSUPPORTED);
    assert_null(ctx);
    srres_model_free(m);
}

/* One plane of n floats (and a guard float after it that must stay) through both PReLU
 * plane kernels: y and dx the plain loops' bits (prelu.c's, on CPUs with neither kernel),
 * the slope's gradient theirs to rounding (the kernels multiply g x in float, and add in
 * double in another order); the AVX-512 kernel's too where the CPU has it. */
static void check_prelu_plane(size_t n, float a, srres_rng *rng)
{
    float *x = random_floats(n + 1, -1, 1, rng), *g = random_floats(n + 1, -1, 1, rng);
    float *y = random_floats(n + 1, 5, 6, rng), *dx = random_floats(n + 1, -1, 1, rng);
    float *dx0 = malloc(sizeof(float) * (n + 1)), *want_dx = malloc(sizeof(float) * (n + 1));
    assert_true(dx0 && want_dx);
    if (n > 2)
        x[0] = 0.0f, x[1] = -0.0f, x[2] = -1e-30f; /* the signs the branch tells apart */
    float guard = y[n];
    memcpy(dx0, dx, sizeof(float) * (n + 1));
    double want_ds = 0, magnitude = 0;
    for (size_t i = 0; i < n; i++) {
        want_dx[i] = dx[i] + (x[i] >= 0.0f ? g[i] : a * g[i]);
        if (x[i] < 0.0f) {
            want_ds += (double)g[i] * x[i];
            magnitude += fabs((double)g[i] * x[i]);
        }
    }
    for (int isa = 0; isa < 2; isa++) {
        if (isa == 1 && !cpu_has_avx512())
            break;
        memcpy(dx, dx0, sizeof(float) * (n + 1));
        (isa ? prelu_plane_forward : prelu_plane_forward_avx2)(y, x, a, n);
        double ds = (isa ? prelu_plane_backward : prelu_plane_backward_avx2)(dx, g, x, a, n);
        const char *name = isa ? "avx512" : "avx2";
        for (size_t i = 0; i < n; i++) {
            float want = x[i] >= 0.0f ? x[i] : a * x[i];
            if (memcmp(&y[i], &want, sizeof(float)) || memcmp(&dx[i], &want_dx[i], sizeof(float)))
                fail_msg("%s plane of %zu, float %zu: y %g dx %g, not %g and %g", name, n, i,
                         y[i], dx[i], want, want_dx[i]);
        }
        if (y[n] != guard || dx[n] != dx0[n])
            fail_msg("%s plane of %zu: the float after it was written", name, n);
        if (fabs(ds - want_ds) > 0x1p-24 * magnitude + 1e-15)
            fail_msg("%s plane of %zu: slope gradient %.17g, not %.17g", name, n, ds, want_ds);
    }
    free(x), free(g), free(y), free(dx), free(dx0), free(want_dx);
}

static void test_prelu_planes_match_the_loops(void **state)
{
    if (!cpu_has_avx2_fma())
        skip();
    srres_rng rng;
    srres_rng_seed(&rng, 5);
    static const size_t sizes[] = {1, 3, 7, 8, 9, 15, 16, 17, 100, 1001};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        check_prelu_plane(sizes[i], 0.25f, &rng);
        check_prelu_plane(sizes[i], -0.7f, &rng);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_pytorch_untiled),
        cmocka_unit_test(test_matches_pytorch_tiled),
        cmocka_unit_test(test_matches_baseline_and_avx512),
        cmocka_unit_test(test_bf16_is_refused),
        cmocka_unit_test(test_prelu_planes_match_the_loops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
