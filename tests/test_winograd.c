/* test_winograd.c: the Winograd F(4x4,3x3) kernels (AVX-512 and AVX2 + FMA) against a plain
 * double-precision 3x3 convolution, on sizes that end mid-tile and on single pixels, with
 * every epilogue (bias, PReLU, residual, pixel shuffle x2 and x3) and partial
 * output-channel chunks; and the two kernels against each other, bit for bit. */
#include <math.h>

#include "cpu.h"
#include "test_util.h"
#include "winograd.h"

static fmap make_map(int h, int w, int pad, int c, srres_rng *rng)
{
    size_t cols = (size_t)((w + 3) / 4 * 4) + 2 * pad + 4;
    size_t rows = (size_t)((h + 3) / 4 * 4) + 2 * pad + 4;
    fmap m = {aligned_alloc(64, rows * cols * c * sizeof(float)), h, w, pad, c, cols * c};
    memset(m.data, 0, rows * cols * c * sizeof(float));
    if (rng)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int k = 0; k < c; k++)
                    fmap_at(&m, y, x)[k] = (float)srres_rng_uniform(rng) * 2 - 1;
    return m;
}

/* out (model channel order) of one pixel, double precision. */
static double ref_conv(const fmap *in, const float *w, const float *bias, int cin, int co,
                       int y, int x)
{
    double s = bias[co];
    for (int ci = 0; ci < cin; ci++)
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
                int sy = y + ky - 1, sx = x + kx - 1;
                if (sy < 0 || sy >= in->h || sx < 0 || sx >= in->w)
                    continue;
                s += (double)w[((co * cin + ci) * 3 + ky) * 3 + kx] * fmap_at(in, sy, sx)[ci];
            }
    return s;
}

/* The kernels of one instruction set. */
typedef struct isa {
    const char *name;
    int (*supported)(void);
    void (*weights)(float *U, const float *weight, int cin, int cout, int cip, int cop,
                    const int *perm);
    size_t (*scratch_floats)(int cip);
    void (*conv)(const fmap *out, const fmap *in, const float *U, int cop,
                 const winograd_epilogue *ep, float *scratch, int ty0, int ty1);
} isa;

static const isa isas[] = {
    {"avx512", cpu_has_avx512, winograd_weights, winograd_scratch_floats, winograd_conv3x3},
    {"avx2", cpu_has_avx2_fma, winograd_weights_avx2, winograd_scratch_floats_avx2,
     winograd_conv3x3_avx2},
};

/* cin, cout live channels; shuffle r (0 = none); prelu and residual on or off; on the
 * kernels of kern. Returns the output map. */
