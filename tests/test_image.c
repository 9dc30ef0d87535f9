/* test_image.c: the pixel formats at the library's edge: 8-bit, 16-bit and float images
 * give the same network output; bottom-up images (negative line sizes) work; output is
 * clamped and rounded to nearest; bad images (misaligned planar ones too) are refused with a
 * message. */
#include <math.h>
#include <stdint.h>

#include "image.h"
#include "test_util.h"

/* A bottom-up image (last row first in memory, negative line size) is the same picture as
 * its rows copied in reverse into a top-down buffer. */
static void test_bottom_up_images_match_top_down(void **state)
{
    srres_model *m = load_model(FIXTURES "/x2_seed.safetensors");
    srres_ctx *ctx;
    srres_error err;
    assert_int_equal(srres_ctx_create(m, NULL, &ctx, &err), SRRES_OK);
    enum { W = 9, H = 7 };
    uint8_t mem[H][W * 3], rows[H][W * 3], out[2 * H][2 * W * 3], mem_out[2 * H][2 * W * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W * 3; x++)
            mem[y][x] = (uint8_t)(y * 37 + x * 11);
    for (int y = 0; y < H; y++) /* the picture of the bottom-up view, top-down */
        memcpy(rows[y], mem[H - 1 - y], sizeof(rows[y]));
    srres_image a = rgb24_image(&rows[0][0], W, H), b = rgb24_image(&out[0][0], 2 * W, 2 * H);
    assert_int_equal(srres_upscale(ctx, &a, &b, &err), SRRES_OK);
    srres_image fa = {SRRES_PIXEL_RGB24, W, H, {&mem[H - 1][0]}, {-W * 3}};
    srres_image fb = {SRRES_PIXEL_RGB24, 2 * W, 2 * H, {&mem_out[2 * H - 1][0]}, {-2 * W * 3}};
    assert_int_equal(srres_upscale(ctx, &fa, &fb, &err), SRRES_OK);
    for (int y = 0; y < 2 * H; y++)
        assert_memory_equal(out[y], mem_out[2 * H - 1 - y], sizeof(out[y]));
    srres_ctx_free(ctx);
    srres_model_free(m);
}

