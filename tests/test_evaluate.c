/* test_evaluate.c: the benchmark protocol's image preparation (tools/evaluate.c): HR cut to a
 * multiple of the scale from the top-left corner, the centred crop, and the images it must
 * refuse rather than score (too small for the SSIM window, one colour: -2; a file that cannot
 * be read: -3; srres-eval leaves out both, and only running out of memory, -1, ends its run). */
#include <math.h>
#include <unistd.h>

#include "evaluate.h"
#include "metrics.h"
#include "test_util.h"

/* Writes a binary PPM whose pixel (x, y) is (x, y, x ^ y), or `flat` everywhere if >= 0. */
static const char *write_ppm(const char *name, int w, int h, int flat)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "P6\n%d %d\n255\n", w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t px[3] = {(uint8_t)x, (uint8_t)y, (uint8_t)(x ^ y)};
            if (flat >= 0)
                px[0] = px[1] = px[2] = (uint8_t)flat;
            assert_int_equal(fwrite(px, 1, 3, f), 3);
        }
    assert_int_equal(fclose(f), 0);
    return path;
}

/* Loads one image; returns 0 or -1 with err set. */
static int load(eval_set *set, const char *path, int scale, int max_side, char *err)
{
    return eval_set_load(set, &path, 1, scale, max_side, err, 256);
}

static void test_modcrop_keeps_the_top_left_corner(void **state)
{
    eval_set set;
    char err[256];
    assert_int_equal(load(&set, write_ppm("odd.ppm", 27, 22, -1), 4, 0, err), 0);
    const eval_image *im = &set.images[0];
    assert_int_equal(im->w, 24);
    assert_int_equal(im->h, 20);
    for (int y = 0; y < im->h; y++)
        for (int x = 0; x < im->w; x++) {
            const uint8_t *p = im->hr + ((size_t)y * im->w + x) * 3;
            assert_int_equal(p[0], x);
            assert_int_equal(p[1], y);
        }
    eval_set_free(&set);
}

static void test_crop_is_centred_then_cut_from_its_corner(void **state)
{
    eval_set set;
    char err[256];
    /* A 23-pixel centred crop of 41x30 starts at (9, 3); x4 then keeps 20x20 of it. */
    assert_int_equal(load(&set, write_ppm("big.ppm", 41, 30, -1), 4, 23, err), 0);
    const eval_image *im = &set.images[0];
    assert_int_equal(im->w, 20);
    assert_int_equal(im->h, 20);
    assert_int_equal(im->hr[0], 9);
    assert_int_equal(im->hr[1], 3);
    eval_set_free(&set);
}

static void test_minimum_side_fits_the_ssim_window(void **state)
{
    assert_int_equal(eval_min_side(2), 16);
    assert_int_equal(eval_min_side(3), 18);
    assert_int_equal(eval_min_side(4), 20);
    assert_int_equal(eval_min_side(8), 32);
}

static void test_too_small_images_are_refused(void **state)
{
    eval_set set;
    char err[256];
    /* 16x16 at x4 leaves 8x8 inside the border: no 11x11 SSIM window fits. */
    const char *path = write_ppm("small.ppm", 16, 16, -1);
    assert_int_equal(load(&set, path, 4, 0, err), -2);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "too small"));
    eval_set_free(&set);
    assert_int_equal(load(&set, write_ppm("ok.ppm", 20, 20, -1), 4, 0, err), 0);
    eval_set_free(&set);
    /* A crop too small says so. */
    assert_int_equal(load(&set, write_ppm("large.ppm", 64, 64, -1), 4, 19, err), -2);
    assert_non_null(strstr(err, "a crop of 19x19"));
    eval_set_free(&set);
}

static void test_one_colour_images_are_refused(void **state)
{
    eval_set set;
    char err[256];
    const char *path = write_ppm("flat.ppm", 32, 32, 77);
    assert_int_equal(load(&set, path, 2, 0, err), -2);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "one colour"));
    eval_set_free(&set);
}

/* A file that cannot be read is -3, not -1 (out of memory): srres-eval leaves it out and
 * scores the rest, where it ended the run and lost every score before it. */
static void test_unreadable_files_are_told_apart(void **state)
{
    eval_set set;
    char err[256], bad[300];
    snprintf(bad, sizeof(bad), "%s/nothere.png", test_tmpdir());
    assert_int_equal(load(&set, bad, 2, 0, err), -3);
    assert_non_null(strstr(err, bad));
    eval_set_free(&set);
    /* A PPM whose pixels stop in the first row: it opens, but no frame decodes. */
    snprintf(bad, sizeof(bad), "%s/cut.ppm", test_tmpdir());
    FILE *f = fopen(bad, "wb");
    assert_non_null(f);
    fprintf(f, "P6\n32 32\n255\n%s", "\x10\x20\x30\x40");
    assert_int_equal(fclose(f), 0);
    assert_int_equal(load(&set, bad, 2, 0, err), -3);
    assert_non_null(strstr(err, bad));
    eval_set_free(&set);
}

static void test_every_score_is_finite(void **state)
{
    eval_set set;
    char err[256];
    eval_score per[1], mean;
    assert_int_equal(load(&set, write_ppm("score.ppm", 20, 20, -1), 4, 0, err), 0);
    assert_int_equal(eval_resampler(&set, RESAMPLE_BICUBIC, per, &mean, err, 256), 0);
    assert_true(isfinite(mean.psnr) && mean.psnr > 0);
    assert_true(mean.ssim > 0 && mean.ssim <= 1);
    eval_set_free(&set);
}

/* A score is the literature's: bicubic's upscale of the LR image against HR, on Y, with
 * `scale` pixels cut from every border (scores over the whole image came out the same
 * kind of number, so only a figure computed apart tells them apart). */