static fmap check_isa(const isa *kern, int h, int w, int cin, int cout, int r, int prelu,
                      int residual)
{
    srres_rng rng;
    srres_rng_seed(&rng, (uint64_t)(h * 1000 + w * 10 + cin + cout + r));
    int cip = fmap_channels(cin), groups = r ? r * r : 1;
    int cpo = fmap_channels(r ? cout / groups : cout), cop = r ? groups * cpo : cpo;
    float *wt = random_floats((size_t)cout * cin * 9, -0.3f, 0.3f, &rng);
    float *bias = random_floats((size_t)cout, -0.5f, 0.5f, &rng);
    float *slope_m = random_floats((size_t)cout, 0.0f, 0.5f, &rng);
    /* Stored channel order: with a shuffle (s, c) -> model channel c r^2 + s. */
    int *perm = malloc(sizeof(int) * cop);
    float *b = aligned_alloc(64, 64 * ((cop * sizeof(float) + 63) / 64));
    float *sl = aligned_alloc(64, 64 * ((cop * sizeof(float) + 63) / 64));
    for (int k = 0; k < cop; k++) {
        int s = k / cpo, c = k % cpo;
        perm[k] = r ? (c < cout / groups ? c * groups + s : -1) : (k < cout ? k : -1);
        b[k] = perm[k] >= 0 ? bias[perm[k]] : 0;
        sl[k] = r ? (c < cout / groups ? slope_m[c] : 0) : (perm[k] >= 0 ? slope_m[perm[k]] : 0);
    }
    float *U = aligned_alloc(64, sizeof(float) * 36 * cip * cop);
    kern->weights(U, wt, cin, cout, cip, cop, perm);
    fmap in = make_map(h, w, 1, cip, &rng);
    for (int y = 0; y < h; y++) /* padding channels must stay zero */
        for (int x = 0; x < w; x++)
            for (int k = cin; k < cip; k++)
                fmap_at(&in, y, x)[k] = 0;
    fmap res = make_map(h, w, 1, cpo, &rng);
    fmap out = make_map(r ? h * r : h, r ? w * r : w, r ? 4 : 1, cpo, NULL);
    winograd_epilogue ep = {b, prelu ? sl : NULL, residual ? &res : NULL, r};
    size_t scratch_bytes = sizeof(float) * kern->scratch_floats(cip);
    float *scratch = aligned_alloc(64, scratch_bytes);
    memset(scratch, 0xff, scratch_bytes); /* NaN: every float read is written first */
    kern->conv(&out, &in, U, cop, &ep, scratch, 0, (h + 3) / 4);
    double worst = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int co = 0; co < cout; co++) {
                double v = ref_conv(&in, wt, bias, cin, co, y, x);
                int c = r ? co / groups : co, s = r ? co % groups : 0;
                if (prelu && v < 0)
                    v *= slope_m[c];
                float got;
                if (r) {
                    got = fmap_at(&out, y * r + s / r, x * r + s % r)[c];
                } else {
                    if (residual)
                        v += fmap_at(&res, y, x)[co];
                    got = fmap_at(&out, y, x)[co];
                }
                double d = fabs(got - v);
                worst = d > worst ? d : worst;
            }
    /* F(4x4,3x3) transforms amplify rounding a little; 1e-4 is still far below 1/255. */
    if (worst > 1e-4)
        fail_msg("%s %dx%d %d->%d shuffle %d: max error %g", kern->name, w, h, cin, cout, r,
                 worst);
    /* The border stays zero (the next layer reads it as padding). */
    for (int x = -1; x <= out.w; x++) {
        assert_true(fmap_at(&out, -1, x)[0] == 0.0f);
        assert_true(fmap_at(&out, out.h, x)[0] == 0.0f);
    }
    free(wt), free(bias), free(slope_m), free(perm), free(b), free(sl), free(U);
    free(in.data), free(res.data), free(scratch);
    return out;
}

/* Each kernel this CPU runs; where it runs both, the same output bits from each (they do
 * the same operations in the same order, lane by lane). */
static void check(int h, int w, int cin, int cout, int r, int prelu, int residual)
{
    fmap out[2] = {{0}};
    int ran = 0;
    for (int i = 0; i < 2; i++)
        if (isas[i].supported()) {
            out[i] = check_isa(&isas[i], h, w, cin, cout, r, prelu, residual);
            ran++;
        }
    if (!ran)
        skip();
    if (ran == 2) {
        size_t floats = (size_t)((out[0].h + 3) / 4 * 4 + 2 * out[0].pad + 4) * out[0].row;
        if (memcmp(out[0].data, out[1].data, floats * sizeof(float)))
            fail_msg("%dx%d %d->%d shuffle %d: the AVX2 output differs from the AVX-512 one",
                     w, h, cin, cout, r);
    }
    free(out[0].data), free(out[1].data);
}

static void test_sizes_ending_mid_tile(void **state)
{
    check(13, 11, 64, 64, 0, 1, 1);
    check(5, 9, 32, 48, 0, 1, 0);
    check(4, 4, 16, 16, 0, 0, 0);
}

static void test_single_pixel_and_single_row(void **state)
{
    check(1, 1, 64, 64, 0, 1, 1);
    check(1, 37, 16, 16, 0, 1, 1);
    check(23, 1, 16, 32, 0, 0, 1);
}

static void test_channels_not_multiple_of_16(void **state)
{
    check(7, 6, 3, 5, 0, 1, 0);
    check(6, 7, 20, 70, 0, 1, 0);
}

static void test_wide_rows_span_tile_blocks(void **state)
{
    check(5, 4 * WINOGRAD_TILE_BLOCK * 2 + 3, 16, 16, 0, 1, 1);
}

static void test_pixel_shuffle_x2_and_x3(void **state)
{
    check(9, 7, 64, 256, 2, 1, 0);
    check(5, 6, 16, 4 * 20, 2, 1, 0);
    check(7, 5, 16, 9 * 16, 3, 1, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_ending_mid_tile),
        cmocka_unit_test(test_single_pixel_and_single_row),
        cmocka_unit_test(test_channels_not_multiple_of_16),
        cmocka_unit_test(test_wide_rows_span_tile_blocks),
        cmocka_unit_test(test_pixel_shuffle_x2_and_x3),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
