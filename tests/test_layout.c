/* test_layout.c: the planar <-> interleaved row conversions (layout.h), AVX-512 and AVX2,
 * block by block as the fast path calls them, against plain loops, on widths and channel
 * counts that end mid-block, padding channels zeroed, and with accumulation. */
#include "cpu.h"
#include "layout.h"
#include "test_util.h"

typedef struct layout_kernels {
    void (*to_pixels)(float *pixels, int stride, const float *planes, size_t plane, int c, int w);
    void (*to_planes)(float *planes, size_t plane, const float *pixels, int stride, int c, int w,
                      int accumulate);
} layout_kernels;

static const layout_kernels avx512 = {layout_block_to_pixels, layout_block_to_planes};
static const layout_kernels avx2 = {layout_block_to_pixels_avx2, layout_block_to_planes_avx2};

static void check_shape(const layout_kernels *K, int c, int pc, int w, srres_rng *rng)
{
    size_t plane = (size_t)w + 5; /* planes further apart than a row, as in a batch */
    float *planes = random_floats((size_t)c * plane, -1, 1, rng);
    float *pixels = random_floats((size_t)w * pc, 5, 6, rng); /* garbage to overwrite */
    for (int c0 = 0; c0 < pc; c0 += 16) {
        int bc = c - c0 < 0 ? 0 : c - c0 > 16 ? 16 : c - c0;
        K->to_pixels(pixels + c0, pc, bc ? planes + c0 * plane : planes, plane, bc, w);
    }
    for (int x = 0; x < w; x++)
        for (int ch = 0; ch < pc; ch++) {
            float want = ch < c ? planes[ch * plane + x] : 0.0f;
            if (pixels[x * pc + ch] != want)
                fail_msg("to pixels, c %d pc %d w %d: pixel %d channel %d is %g, not %g", c,
                         pc, w, x, ch, pixels[x * pc + ch], want);
        }

    float *back = random_floats((size_t)c * plane, -1, 1, rng);
    float *before = malloc(sizeof(float) * c * plane);
    memcpy(before, back, sizeof(float) * c * plane);
    for (int x = 0; x < w; x++) /* distinct values, so a misplaced one shows */
        for (int ch = 0; ch < pc; ch++)
            pixels[x * pc + ch] = (float)(x * 1000 + ch);
    for (int acc = 0; acc < 2; acc++) {
        memcpy(back, before, sizeof(float) * c * plane);
        for (int c0 = 0; c0 < c; c0 += 16)
            K->to_planes(back + c0 * plane, plane, pixels + c0, pc, c - c0 > 16 ? 16 : c - c0, w,
                         acc);
        for (int ch = 0; ch < c; ch++)
            for (int x = 0; x < w; x++) {
                float want = (acc ? before[ch * plane + x] : 0.0f) + (float)(x * 1000 + ch);
                if (back[ch * plane + x] != want)
                    fail_msg("to planes (accumulate %d), c %d w %d: channel %d x %d is %g, "
                             "not %g", acc, c, w, ch, x, back[ch * plane + x], want);
            }
    }
    for (int ch = 0; ch < c; ch++) /* nothing past w is written */
        for (size_t x = (size_t)w; x < plane; x++)
            assert_true(back[ch * plane + x] == before[ch * plane + x]);
    free(planes), free(pixels), free(back), free(before);
}

static void check_shapes(const layout_kernels *K)
{
    srres_rng rng;
    srres_rng_seed(&rng, 3);
    const int cs[] = {1, 3, 15, 16, 17, 64, 70};
    const int ws[] = {1, 7, 16, 17, 24, 33, 48};
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++)
        for (size_t j = 0; j < sizeof(ws) / sizeof(ws[0]); j++)
            check_shape(K, cs[i], (cs[i] + 15) & ~15, ws[j], &rng);
    check_shape(K, 3, 32, 20, &rng); /* more padding channels than one block */
}

static void test_rows_convert_both_ways(void **state)
{
    if (!cpu_has_avx512())
        skip();
    check_shapes(&avx512);
}

static void test_rows_convert_both_ways_avx2(void **state)
{
    if (!cpu_has_avx2_fma())
        skip();
    check_shapes(&avx2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_convert_both_ways),
        cmocka_unit_test(test_rows_convert_both_ways_avx2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
