/* test_patch_sampler.c: the sampler's patch choice. On a picture that is flat on its left
 * half and noise on its right, drawing several patches and keeping the most detailed
 * (--detail-draws) trains on far more of the detailed half than drawing once, the stream
 * still depends on the seed alone; a round's patches are shuffled uniformly; LR patches line
 * up with their HR patches; frames too small for --hr-scale are scaled only as far as a
 * patch fits; pictures too small for a patch are left out; no patch holds a fully
 * transparent pixel's colour, through shared chroma neither; options out of range are
 * refused. */
#include <math.h>

#include "patch_sampler.h"
#include "test_util.h"

enum { SIDE = 256, PATCH = 8, SCALE = 2, BATCH = 32, BATCHES = 8 };

enum picture { HALF_NOISE, NOISE, RAMP };

/* Writes TMPDIR/name, a binary PPM of SIDE x SIDE, and returns its path: grey on the left
 * half and uniform noise on the right, noise all over, or a vertical ramp (row y has value
 * y). */
static const char *write_picture(const char *name, enum picture kind)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "P6\n%d %d\n255\n", SIDE, SIDE);
    srres_rng rng;
    srres_rng_seed(&rng, 11);
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE * 3; x++) {
            int grey = kind == RAMP ? y : kind == HALF_NOISE && x < SIDE * 3 / 2 ? 128 : -1;
            fputc(grey >= 0 ? grey : (int)srres_rng_below(&rng, 256), f);
        }
    assert_int_equal(fclose(f), 0);
    return path;
}

