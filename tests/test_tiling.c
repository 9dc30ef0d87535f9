/* test_tiling.c: automatic tiles keep what a context holds for a frame within max_memory
 * (to the pages around its buffers), for thin frames too, whose regions are mostly the
 * feature maps' borders; sizes no memory holds are tiled, never taken for small by a
 * product that wraps; the fast path's tiles of its upsampling stages change no output. */
#include <malloc.h>
#include <unistd.h>

#include "cpu.h"
#include "fast_forward.h"
#include "memory.h"
#include "test_util.h"

static srres_ctx *context_with(const char *path, srres_model **m, size_t max_memory,
                               srres_kernel kernel, int threads)
{
    srres_error err;
    *m = load_model(path);
    srres_params p = srres_default_params();
    p.threads = threads;
    p.max_memory = max_memory;
    p.kernel = kernel;
    srres_ctx *ctx;
    if (srres_ctx_create(*m, &p, &ctx, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    return ctx;
}

static srres_ctx *context(const char *path, srres_model **m, size_t max_memory)
{
    return context_with(path, m, max_memory, SRRES_KERNEL_AUTO, 1);
}

/* Resident bytes of the process (buffers are zeroed as allocated, so they are resident). */
static size_t resident(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &pages, &rss), 2);
    fclose(f);
    return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

/* Bytes the context keeps resident after upscaling a w x h frame (its buffers grow, never
 * shrink), the frames themselves not counted. */
static size_t held_after(srres_ctx *ctx, int w, int h)
{
    uint8_t *in = calloc((size_t)w * h, 3), *out = calloc((size_t)w * h * 4, 3);
    assert_true(in && out);
    memset(in, 128, (size_t)w * h * 3);
    memset(out, 0, (size_t)w * h * 12);
    srres_image a = rgb24_image(in, w, h), b = rgb24_image(out, 2 * w, 2 * h);
    size_t before = resident();
    srres_error err;
    if (srres_upscale(ctx, &a, &b, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    size_t after = resident();
    free(in);
    free(out);
    return after > before ? after - before : 0;
}

static void test_thin_frames_stay_within_the_budget(void **state)
{
    const size_t budget = 32 << 20;
    const int sizes[][2] = {{1, 40000}, {40000, 1}, {3, 20000}, {300, 200}};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        srres_model *m;
        srres_ctx *ctx = context(FIXTURES "/x2_seed.safetensors", &m, budget);
        size_t held = held_after(ctx, sizes[i][0], sizes[i][1]);
        print_message("%dx%d: tile %d, %zu KiB held\n", sizes[i][0], sizes[i][1],
                      srres_ctx_tile_size(ctx, sizes[i][0], sizes[i][1]), held >> 10);
        assert_true(held <= budget + budget / 10); /* pages around the buffers' ends */
        srres_ctx_free(ctx);
        srres_model_free(m);
    }
}

/* The baseline kernel's scratch (a fixed floor for its im2col chunks) counts too. */
static void test_baseline_stays_within_the_budget(void **state)
{
    const size_t budget = 48 << 20;
    srres_model *m;
    srres_ctx *ctx = context_with(FIXTURES "/x2_seed.safetensors", &m, budget,
                                  SRRES_KERNEL_BASELINE, 1);
    size_t held = held_after(ctx, 600, 400);
    print_message("baseline 600x400: tile %d, %zu KiB held\n", srres_ctx_tile_size(ctx, 600, 400),
                  held >> 10);
    assert_true(held <= budget + budget / 10);
    srres_ctx_free(ctx);
    srres_model_free(m);
}

/* Above that floor, each thread holds im2col rows as wide as the region (the 9x9 tail's are
 * 81 x channels floats a pixel of an HR row): wide frames on two threads, on both kernels
 * (the fast one keeps Winograd scratch per thread). Regions were chosen as if one thread
 * ran them with the floor alone: 2x the budget held. */
static void test_scratch_of_every_thread_counts(void **state)
{
    const size_t budget = 64 << 20;
    const srres_kernel kernels[] = {SRRES_KERNEL_BASELINE, SRRES_KERNEL_AUTO};
    for (int k = 0; k < 2; k++) {
        srres_model *m;
        srres_ctx *ctx =
            context_with(FIXTURES "/x2_seed.safetensors", &m, budget, kernels[k], 2);
        size_t held = held_after(ctx, 20000, 6);
        print_message("%s 20000x6, 2 threads: tile %d, %zu KiB held\n",
                      k ? "auto" : "baseline", srres_ctx_tile_size(ctx, 20000, 6), held >> 10);
        assert_true(held <= budget + budget / 10);
        srres_ctx_free(ctx);
        srres_model_free(m);
    }
}

static void test_small_frames_are_whole_and_huge_ones_tiled(void **state)
{
    srres_model *m;
    srres_ctx *ctx = context("samples/x2-fast.safetensors", &m, 0);
    assert_int_equal(srres_ctx_tile_size(ctx, 640, 360), 0);
    assert_true(srres_ctx_tile_size(ctx, 60000012, 1000) > 0);
    /* Its sides times the cost of a pixel once wrapped around 2^64 to a few floats. */
    assert_true(srres_ctx_tile_size(ctx, 60000012, 1071239279) > 0);
    assert_true(srres_ctx_tile_size(ctx, 1, 2000000000) > 0);
    srres_ctx_free(ctx);
    srres_model_free(m);
}

/* float planes of a w x h image, scale s larger for the output. */
static float *upscale_planes(srres_ctx *ctx, const float *in, int w, int h, int s)
{
    size_t P = (size_t)w * h, Q = P * s * s;
    float *out = malloc(sizeof(float) * 3 * Q);
    assert_non_null(out);
    srres_image a = {SRRES_PIXEL_RGBP_F32, w, h,
                     {(float *)in, (float *)in + P, (float *)in + 2 * P},
                     {(ptrdiff_t)sizeof(float) * w, (ptrdiff_t)sizeof(float) * w,
                      (ptrdiff_t)sizeof(float) * w}};
    srres_image b = {SRRES_PIXEL_RGBP_F32, w * s, h * s,
                     {out, out + Q, out + 2 * Q},
                     {(ptrdiff_t)sizeof(float) * w * s, (ptrdiff_t)sizeof(float) * w * s,
                      (ptrdiff_t)sizeof(float) * w * s}};
    srres_error err;
    if (srres_upscale(ctx, &a, &b, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    return out;
}

/* What srres.h says of threads: at a given tile size (untiled, or a set one), one thread and
 * three give the same output bit for bit, on every path, with and without the ensemble. */
static void test_thread_count_changes_no_output_bit(void **state)
{
    static const struct {
        srres_kernel kernel;
        srres_precision precision;
        int tile, ensemble;
    } cases[] = {
        {SRRES_KERNEL_AUTO, SRRES_PRECISION_FP32, -1, 1},
        {SRRES_KERNEL_AUTO, SRRES_PRECISION_FP32, 12, 2},
        {SRRES_KERNEL_AUTO, SRRES_PRECISION_BF16, 12, 1},
        {SRRES_KERNEL_AVX2, SRRES_PRECISION_FP32, -1, 1},
        {SRRES_KERNEL_AVX2, SRRES_PRECISION_FP32, 12, 2},
        {SRRES_KERNEL_BASELINE, SRRES_PRECISION_FP32, -1, 1},
        {SRRES_KERNEL_BASELINE, SRRES_PRECISION_FP32, 12, 2},
    };
    srres_model *m = load_model(FIXTURES "/x4_skip_bf16.safetensors");
    int s = srres_model_config(m)->scale, w = 37, h = 23;
    float *in = malloc(sizeof(float) * 3 * w * h);
    assert_non_null(in);
    srres_rng rng;
    srres_rng_seed(&rng, 11);
    for (int k = 0; k < 3 * w * h; k++)
        in[k] = (float)srres_rng_uniform(&rng);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        if ((cases[c].precision == SRRES_PRECISION_BF16 && !cpu_has_avx512_bf16()) ||
            (cases[c].kernel == SRRES_KERNEL_AVX2 && !cpu_has_avx2_fma()))
            continue;
        float *out[2];
        for (int t = 0; t < 2; t++) {
            srres_params p = srres_default_params();
            p.threads = t ? 3 : 1;
            p.kernel = cases[c].kernel;
            p.precision = cases[c].precision;
            p.tile = cases[c].tile;
            p.ensemble = cases[c].ensemble;
            srres_ctx *ctx;
            srres_error err;
            if (srres_ctx_create(m, &p, &ctx, &err) != SRRES_OK)
                fail_msg("%s", err.message);
            out[t] = upscale_planes(ctx, in, w, h, s);
            srres_ctx_free(ctx);
        }
        for (size_t k = 0; k < (size_t)3 * w * h * s * s; k++)
            if (memcmp(&out[0][k], &out[1][k], sizeof(float)))
                fail_msg("case %zu: output %zu is %.9g with 1 thread, %.9g with 3", c, k,
                         out[0][k], out[1][k]);
        free(out[0]);
        free(out[1]);
    }
    free(in);
    srres_model_free(m);
}

/* The fast path's upsampling stages and tail run on tiles of the trunk's output with a halo;
 * tiles of 4 and 8 LR pixels (the halo larger than the tile, regions ending mid-tile) give
 * the untiled output (up tile 0) bit for bit, at every scale and with the image skip, on the
 * kernels of isa. */
static void check_upsampling_tiles(fast_isa isa)
{
    static const char *models[] = {"x2_seed", "x3_srgan", "x4_skip_bf16", "x8_noblocks"};
    thread_pool *pool = thread_pool_create(2);
    assert_non_null(pool);
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s.safetensors", FIXTURES, models[i]);
        srres_model *m = load_model(path);
        int s = srres_model_config(m)->scale, h = 21, w = 30;
        float *in = malloc(sizeof(float) * 3 * h * w);
        float *whole = malloc(sizeof(float) * 3 * h * w * s * s);
        float *tiled = malloc(sizeof(float) * 3 * h * w * s * s);
        assert_true(in && whole && tiled);
        srres_rng rng;
        srres_rng_seed(&rng, 5);
        for (int k = 0; k < 3 * h * w; k++)
            in[k] = (float)srres_rng_uniform(&rng);
        fast_net *big, *small;
        srres_error err;
        assert_int_equal(fast_net_create(m, isa, 0, &big, &err), SRRES_OK);
        assert_int_equal(fast_net_forward(big, in, h, w, whole, pool, &err), SRRES_OK);
        for (int tile = 4; tile <= 8; tile += 4) {
            assert_int_equal(fast_net_create(m, isa, 0, &small, &err), SRRES_OK);
            fast_net_set_up_tile(small, tile);
            assert_int_equal(fast_net_forward(small, in, h, w, tiled, pool, &err), SRRES_OK);
            for (int k = 0; k < 3 * h * w * s * s; k++)
                if (memcmp(&whole[k], &tiled[k], sizeof(float)))
                    fail_msg("%s, %s, tiles of %d: output %d is %.9g, untiled %.9g",
                             isa == FAST_AVX2 ? "avx2" : "avx512", models[i], tile, k, tiled[k],
                             whole[k]);
            fast_net_free(small);
        }
        fast_net_free(big);
        free(in);
        free(whole);
        free(tiled);
        srres_model_free(m);
    }
    thread_pool_free(pool);
}

static void test_upsampling_tiles_change_nothing(void **state)
{
    if (!cpu_has_avx512() && !cpu_has_avx2_fma())
        skip();
    if (cpu_has_avx512())
        check_upsampling_tiles(FAST_AVX512);
    if (cpu_has_avx2_fma())
        check_upsampling_tiles(FAST_AVX2);
}

/* A new upsampling tile frees the maps of the old: buffers only grow, so a frame's whole
 * maps stayed beside the next frame's tiles and body (a context held 310 MiB of a 256 MiB
 * budget for a 200x150 x4 frame followed by a 960x540 one). */
static void test_a_new_up_tile_frees_the_old_maps(void **state)
{
    if (!cpu_has_avx512() && !cpu_has_avx2_fma())
        skip();
    fast_isa isa = cpu_has_avx512() ? FAST_AVX512 : FAST_AVX2;
    srres_model *m = load_model(FIXTURES "/x4_skip_bf16.safetensors");
    thread_pool *pool = thread_pool_create(1);
    enum { H = 150, W = 200, S = 4 };
    float *in = malloc(sizeof(float) * 3 * H * W), *out = malloc(sizeof(float) * 3 * H * W * S * S);
    assert_true(pool && in && out);
    memset(in, 0, sizeof(float) * 3 * H * W);
    memset(out, 0, sizeof(float) * 3 * H * W * S * S);
    fast_net *f;
    srres_error err;
    assert_int_equal(fast_net_create(m, isa, 0, &f, &err), SRRES_OK);
    size_t base = resident();
    assert_int_equal(fast_net_forward(f, in, H, W, out, pool, &err), SRRES_OK);
    fast_net_set_up_tile(f, 8);
    assert_int_equal(fast_net_forward(f, in, H, W, out, pool, &err), SRRES_OK);
    size_t after = resident(), held = after > base ? after - base : 0;
    double want = fast_net_floats(f, 8, H, W, 1) * sizeof(float);
    print_message("whole maps, then tiles of 8: %zu KiB held, %.0f KiB for the tiles\n",
                  held >> 10, want / 1024);
    assert_true(held <= want * 1.1);
    fast_net_free(f);
    thread_pool_free(pool);
    free(in);
    free(out);
    srres_model_free(m);
}

/* A buffer of more floats than bytes can count is refused, not wrapped to a few bytes. */
static void test_impossible_buffers_are_refused(void **state)
{
    assert_null(alloc_floats(((size_t)1 << 62) + 16));
    assert_null(alloc_floats(SIZE_MAX / 4));
    float *small = alloc_floats(16);
    assert_non_null(small);
    free(small);
}

int main(void)
{
    /* Large buffers mapped and unmapped as they come and go, so that resident memory is what
     * the library holds, not what glibc's heap kept of buffers freed. */
    mallopt(M_MMAP_THRESHOLD, 128 << 10);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thin_frames_stay_within_the_budget),
        cmocka_unit_test(test_baseline_stays_within_the_budget),
        cmocka_unit_test(test_scratch_of_every_thread_counts),
        cmocka_unit_test(test_small_frames_are_whole_and_huge_ones_tiled),
        cmocka_unit_test(test_impossible_buffers_are_refused),
        cmocka_unit_test(test_thread_count_changes_no_output_bit),
        cmocka_unit_test(test_upsampling_tiles_change_nothing),
        cmocka_unit_test(test_a_new_up_tile_frees_the_old_maps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