static void test_formats_agree(void **state)
{
    srres_model *m = load_model(FIXTURES "/x2_seed.safetensors");
    srres_ctx *ctx;
    srres_error err;
    assert_int_equal(srres_ctx_create(m, NULL, &ctx, &err), SRRES_OK);
    enum { W = 6, H = 5 };
    uint8_t in8[W * H * 3], out8[4 * W * H * 3];
    uint8_t inp8[3][W * H], outp8[3][4 * W * H], in0[W * H * 4], out0[4 * W * H * 4];
    uint16_t in16[3][W * H], out16[3][4 * W * H];
    float inf[3][W * H], outf[3][4 * W * H];
    for (int i = 0; i < W * H; i++)
        for (int c = 0; c < 3; c++) {
            uint8_t v = (uint8_t)(i * 29 + c * 71);
            in8[i * 3 + c] = v;
            inp8[c][i] = v;
            in0[i * 4 + 2 - c] = v;
            in0[i * 4 + 3] = (uint8_t)(i * 13); /* unread */
            in16[c][i] = (uint16_t)(v * 257); /* the same value on the 16-bit scale */
            inf[c][i] = v / 255.0f;
        }
    srres_image a8 = rgb24_image(in8, W, H), b8 = rgb24_image(out8, 2 * W, 2 * H);
    srres_image a16 = {SRRES_PIXEL_RGBP16, W, H, {in16[0], in16[1], in16[2]},
                       {W * 2, W * 2, W * 2}};
    srres_image b16 = {SRRES_PIXEL_RGBP16, 2 * W, 2 * H, {out16[0], out16[1], out16[2]},
                       {4 * W, 4 * W, 4 * W}};
    srres_image ap8 = {SRRES_PIXEL_RGBP8, W, H, {inp8[0], inp8[1], inp8[2]}, {W, W, W}};
    srres_image bp8 = {SRRES_PIXEL_RGBP8, 2 * W, 2 * H, {outp8[0], outp8[1], outp8[2]},
                       {2 * W, 2 * W, 2 * W}};
    srres_image a0 = {SRRES_PIXEL_BGR0, W, H, {in0}, {4 * W}};
    srres_image b0 = {SRRES_PIXEL_BGR0, 2 * W, 2 * H, {out0}, {8 * W}};
    srres_image af = planar_f32_image(&inf[0][0], W, H), bf = planar_f32_image(&outf[0][0], 2 * W, 2 * H);
    assert_int_equal(srres_upscale(ctx, &a8, &b8, &err), SRRES_OK);
    assert_int_equal(srres_upscale(ctx, &a16, &b16, &err), SRRES_OK);
    assert_int_equal(srres_upscale(ctx, &ap8, &bp8, &err), SRRES_OK);
    assert_int_equal(srres_upscale(ctx, &a0, &b0, &err), SRRES_OK);
    assert_int_equal(srres_upscale(ctx, &af, &bf, &err), SRRES_OK);
    for (int i = 0; i < 4 * W * H; i++)
        for (int c = 0; c < 3; c++) {
            float f = outf[c][i];
            assert_true(f >= 0.0f && f <= 1.0f); /* clamped */
            assert_int_equal(out8[i * 3 + c], (int)(f * 255.0 + 0.5));
            assert_int_equal(outp8[c][i], out8[i * 3 + c]);
            assert_int_equal(out0[i * 4 + 2 - c], out8[i * 3 + c]);
            assert_int_equal(out0[i * 4 + 3], 255);
            assert_int_equal(out16[c][i], (int)(f * 65535.0 + 0.5));
        }
    srres_ctx_free(ctx);
    srres_model_free(m);
}

static void test_bad_images_are_refused(void **state)
{
    srres_model *m = load_model(FIXTURES "/x2_seed.safetensors");
    srres_ctx *ctx;
    srres_error err;
    assert_int_equal(srres_ctx_create(m, NULL, &ctx, &err), SRRES_OK);
    uint8_t buf[64 * 64 * 3] = {0};
    srres_image in = rgb24_image(buf, 4, 4), out = rgb24_image(buf, 8, 8);
    srres_image wrong_size = rgb24_image(buf, 8, 9);
    assert_int_equal(srres_upscale(ctx, &in, &wrong_size, &err), SRRES_ERR_INVALID);
    assert_non_null(strstr(err.message, "x2"));
    srres_image narrow = in;
    narrow.linesize[0] = 5;
    assert_int_equal(srres_upscale(ctx, &narrow, &out, &err), SRRES_ERR_INVALID);
    assert_non_null(strstr(err.message, "narrower"));
    srres_image empty = in;
    empty.width = 0;
    assert_int_equal(srres_upscale(ctx, &empty, &out, &err), SRRES_ERR_INVALID);
    srres_image no_data = in;
    no_data.data[0] = NULL;
    assert_int_equal(srres_upscale(ctx, &no_data, &out, &err), SRRES_ERR_INVALID);
    assert_non_null(strstr(err.message, "missing"));
    /* Planar samples are uint16_t and float: a plane or line size off their size is refused
     * (it was read through misaligned pointers). */
    static float planes[3][64 * 64 + 1];
    srres_image odd_start = planar_f32_image(&planes[0][0], 4, 4);
    odd_start.data[1] = (char *)odd_start.data[1] + 2;
    assert_int_equal(srres_upscale(ctx, &odd_start, &out, &err), SRRES_ERR_INVALID);
    assert_non_null(strstr(err.message, "plane 1"));
    srres_image odd_line = planar_f32_image(&planes[0][0], 4, 4);
    odd_line.linesize[2] += 1;
    assert_int_equal(srres_upscale(ctx, &odd_line, &out, &err), SRRES_ERR_INVALID);
    assert_non_null(strstr(err.message, "plane 2"));
    srres_ctx_free(ctx);
    srres_model_free(m);
}