static void test_scores_leave_out_a_border_of_scale_pixels(void **state)
{
    eval_set set;
    char err[256];
    assert_int_equal(load(&set, write_ppm("scored.ppm", 40, 36, -1), 4, 0, err), 0);
    const eval_image *im = &set.images[0];
    eval_score per, mean;
    assert_int_equal(eval_resampler(&set, RESAMPLE_BICUBIC, &per, &mean, err, sizeof(err)), 0);
    uint8_t *up = malloc((size_t)im->w * im->h * 3);
    assert_int_equal(resample_rgb24(im->lr, im->w / 4, im->h / 4, (ptrdiff_t)im->w / 4 * 3, up,
                                    im->w, im->h, (ptrdiff_t)im->w * 3, RESAMPLE_BICUBIC),
                     0);
    ptrdiff_t stride = (ptrdiff_t)im->w * 3;
    double psnr4 = metrics_psnr_y(im->hr, stride, up, stride, im->w, im->h, 4);
    double ssim4 = metrics_ssim_y(im->hr, stride, up, stride, im->w, im->h, 4);
    double psnr0 = metrics_psnr_y(im->hr, stride, up, stride, im->w, im->h, 0);
    assert_true(per.psnr == psnr4 && mean.psnr == psnr4);
    assert_true(per.ssim == ssim4 && mean.ssim == ssim4);
    assert_true(fabs(psnr0 - psnr4) > 0.1); /* the border's pixels count in this picture */
    free(up);
    eval_set_free(&set);
}

/* Writes a 64x64 PAM with alpha: the left half opaque, (x, y, x ^ y) or grey 90 if `flat`;
 * the right half fully transparent, grey 128 up to column 47, and from column 48 (further
 * than any bicubic tap reaches from the left half at x2) black or, with `noise`, noise. */
static const char *write_half_clear(const char *name, int flat, int noise)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "P7\nWIDTH 64\nHEIGHT 64\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n");
    unsigned seed = 7;
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++) {
            uint8_t px[4] = {(uint8_t)(4 * x), (uint8_t)(4 * y), (uint8_t)(x ^ y), 255};
            if (x < 32 && flat)
                px[0] = px[1] = px[2] = 90;
            if (x >= 32) {
                seed = seed * 1103515245u + 12345u;
                uint8_t v = x < 48 ? 128 : noise ? (uint8_t)(seed >> 16) : 0;
                px[0] = px[1] = px[2] = v;
                px[3] = 0;
            }
            assert_int_equal(fwrite(px, 1, 4, f), 4);
        }
    assert_int_equal(fclose(f), 0);
    return path;
}

/* The colours under fully transparent pixels mean nothing: they are not scored (srres-eval
 * and --val scored them), so two pictures that differ only there score the same; a picture
 * of one colour where it is not transparent cannot be scored, as an opaque one. */
static void test_fully_transparent_pixels_are_not_scored(void **state)
{
    eval_set set;
    char err[256];
    eval_score black, noise, mean;
    assert_int_equal(load(&set, write_half_clear("black.pam", 0, 0), 2, 0, err), 0);
    assert_int_equal(eval_resampler(&set, RESAMPLE_BICUBIC, &black, &mean, err, 256), 0);
    eval_set_free(&set);
    assert_int_equal(load(&set, write_half_clear("noise.pam", 0, 1), 2, 0, err), 0);
    assert_int_equal(eval_resampler(&set, RESAMPLE_BICUBIC, &noise, &mean, err, 256), 0);
    eval_set_free(&set);
    assert_true(isfinite(black.psnr) && black.psnr > 10);
    if (black.psnr != noise.psnr || black.ssim != noise.ssim)
        fail_msg("over black %.4f / %.5f, over noise %.4f / %.5f", black.psnr, black.ssim,
                 noise.psnr, noise.ssim);
    const char *flat = write_half_clear("flat.pam", 1, 0);
    assert_int_equal(load(&set, flat, 2, 0, err), -2);
    assert_non_null(strstr(err, flat));
    assert_non_null(strstr(err, "one colour where not fully transparent"));
    eval_set_free(&set);
}

/* A picture with no 11x11 window free of fully transparent pixels (a transparent dot every
 * 8 pixels) has no SSIM to give: it is not scored. */
static void test_no_window_without_transparent_pixels_is_not_scored(void **state)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/dotted.pam", test_tmpdir());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "P7\nWIDTH 40\nHEIGHT 40\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n");
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 40; x++) {
            uint8_t px[4] = {(uint8_t)x, (uint8_t)y, (uint8_t)(x ^ y),
                             x % 8 == 0 && y % 8 == 0 ? 0 : 255};
            assert_int_equal(fwrite(px, 1, 4, f), 4);
        }
    assert_int_equal(fclose(f), 0);
    eval_set set;
    char err[256];
    assert_int_equal(load(&set, path, 2, 0, err), -2);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "no 11x11 window without fully transparent pixels"));
    eval_set_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modcrop_keeps_the_top_left_corner),
        cmocka_unit_test(test_crop_is_centred_then_cut_from_its_corner),
        cmocka_unit_test(test_minimum_side_fits_the_ssim_window),
        cmocka_unit_test(test_too_small_images_are_refused),
        cmocka_unit_test(test_one_colour_images_are_refused),
        cmocka_unit_test(test_unreadable_files_are_told_apart),
        cmocka_unit_test(test_every_score_is_finite),
        cmocka_unit_test(test_scores_leave_out_a_border_of_scale_pixels),
        cmocka_unit_test(test_fully_transparent_pixels_are_not_scored),
        cmocka_unit_test(test_no_window_without_transparent_pixels_is_not_scored),
    };
    return cmocka_run_group_tests(tests, make_test_tmpdir, remove_test_tmpdir);
}
