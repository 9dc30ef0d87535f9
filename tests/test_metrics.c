/* test_metrics.c: PSNR-Y and SSIM-Y of tools/metrics.c against an independent float64 numpy
 * implementation (BasicSR's formulas; tests/fixtures/make_resample_fixtures.py documents
 * them and made the values), plus the limits: identical images, too small, strided rows. */
#include <math.h>

#include "metrics.h"
#include "test_util.h"

typedef struct metrics_case {
    char a[32], b[32];
    int border;
    double psnr, ssim;
} metrics_case;

static int read_cases(metrics_case *cases, int max, int *w, int *h)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/metrics_cases.txt", FIXTURES);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "# %d %d%*[^\n]", w, h), 2);
    int n = 0;
    while (n < max && fscanf(f, "%31s %31s %d %lf %lf", cases[n].a, cases[n].b, &cases[n].border,
                             &cases[n].psnr, &cases[n].ssim) == 5)
        n++;
    fclose(f);
    return n;
}

static uint8_t *read_image(const char *name, int w, int h)
{
    char path[256];
    size_t size;
    snprintf(path, sizeof(path), "%s/%s.rgb", FIXTURES, name);
    uint8_t *img = read_file(path, &size);
    assert_int_equal(size, (size_t)w * h * 3);
    return img;
}

static void test_psnr_y_matches_numpy(void **state)
{
    metrics_case cases[16];
    int w, h, n = read_cases(cases, 16, &w, &h);
    assert_true(n >= 6);
    for (int i = 0; i < n; i++) {
        uint8_t *a = read_image(cases[i].a, w, h), *b = read_image(cases[i].b, w, h);
        double got = metrics_psnr_y(a, 3 * w, b, 3 * w, w, h, cases[i].border);
        if (fabs(got - cases[i].psnr) > 1e-6)
            fail_msg("%s/%s border %d: PSNR-Y %.12f, numpy %.12f", cases[i].a, cases[i].b,
                     cases[i].border, got, cases[i].psnr);
        free(a);
        free(b);
    }
}

static void test_ssim_y_matches_numpy(void **state)
{
    metrics_case cases[16];
    int w, h, n = read_cases(cases, 16, &w, &h);
    assert_true(n >= 6);
    for (int i = 0; i < n; i++) {
        uint8_t *a = read_image(cases[i].a, w, h), *b = read_image(cases[i].b, w, h);
        double got = metrics_ssim_y(a, 3 * w, b, 3 * w, w, h, cases[i].border);
        if (fabs(got - cases[i].ssim) > 1e-6)
            fail_msg("%s/%s border %d: SSIM-Y %.12f, numpy %.12f", cases[i].a, cases[i].b,
                     cases[i].border, got, cases[i].ssim);
        free(a);
        free(b);
    }
}

static void test_metrics_are_symmetric(void **state)
{
    metrics_case cases[16];
    int w, h, n = read_cases(cases, 16, &w, &h);
    uint8_t *a = read_image(cases[0].a, w, h), *b = read_image(cases[0].b, w, h);
    assert_true(n > 0);
    assert_true(metrics_psnr_y(a, 3 * w, b, 3 * w, w, h, 2) ==
                metrics_psnr_y(b, 3 * w, a, 3 * w, w, h, 2));
    assert_true(fabs(metrics_ssim_y(a, 3 * w, b, 3 * w, w, h, 2) -
                     metrics_ssim_y(b, 3 * w, a, 3 * w, w, h, 2)) < 1e-12);
    free(a);
    free(b);
}

static void test_identical_images_give_infinite_psnr_and_unit_ssim(void **state)
{
    metrics_case cases[16];
    int w, h;
    read_cases(cases, 16, &w, &h);
    uint8_t *a = read_image(cases[0].a, w, h);
    for (int border = 0; border <= 4; border += 4) {
        double p = metrics_psnr_y(a, 3 * w, a, 3 * w, w, h, border);
        assert_true(isinf(p) && p > 0);
        assert_true(fabs(metrics_ssim_y(a, 3 * w, a, 3 * w, w, h, border) - 1.0) < 1e-12);
    }
    free(a);
}

/* Strided rows give the values of packed rows; the padding bytes are never read as pixels. */
static void test_strided_rows_give_the_same_values(void **state)
{
    metrics_case cases[16];
    int w, h, n = read_cases(cases, 16, &w, &h);
    assert_true(n > 0);
    uint8_t *a = read_image(cases[0].a, w, h), *b = read_image(cases[0].b, w, h);
    ptrdiff_t sa = 3 * w + 5, sb = 3 * w + 2;
    uint8_t *pa = malloc((size_t)sa * h), *pb = malloc((size_t)sb * h);
    assert_non_null(pa);
    assert_non_null(pb);
    memset(pa, 0, (size_t)sa * h);
    memset(pb, 255, (size_t)sb * h);
    for (int y = 0; y < h; y++) {
        memcpy(pa + sa * y, a + (size_t)3 * w * y, (size_t)3 * w);
        memcpy(pb + sb * y, b + (size_t)3 * w * y, (size_t)3 * w);
    }
    int border = cases[0].border;
    assert_true(metrics_psnr_y(pa, sa, pb, sb, w, h, border) ==
                metrics_psnr_y(a, 3 * w, b, 3 * w, w, h, border));
    assert_true(metrics_ssim_y(pa, sa, pb, sb, w, h, border) ==
                metrics_ssim_y(a, 3 * w, b, 3 * w, w, h, border));
    free(a), free(b), free(pa), free(pb);
}