static sampler *open_sampler(const char *path, int detail_draws)
{
    sampler_options o = sampler_default_options();
    o.scale = SCALE;
    o.patch = PATCH;
    o.frames_per_round = 16;
    o.flat_skip = 0; /* only the detail draws choose */
    o.augment = 0;
    o.detail_draws = detail_draws;
    o.seed = 5;
    sampler *s;
    char err[256];
    const char *files[] = {path};
    if (sampler_create(&s, files, 1, &o, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    return s;
}

/* Fraction of HR patches (red plane) whose standard deviation shows noise; also returns
 * the sum of the first batch's pixels, a fingerprint of the stream. */
static double detailed_fraction(const char *path, int detail_draws, double *fingerprint)
{
    sampler *s = open_sampler(path, detail_draws);
    int hs = PATCH * SCALE, n = hs * hs, detailed = 0;
    float *lr = malloc(sizeof(float) * BATCH * 3 * PATCH * PATCH);
    float *hr = malloc(sizeof(float) * BATCH * 3 * n);
    char err[256];
    *fingerprint = 0;
    for (int b = 0; b < BATCHES; b++) {
        if (sampler_next_batch(s, BATCH, lr, hr, err, sizeof(err)) < 0)
            fail_msg("%s", err);
        for (int p = 0; p < BATCH; p++) {
            const float *red = hr + (size_t)p * 3 * n;
            double sum = 0, sq = 0;
            for (int i = 0; i < n; i++) {
                sum += red[i];
                sq += red[i] * red[i];
                if (b == 0)
                    *fingerprint += red[i];
            }
            double mean = sum / n;
            detailed += sqrt(fmax(sq / n - mean * mean, 0)) > 0.05;
        }
    }
    free(lr);
    free(hr);
    sampler_free(s);
    return (double)detailed / (BATCH * BATCHES);
}

static void test_more_draws_choose_more_detail(void **state)
{
    (void)state;
    const char *path = write_picture("half.ppm", HALF_NOISE);

    double f1, f4, again;
    double once = detailed_fraction(path, 1, &f1);
    double four = detailed_fraction(path, 4, &f4);
    /* a patch touches the noise from about half the positions; the best of four draws
     * misses it only when all four do (about 0.5^4) */
    assert_true(once > 0.35 && once < 0.7);
    assert_true(four > 0.85);
    assert_true(four > once + 0.2);
    assert_true(detailed_fraction(path, 4, &again) == four);
    assert_true(again == f4);
    assert_true(f1 != f4);
}

/* Options for patches of PATCH at SCALE as drawn: no flat one drawn again, none turned. */
static sampler_options plain_options(int frames_per_round)
{
    sampler_options o = sampler_default_options();
    o.scale = SCALE;
    o.patch = PATCH;
    o.frames_per_round = frames_per_round;
    o.flat_skip = 0;
    o.augment = 0;
    return o;
}

/* The first patch of a seed's first round, as an HR patch of PATCH * SCALE pixels a side. */
static float *first_patch(const char *path, int patches_per_frame, uint64_t seed)
{
    sampler_options o = plain_options(1);
    o.patches_per_frame = patches_per_frame;
    o.seed = seed;
    sampler *s;
    char err[256];
    const char *files[] = {path};
    if (sampler_create(&s, files, 1, &o, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    int hs = PATCH * SCALE;
    float *lr = malloc(sizeof(float) * 3 * PATCH * PATCH),
          *hr = malloc(sizeof(float) * 3 * hs * hs);
    if (sampler_next_batch(s, 1, lr, hr, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    free(lr);
    sampler_free(s);
    return hr;
}

/* A round's patches come in a uniformly shuffled order: the first patch of a frame cut in
 * two patches is the first of them half the time (a shuffle that never leaves an element
 * in place made it the second every time). The frame and its patches' draws do not depend
 * on how many patches are cut, so the one patch of a frame cut once is the first of two. */
static void test_a_round_is_shuffled_uniformly(void **state)
{
    const char *path = write_picture("noise.ppm", NOISE);
    int hs = PATCH * SCALE, first = 0;
    for (uint64_t seed = 1; seed <= 32; seed++) {
        float *one = first_patch(path, 1, seed), *two = first_patch(path, 2, seed);
        first += !memcmp(one, two, sizeof(float) * 3 * hs * hs);
        free(one);
        free(two);
    }
    print_message("the first of two patches came first for %d of 32 seeds\n", first);
    assert_true(first >= 6 && first <= 26);
}

/* LR patches are the HR patches downscaled, pixel for pixel: on a vertical ramp (row y of
 * the frame has value y) an LR pixel is the mean of the two HR rows it covers, to within
 * rounding; an LR patch cut a few rows off its HR patch is off by twice as many levels. */
static void test_lr_patches_line_up_with_hr(void **state)
{
    const char *path = write_picture("ramp.ppm", RAMP);
    sampler *s = open_sampler(path, 1);
    int hs = PATCH * SCALE, checked = 0;
    float *lr = malloc(sizeof(float) * BATCH * 3 * PATCH * PATCH);
    float *hr = malloc(sizeof(float) * BATCH * 3 * hs * hs);
    char err[256];
    if (sampler_next_batch(s, BATCH, lr, hr, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    for (int p = 0; p < BATCH; p++) {
        const float *h = hr + (size_t)p * 3 * hs * hs, *l = lr + (size_t)p * 3 * PATCH * PATCH;
        /* the frame's edges are not a ramp for the downscale's taps beyond them */
        if (h[0] * 255 < 8 || h[hs * hs - 1] * 255 > SIDE - 9)
            continue;
        for (int y = 0; y < PATCH; y++)
            for (int x = 0; x < PATCH; x++) {
                double want = (h[2 * y * hs + 2 * x] + h[(2 * y + 1) * hs + 2 * x]) / 2;
                if (fabs(l[y * PATCH + x] - want) > 1.0 / 255)
                    fail_msg("patch %d LR (%d, %d) is %.1f, its HR rows' mean %.1f", p, x, y,
                             l[y * PATCH + x] * 255, want * 255);
            }
        checked++;
    }
    assert_true(checked >= BATCH / 2);
    free(lr);
    free(hr);
    sampler_free(s);
}

/* A frame too small for a patch at --hr-scale's minimum is scaled down only as far as a
 * patch with its margin fits (it was refused): a 256-row ramp holds the 24 rows of a patch
 * and margin from scale 24/256 up, where a row of the frame steps by 256/24 levels. */
static void test_small_frames_are_scaled_as_far_as_a_patch_fits(void **state)
{
    const char *path = write_picture("ramp.ppm", RAMP);
    sampler_options o = plain_options(4);
    o.hr_scale_min = 0.05;
    o.hr_scale_max = 0.06;
    sampler *s;
    char err[256];
    const char *files[] = {path};
    if (sampler_create(&s, files, 1, &o, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_float_equal(sampler_file_scale_min(s, 0), 24.0 / SIDE, 1e-12);
    int hs = PATCH * SCALE;
    float *lr = malloc(sizeof(float) * BATCH * 3 * PATCH * PATCH);
    float *hr = malloc(sizeof(float) * BATCH * 3 * hs * hs);
    if (sampler_next_batch(s, BATCH, lr, hr, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    for (int p = 0; p < BATCH; p++) {
        const float *h = hr + (size_t)p * 3 * hs * hs;
        double step = (h[(hs - 1) * hs] - h[0]) * 255 / (hs - 1);
        if (fabs(step - (double)SIDE / 24) > 0.5)
            fail_msg("patch %d: rows step by %.2f levels, not %.2f", p, step, SIDE / 24.0);
    }
    free(lr);
    free(hr);
    sampler_free(s);
}

/* A video cut short still counts, in its header, the frames it lost: the sampler draws
 * from the frames it holds (each frame past the cut gave the last one, so half a halved
 * video's patches came from that one frame). */
static void test_a_cut_video_is_drawn_from_the_frames_it_holds(void **state)
{
    char path[256], cmd[1024];
    snprintf(path, sizeof(path), "%s/cut.mp4", test_tmpdir());
    snprintf(cmd, sizeof(cmd),
             "cd %s && ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=size=96x64:rate=25 -t 4 "
             "-c:v libx264 -g 10 -pix_fmt yuv420p -movflags +faststart whole.mp4 && "
             "head -c $(($(stat -c %%s whole.mp4) / 2)) whole.mp4 >cut.mp4",
             test_tmpdir());
    assert_int_equal(system(cmd), 0);
    sampler_options o = sampler_default_options();
    o.scale = SCALE;
    o.patch = PATCH;
    sampler *s;
    char err[256];
    const char *files[] = {path};
    if (sampler_create(&s, files, 1, &o, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    int w, h, frames = sampler_file(s, 0, &w, &h);
    if (!(frames > 20 && frames < 80))
        fail_msg("%d frames of the 100 the header counts, not about half", frames);
    sampler_free(s);
}

/* Writes TMPDIR/name, a white binary PPM of w x h, into path. */
static void write_white(char *path, size_t n, const char *name, int w, int h)
{
    snprintf(path, n, "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "P6\n%d %d\n255\n", w, h);
    for (int i = 0; i < w * h * 3; i++)
        fputc(255, f);
    assert_int_equal(fclose(f), 0);
}

/* Pictures too small for a patch with its margin (24x24 here) are left out, not the run
 * refused (one thumbnail refused a folder of photographs): every patch comes from the ramp
 * beside them. Only when every input is too small is one refused: the largest, which tells
 * how small a patch would take it. */
static void test_pictures_too_small_for_a_patch_are_left_out(void **state)
{
    char thumb[256], small[256], ramp[256];
    write_white(thumb, sizeof(thumb), "thumb.ppm", 16, 16);
    write_white(small, sizeof(small), "small.ppm", 30, 20);
    snprintf(ramp, sizeof(ramp), "%s", write_picture("ramp.ppm", RAMP));
    sampler_options o = plain_options(8);
    sampler *s;
    char err[256];
    const char *files[] = {thumb, ramp, small};
    if (sampler_create(&s, files, 3, &o, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(sampler_region_side(s), 24);
    assert_true(sampler_file_skipped(s, 0));
    assert_false(sampler_file_skipped(s, 1));
    assert_true(sampler_file_skipped(s, 2));
    int hs = PATCH * SCALE;
    float *lr = malloc(sizeof(float) * BATCH * 3 * PATCH * PATCH);
    float *hr = malloc(sizeof(float) * BATCH * 3 * hs * hs);
    for (int b = 0; b < 4; b++) {
        if (sampler_next_batch(s, BATCH, lr, hr, err, sizeof(err)) < 0)
            fail_msg("%s", err);
        for (int p = 0; p < BATCH; p++) {
            const float *h = hr + (size_t)p * 3 * hs * hs;
            if (h[(hs - 1) * hs] - h[0] < 0.02f)
                fail_msg("batch %d, patch %d is no ramp's: drawn from a picture left out", b, p);
        }
    }
    free(lr);
    free(hr);
    sampler_free(s);
    const char *too_small[] = {thumb, small};
    s = NULL;
    assert_int_equal(sampler_create(&s, too_small, 2, &o, err, sizeof(err)), -1);
    assert_null(s);
    char expected[512];
    snprintf(expected, sizeof(expected),
             "%s: 30x20 cannot hold a 24x24 HR patch with its margin (nor can the other input); "
             "use a smaller --patch",
             small);
    assert_string_equal(err, expected);
}

/* Writes TMPDIR/name, a PAM of w x h RGBA: grey noise (R = G = B) where mask(x, y) is 1,
 * half transparent grey where 2, and fully transparent magenta (as an editor may leave it:
 * colour that means nothing) where 0. */
static const char *write_transparent(const char *name, int w, int h, int (*mask)(int, int))
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "P7\nWIDTH %d\nHEIGHT %d\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n", w, h);
    srres_rng rng;
    srres_rng_seed(&rng, 12);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int m = mask(x, y), g = (int)srres_rng_below(&rng, 256);
            uint8_t px[4] = {m ? g : 255, m ? g : 0, m ? g : 255, m == 1 ? 255 : m ? 128 : 0};
            fwrite(px, 1, 4, f);
        }
    assert_int_equal(fclose(f), 0);
    return path;
}

/* The left half opaque (its right edge half transparent), the right half and a few pixels
 * scattered over the left fully transparent. */
static int left_opaque(int x, int y)
{
    if (x >= SIDE / 2 || (x * 7 + y * 13) % 401 == 0)
        return 0;
    return x >= SIDE / 2 - 4 ? 2 : 1;
}

/* Every other pixel fully transparent: no region is without one. */
static int checkered(int x, int y)
{
    return (x + y) % 2;
}

/* Alpha 0 everywhere, as a 32-bit TGA without alpha has it. */
static int no_alpha(int x, int y)
{
    return 0;
}

/* Draws BATCHES batches from s and fails, saying `tag` and `from`, on an HR or LR patch
 * pixel that is not grey: the pictures of these tests have colour (magenta) only under
 * fully transparent pixels. */
static void assert_batches_grey(sampler *s, const char *tag, const char *from)
{
    char err[256];
    int hs = PATCH * SCALE;
    size_t hn = (size_t)hs * hs, ln = (size_t)PATCH * PATCH;
    float *lr = malloc(sizeof(float) * BATCH * 3 * ln);
    float *hr = malloc(sizeof(float) * BATCH * 3 * hn);
    for (int b = 0; b < BATCHES; b++) {
        if (sampler_next_batch(s, BATCH, lr, hr, err, sizeof(err)) < 0)
            fail_msg("%s", err);
        for (int p = 0; p < BATCH; p++) {
            const float *h = hr + (size_t)p * 3 * hn, *l = lr + (size_t)p * 3 * ln;
            for (size_t i = 0; i < hn; i++)
                if (h[i] != h[hn + i] || h[i] != h[2 * hn + i])
                    fail_msg("%sbatch %d, HR patch %d holds colour (%.0f, %.0f, %.0f): %s", tag,
                             b, p, h[i] * 255, h[hn + i] * 255, h[2 * hn + i] * 255, from);
            for (size_t i = 0; i < ln; i++)
                if (l[i] != l[ln + i] || l[i] != l[2 * ln + i])
                    fail_msg("%sbatch %d, LR patch %d holds colour: %s", tag, b, p, from);
        }
    }
    free(lr);
    free(hr);
}

/* A fully transparent pixel's colour (here magenta) is never trained on: patches come only
 * from regions without one, their margin included, at any --hr-scale (whose taps reach
 * beyond the region), flipped or not. Half transparent pixels have their colour, and are
 * drawn from. */
static void test_fully_transparent_pixels_are_not_drawn(void **state)
{
    const char *path = write_transparent("alpha.pam", SIDE, SIDE, left_opaque);
    sampler_options o = plain_options(16);
    o.augment = 1;
    o.hr_scale_min = 0.5;
    sampler *s;
    char err[256];
    const char *files[] = {path};
    if (sampler_create(&s, files, 1, &o, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_false(sampler_file_skipped(s, 0));
    assert_batches_grey(s, "", "drawn from transparent pixels");
    sampler_free(s);
}

/* Of 96x96, the top left 64x64 opaque (its right edge half transparent), the rest fully
 * transparent: every region a patch fits in is near a transparent pixel. */
static int top_left_opaque(int x, int y)
{
    if (x >= 64 || y >= 64)
        return 0;
    return x >= 60 ? 2 : 1;
}

/* Where chroma is shared by pixels (4:2:0, as lossy WebP with alpha has it), a pixel's
 * colours are made from its neighbours' chroma too, the chroma of transparent ones
 * included: patches keep that far from them. The picture of grey noise and magenta
 * transparent pixels as 4:2:0 with alpha (FFV1, lossless) gave colour to grey pixels up to
 * 4 across and 7 down from a transparent one, which patches held. */
static void test_chroma_shared_with_transparent_pixels_is_not_drawn(void **state)
{
    const char *pam = write_transparent("chroma.pam", 96, 96, top_left_opaque);
    char path[256], cmd[768];
    snprintf(path, sizeof(path), "%s/chroma.mkv", test_tmpdir());
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -nostdin -v error -y -i %s -c:v ffv1 -pix_fmt yuva420p %s", pam, path);
    assert_int_equal(system(cmd), 0);
    for (int scaled = 0; scaled < 2; scaled++) {
        sampler_options o = plain_options(16);
        o.augment = 1;
        o.hr_scale_min = scaled ? 0.5 : 1;
        sampler *s;
        char err[256];
        const char *files[] = {path};
        if (sampler_create(&s, files, 1, &o, err, sizeof(err)) < 0)
            fail_msg("%s", err);
        assert_batches_grey(s, scaled ? "--hr-scale 0.5: " : "--hr-scale 1: ",
                            "made from a transparent pixel's chroma");
        sampler_free(s);
    }
}

/* A picture without a region free of fully transparent pixels is left out, as one too
 * small is; alone, it is refused, saying why. One whose alpha is 0 everywhere has none (a
 * 32-bit TGA or BMP of a writer that leaves the fourth byte 0), and is drawn from. */
static void test_pictures_without_a_clear_region_are_left_out(void **state)
{
    char clear[256], ramp[256], tga[256];
    snprintf(clear, sizeof(clear), "%s", write_transparent("clear.pam", 64, 48, checkered));
    snprintf(ramp, sizeof(ramp), "%s", write_picture("ramp.ppm", RAMP));
    snprintf(tga, sizeof(tga), "%s", write_transparent("no_alpha.pam", 64, 48, no_alpha));
    sampler_options o = plain_options(8);
    sampler *s;
    char err[256];
    const char *files[] = {clear, ramp, tga};
    if (sampler_create(&s, files, 3, &o, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(sampler_file_skipped(s, 0), SAMPLER_TRANSPARENT);
    assert_false(sampler_file_skipped(s, 1));
    assert_false(sampler_file_skipped(s, 2));
    sampler_free(s);
    s = NULL;
    assert_int_equal(sampler_create(&s, files, 1, &o, err, sizeof(err)), -1);
    assert_null(s);
    char expected[512];
    snprintf(expected, sizeof(expected),
             "%s: 64x48 cannot hold a 24x24 HR patch with its margin without fully transparent "
             "pixels; use a smaller --patch",
             clear);
    assert_string_equal(err, expected);
}

static void expect_invalid(sampler_options o)
{
    sampler *s = NULL;
    char err[256] = "";
    const char *files[] = {"/nonexistent.png"};
    assert_int_equal(sampler_create(&s, files, 1, &o, err, sizeof(err)), -1);
    assert_string_equal(err, "invalid sampler options");
    assert_null(s);
}

static void test_invalid_options_are_refused(void **state)
{
    sampler_options o = sampler_default_options();
    o.detail_draws = 0;
    expect_invalid(o);
    o = sampler_default_options();
    o.hr_scale_max = 1.5; /* the frame is only ever made smaller */
    expect_invalid(o);
    o = sampler_default_options();
    o.hr_scale_min = 0;
    expect_invalid(o);
    o = sampler_default_options();
    o.hr_scale_min = 0.8;
    o.hr_scale_max = 0.5;
    expect_invalid(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_more_draws_choose_more_detail),
        cmocka_unit_test(test_a_round_is_shuffled_uniformly),
        cmocka_unit_test(test_lr_patches_line_up_with_hr),
        cmocka_unit_test(test_small_frames_are_scaled_as_far_as_a_patch_fits),
        cmocka_unit_test(test_a_cut_video_is_drawn_from_the_frames_it_holds),
        cmocka_unit_test(test_pictures_too_small_for_a_patch_are_left_out),
        cmocka_unit_test(test_fully_transparent_pixels_are_not_drawn),
        cmocka_unit_test(test_chroma_shared_with_transparent_pixels_is_not_drawn),
        cmocka_unit_test(test_pictures_without_a_clear_region_are_left_out),
        cmocka_unit_test(test_invalid_options_are_refused),
    };
    return cmocka_run_group_tests(tests, make_test_tmpdir, remove_test_tmpdir);
}