/* Line sizes no array could have (one whose rows, times the height, pass the end of
 * memory or its start, or PTRDIFF_MIN, whose size has no ptrdiff_t) are refused: the checks
 * computed with them overflowed, and the overlap test let the first through, whose rows were
 * then read from nowhere (a crash). */
static void test_line_sizes_past_memory_are_refused(void **state)
{
    srres_model *m = load_model(FIXTURES "/x2_seed.safetensors");
    srres_ctx *ctx;
    srres_error err;
    assert_int_equal(srres_ctx_create(m, NULL, &ctx, &err), SRRES_OK);
    static uint8_t in_buf[4 * 4 * 3], out_buf[8 * 8 * 3];
    srres_image in = rgb24_image(in_buf, 4, 4), out = rgb24_image(out_buf, 8, 8);
    static const ptrdiff_t bad[] = {PTRDIFF_MAX / 2, PTRDIFF_MAX, -(PTRDIFF_MAX / 2),
                                    PTRDIFF_MIN};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        srres_image wild_in = in, wild_out = out;
        wild_in.linesize[0] = bad[i];
        assert_int_equal(srres_upscale(ctx, &wild_in, &out, &err), SRRES_ERR_INVALID);
        assert_non_null(strstr(err.message, "input image plane 0"));
        wild_out.linesize[0] = bad[i];
        assert_int_equal(srres_upscale(ctx, &in, &wild_out, &err), SRRES_ERR_INVALID);
        assert_non_null(strstr(err.message, "output image plane 0"));
    }
    /* A one-row image takes any line size: no row but the first is read. */
    srres_image one_row = rgb24_image(in_buf, 4, 1), one_out = rgb24_image(out_buf, 8, 2);
    one_row.linesize[0] = PTRDIFF_MAX;
    assert_int_equal(srres_upscale(ctx, &one_row, &one_out, &err), SRRES_OK);
    srres_ctx_free(ctx);
    srres_model_free(m);
}

/* In and out must not share memory (the network reads the input after writing output
 * tiles): overlapping images are refused, with bottom-up ones too, and images that only
 * touch are not. */
static void test_overlapping_images_are_refused(void **state)
{
    srres_model *m = load_model(FIXTURES "/x2_seed.safetensors");
    srres_ctx *ctx;
    srres_error err;
    assert_int_equal(srres_ctx_create(m, NULL, &ctx, &err), SRRES_OK);
    enum { W = 5, H = 4 };
    static uint8_t buf[(W * H + 4 * W * H) * 3];
    srres_image out = rgb24_image(buf, 2 * W, 2 * H);
    srres_image in_place = {SRRES_PIXEL_RGB24, W, H, {buf}, {2 * W * 3}};
    assert_int_equal(srres_upscale(ctx, &in_place, &out, &err), SRRES_ERR_INVALID);
    assert_non_null(strstr(err.message, "overlap"));
    srres_image last_row = rgb24_image(buf + (4 * W * H - 2 * W) * 3, W, H);
    assert_int_equal(srres_upscale(ctx, &last_row, &out, &err), SRRES_ERR_INVALID);
    srres_image bottom_up = {
        SRRES_PIXEL_RGB24, 2 * W, 2 * H, {buf + (2 * H - 1) * 2 * W * 3}, {-2 * W * 3}};
    srres_image below = rgb24_image(buf + 4 * W * H * 3, W, H);
    assert_int_equal(srres_upscale(ctx, &below, &bottom_up, &err), SRRES_OK);
    srres_image into_below = below;
    into_below.data[0] = buf + 4 * W * H * 3 - 1;
    assert_int_equal(srres_upscale(ctx, &into_below, &bottom_up, &err), SRRES_ERR_INVALID);
    /* A planar output's third plane over the input. */
    static float planes[3][4 * W * H];
    srres_image fout = planar_f32_image(&planes[0][0], 2 * W, 2 * H);
    srres_image fin = planar_f32_image(&planes[2][0], W, H);
    assert_int_equal(srres_upscale(ctx, &fin, &fout, &err), SRRES_ERR_INVALID);
    srres_ctx_free(ctx);
    srres_model_free(m);
}

