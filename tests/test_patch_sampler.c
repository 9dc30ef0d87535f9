/* test_patch_sampler.c: the sampler's patch choice. On a picture that is flat on its left
 * half and noise on its right, drawing several patches and keeping the most detailed
 * (--detail-draws) trains on far more of the detailed half than drawing once, the stream
 * still depends on the seed alone, and a count below 1 is refused. */
#include <math.h>
#include <unistd.h>

#include "patch_sampler.h"
#include "test_util.h"

enum { SIDE = 256, PATCH = 8, SCALE = 2, BATCH = 32, BATCHES = 8 };

/* A binary PPM: grey on the left half, uniform noise on the right. */
static void write_half_noise(const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "P6\n%d %d\n255\n", SIDE, SIDE);
    srres_rng rng;
    srres_rng_seed(&rng, 11);
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE * 3; x++)
            fputc(x < SIDE * 3 / 2 ? 128 : (int)srres_rng_below(&rng, 256), f);
    assert_int_equal(fclose(f), 0);
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
    char dir[] = "/tmp/srres-sampler-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/half.ppm", dir);
    write_half_noise(path);

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

    unlink(path);
    rmdir(dir);
}

static void test_fewer_than_one_draw_is_refused(void **state)
{
    (void)state;
    sampler_options o = sampler_default_options();
    o.detail_draws = 0;
    sampler *s = NULL;
    char err[256] = "";
    const char *files[] = {"/nonexistent.png"};
    assert_int_equal(sampler_create(&s, files, 1, &o, err, sizeof(err)), -1);
    assert_string_equal(err, "invalid sampler options");
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_more_draws_choose_more_detail),
        cmocka_unit_test(test_fewer_than_one_draw_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
