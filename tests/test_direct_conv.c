/* test_direct_conv.c: the fast path's 9x9 head (3 -> C, PReLU) and tail (C -> 3), AVX-512
 * and AVX2 + FMA, against plain double-precision convolutions, on widths that leave partial
 * register tiles and column strips, odd row counts, one pixel, and row ranges split as
 * threads split them; and the two heads against each other, bit for bit. */
#include <math.h>

#include "cpu.h"
#include "direct_conv.h"
#include "test_fmap.h"

/* The kernels of one instruction set. */
typedef struct isa {
    const char *name;
    int (*supported)(void);
    void (*head)(const fmap *out, const fmap *in, const float *w, const float *bias,
                 const float *slope, int y0, int y1);
    void (*tail)(float *out, const fmap *in, const float *w, const float *bias, int y0, int y1);
} isa;

static const isa isas[] = {
    {"avx512", cpu_has_avx512, head_conv9x9, tail_conv9x9},
    {"avx2", cpu_has_avx2_fma, head_conv9x9_avx2, tail_conv9x9_avx2},
};

/* Whether this CPU runs neither kernel. */
static int no_kernel(void)
{
    return !isas[0].supported() && !isas[1].supported();
}

/* Returns the output map. */
static fmap check_head_isa(const isa *kern, int h, int w, int cout)
{
    srres_rng rng;
    srres_rng_seed(&rng, (uint64_t)(h * 31 + w + cout));
    int cop = fmap_channels(cout);
    float *wt = random_floats((size_t)cout * 3 * 81, -0.2f, 0.2f, &rng);
    float *bias = aligned_alloc(64, sizeof(float) * cop), *slope = aligned_alloc(64, sizeof(float) * cop);
    for (int k = 0; k < cop; k++) {
        bias[k] = k < cout ? (float)srres_rng_uniform(&rng) - 0.5f : 0;
        slope[k] = k < cout ? (float)srres_rng_uniform(&rng) * 0.5f : 0;
    }
    float *hw = aligned_alloc(64, sizeof(float) * 81 * 3 * cop);
    head_weights(hw, wt, cout, cop);
    fmap in = make_map(h, w, 4, 16, 3, &rng), out = make_map(h, w, 1, cop, 0, NULL);
    kern->head(&out, &in, hw, bias, slope, 0, h / 2); /* two calls, as two threads would */
    kern->head(&out, &in, hw, bias, slope, h / 2, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int co = 0; co < cout; co++) {
                double v = ref9(&in, wt, 3, co, y, x) + bias[co];
                if (v < 0)
                    v *= slope[co];
                if (fabs(fmap_at(&out, y, x)[co] - v) > 1e-5)
                    fail_msg("%s head %dx%d: (%d,%d,%d) %g vs %g", kern->name, w, h, x, y, co,
                             (double)fmap_at(&out, y, x)[co], v);
            }
    free(wt), free(bias), free(slope), free(hw), free(in.data);
    return out;
}

/* Where the CPU runs both heads, the same output bits from each: every lane sums the same
 * products in the same order. */
static void check_head(int h, int w, int cout)
{
    if (no_kernel())
        skip();
    fmap out[2] = {{0}};
    for (int i = 0; i < 2; i++)
        if (isas[i].supported())
            out[i] = check_head_isa(&isas[i], h, w, cout);
    if (out[0].data && out[1].data) {
        size_t floats = fmap_span(h, out[0].pad) * out[0].row;
        if (memcmp(out[0].data, out[1].data, floats * sizeof(float)))
            fail_msg("head %dx%d -> %d: the AVX2 output differs from the AVX-512 one", w, h,
                     cout);
    }
    free(out[0].data), free(out[1].data);
}

static void check_tail_isa(const isa *k, int h, int w, int cin)
{
    srres_rng rng;
    srres_rng_seed(&rng, (uint64_t)(h * 17 + w + cin));
    int cip = fmap_channels(cin);
    float *wt = random_floats((size_t)3 * cin * 81, -0.05f, 0.05f, &rng);
    float bias[3] = {0.1f, -0.2f, 0.3f};
    float *tw = aligned_alloc(64, sizeof(float) * 3 * 81 * cip);
    tail_weights(tw, wt, cin, cip);
    fmap in = make_map(h, w, 4, cip, cin, &rng);
    float *out = malloc(sizeof(float) * 3 * h * w);
    k->tail(out, &in, tw, bias, 0, h / 3);
    k->tail(out, &in, tw, bias, h / 3, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int co = 0; co < 3; co++) {
                double v = ref9(&in, wt, cin, co, y, x) + bias[co];
                double got = out[(size_t)co * h * w + (size_t)y * w + x];
                if (fabs(got - v) > 1e-4)
                    fail_msg("%s tail %dx%d: (%d,%d,%d) %g vs %g", k->name, w, h, x, y, co,
                             got, v);
            }
    free(wt), free(tw), free(in.data), free(out);
}

static void check_tail(int h, int w, int cin)
{
    if (no_kernel())
        skip();
    for (int i = 0; i < 2; i++)
        if (isas[i].supported())
            check_tail_isa(&isas[i], h, w, cin);
}

static void test_head_partial_tiles_and_channels(void **state)
{
    check_head(7, 13, 64);
    check_head(5, 6, 20);
    check_head(1, 1, 16);
}

static void test_head_register_tiles_of_six(void **state)
{
    check_head(3, 6 * 3 + 5, 32); /* the AVX2 head's tiles of 6 pixels, then single ones */
}

static void test_tail_strips_rows_and_edges(void **state)
{
    check_tail(9, 150, 64); /* three column strips, the last partial */
    check_tail(5, 7, 32);   /* odd rows: a single-row block at the end */
    check_tail(1, 1, 16);
    check_tail(6, 11, 5);   /* live channels fewer than a vector */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_partial_tiles_and_channels),
        cmocka_unit_test(test_head_register_tiles_of_six),
        cmocka_unit_test(test_tail_strips_rows_and_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