/* A single grey level: Y = 16 + 219 v / 255 exactly, so one pixel's difference is known. */
static void test_psnr_of_a_known_difference(void **state)
{
    enum { W = 4, H = 3 };
    uint8_t a[W * H * 3], b[W * H * 3];
    memset(a, 100, sizeof(a));
    memset(b, 100, sizeof(b));
    b[0] = b[1] = b[2] = 110; /* one pixel, Y differs by 2190 / 255 */
    double dy = 10.0 * (65.481 + 128.553 + 24.966) / 255.0;
    double expect = 10.0 * log10(255.0 * 255.0 / (dy * dy / (W * H)));
    assert_true(fabs(metrics_psnr_y(a, 3 * W, b, 3 * W, W, H, 0) - expect) < 1e-9);
    /* With a border of one, the differing corner pixel is cropped away. */
    assert_true(isinf(metrics_psnr_y(a, 3 * W, b, 3 * W, W, H, 1)));
}

static void test_ssim_smaller_than_window_fails(void **state)
{
    uint8_t img[11 * 11 * 3] = {0};
    assert_true(isnan(metrics_ssim_y(img, 33, img, 33, 11, 10, 0)));
    assert_true(isnan(metrics_ssim_y(img, 33, img, 33, 10, 11, 0)));
    assert_true(isnan(metrics_ssim_y(img, 33, img, 33, 11, 11, 1)));
    assert_true(fabs(metrics_ssim_y(img, 33, img, 33, 11, 11, 0) - 1.0) < 1e-12);
}

static void test_psnr_of_an_empty_region_is_nan(void **state)
{
    uint8_t img[4 * 4 * 3] = {0};
    assert_true(isnan(metrics_psnr_y(img, 12, img, 12, 4, 4, 2)));
}

/* The SSIM windows of alpha (w x h, no border) free of fully transparent pixels, counted. */
static long windows(const uint8_t *alpha, int w, int h)
{
    long count;
    free(metrics_ssim_windows(alpha, w, w, h, 0, &count));
    return count;
}

/* Fully transparent pixels (alpha 0) are left out: PSNR's mean is over the others, SSIM's
 * over the windows free of them; an alpha of no zero scores as none. */
static void test_fully_transparent_pixels_are_left_out(void **state)
{
    enum { W = 14, H = 12 };
    uint8_t a[W * H * 3], b[W * H * 3], alpha[W * H];
    for (int i = 0; i < W * H * 3; i++)
        a[i] = b[i] = (uint8_t)(i * 37 % 251);
    memset(alpha, 255, sizeof(alpha));
    double psnr = metrics_psnr_y(a, 3 * W, a, 3 * W, W, H, 0);
    assert_true(metrics_psnr_y_visible(a, 3 * W, b, 3 * W, alpha, W, W, H, 0) == psnr);
    b[0] = b[1] = b[2] = 110;
    double ssim = metrics_ssim_y(a, 3 * W, b, 3 * W, W, H, 0);
    assert_true(metrics_ssim_y_visible(a, 3 * W, b, 3 * W, alpha, W, W, H, 0) == ssim);
    assert_int_equal(windows(alpha, W, H), 4 * 2);
    /* The differing corner, transparent: equal where it is left out. */
    alpha[0] = 0;
    assert_true(isinf(metrics_psnr_y_visible(a, 3 * W, b, 3 * W, alpha, W, W, H, 0)));
    assert_int_equal(windows(alpha, W, H), 4 * 2 - 1);
    assert_true(metrics_ssim_y_visible(a, 3 * W, b, 3 * W, alpha, W, W, H, 0) == 1.0);
    long count;
    uint8_t *ok = metrics_ssim_windows(alpha, W, W, H, 0, &count);
    assert_non_null(ok);
    assert_true(metrics_ssim_y_windows(a, 3 * W, b, 3 * W, ok, W, H, 0) == 1.0);
    free(ok);
    /* A transparent pixel in every window: no SSIM; none visible: no PSNR. */
    alpha[6 * W + 6] = 0;
    assert_int_equal(windows(alpha, W, H), 0);
    assert_true(isnan(metrics_ssim_y_visible(a, 3 * W, b, 3 * W, alpha, W, W, H, 0)));
    memset(alpha, 0, sizeof(alpha));
    assert_true(isnan(metrics_psnr_y_visible(a, 3 * W, b, 3 * W, alpha, W, W, H, 0)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_psnr_y_matches_numpy),
        cmocka_unit_test(test_ssim_y_matches_numpy),
        cmocka_unit_test(test_metrics_are_symmetric),
        cmocka_unit_test(test_identical_images_give_infinite_psnr_and_unit_ssim),
        cmocka_unit_test(test_strided_rows_give_the_same_values),
        cmocka_unit_test(test_psnr_of_a_known_difference),
        cmocka_unit_test(test_ssim_smaller_than_window_fails),
        cmocka_unit_test(test_psnr_of_an_empty_region_is_nan),
        cmocka_unit_test(test_fully_transparent_pixels_are_left_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