/* What the network gives is clamped to [0, 1] in every format, and NaN (from float input
 * that was not finite) is written as 0: never NaN into float output, never a wild integer. */
static void test_output_is_clamped_and_nan_becomes_zero(void **state)
{
    float src[3][4];
    for (int c = 0; c < 3; c++) {
        src[c][0] = NAN;
        src[c][1] = -1.0f;
        src[c][2] = 2.0f;
        src[c][3] = 0.5f;
    }
    float f[3][4];
    srres_image fi = planar_f32_image(&f[0][0], 4, 1);
    image_write(&fi, 0, 0, 4, 1, &src[0][0], 4, 1, 0, 0);
    uint8_t b[12];
    srres_image bi = rgb24_image(b, 4, 1);
    image_write(&bi, 0, 0, 4, 1, &src[0][0], 4, 1, 0, 0);
    uint16_t w[3][4];
    srres_image wi = {SRRES_PIXEL_RGBP16, 4, 1, {w[0], w[1], w[2]}, {8, 8, 8}};
    image_write(&wi, 0, 0, 4, 1, &src[0][0], 4, 1, 0, 0);
    const float want_f[4] = {0.0f, 0.0f, 1.0f, 0.5f};
    const int want_b[4] = {0, 0, 255, 128}, want_w[4] = {0, 0, 65535, 32768};
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 4; i++) {
            assert_true(f[c][i] == want_f[i]);
            assert_int_equal(b[3 * i + c], want_b[i]);
            assert_int_equal(w[c][i], want_w[i]);
        }
}

/* Integer output is the float output times the format's maximum rounded to nearest once:
 * values just under a half level go down (a product taken in float rounded some of them up
 * to the half level first, then up a level: 1 in 1000 16-bit samples). */
static void test_integer_output_rounds_once(void **state)
{
    enum { N = 256 };
    static float src[3][N];
    for (int i = 0; i < N; i++) {
        /* the floats just under (k + 0.5) / 255 and (k + 0.5) / 65535 */
        src[0][i] = nextafterf((float)((i % 255 + 0.5) / 255.0), 0.0f);
        src[1][i] = nextafterf((float)((i * 256 + 0.5) / 65535.0), 0.0f);
        src[2][i] = src[1][i];
    }
    uint8_t b[3 * N];
    srres_image bi = rgb24_image(b, N, 1);
    image_write(&bi, 0, 0, N, 1, &src[0][0], N, 1, 0, 0);
    uint16_t w[3][N];
    srres_image wi = {SRRES_PIXEL_RGBP16, N, 1, {w[0], w[1], w[2]}, {2 * N, 2 * N, 2 * N}};
    image_write(&wi, 0, 0, N, 1, &src[0][0], N, 1, 0, 0);
    for (int i = 0; i < N; i++)
        for (int c = 0; c < 3; c++) {
            assert_int_equal(b[3 * i + c], (int)floor(src[c][i] * 255.0 + 0.5));
            assert_int_equal(w[c][i], (int)floor(src[c][i] * 65535.0 + 0.5));
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bottom_up_images_match_top_down),
        cmocka_unit_test(test_formats_agree),
        cmocka_unit_test(test_bad_images_are_refused),
        cmocka_unit_test(test_line_sizes_past_memory_are_refused),
        cmocka_unit_test(test_overlapping_images_are_refused),
        cmocka_unit_test(test_output_is_clamped_and_nan_becomes_zero),
        cmocka_unit_test(test_integer_output_rounds_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
