/* test_resample.c: tools/resample.c against Pillow's Image.resize, byte for byte (fixtures
 * made by tests/fixtures/make_resample_fixtures.py): BICUBIC and LANCZOS, shrinking and
 * enlarging, odd sizes, one axis at a time, and strided source and destination rows; a
 * window of a resize is that resize cropped. */
#include "resample.h"
#include "test_util.h"

typedef struct resample_case {
    char name[64], filter[16];
    int sw, sh, dw, dh;
} resample_case;

static int read_cases(resample_case *cases, int max)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/resample_cases.txt", FIXTURES);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n = 0;
    while (n < max && fscanf(f, "%63s %15s %d %d %d %d", cases[n].name, cases[n].filter,
                             &cases[n].sw, &cases[n].sh, &cases[n].dw, &cases[n].dh) == 6)
        n++;
    fclose(f);
    return n;
}

static resample_filter filter_of(const resample_case *c)
{
    if (!strcmp(c->filter, "bicubic"))
        return RESAMPLE_BICUBIC;
    if (!strcmp(c->filter, "lanczos"))
        return RESAMPLE_LANCZOS;
    fail_msg("unknown filter %s", c->filter);
    return RESAMPLE_BICUBIC;
}

/* Resizes the fixture input with the given padding after each row (0 = packed) and compares
 * with Pillow; returns how many cases of `filter` were checked. */
static int check_filter(const char *filter, int src_pad, int dst_pad)
{
    resample_case cases[32];
    int n = read_cases(cases, 32), checked = 0;
    assert_true(n >= 10);
    size_t size;
    char path[256];
    snprintf(path, sizeof(path), "%s/resample.in.rgb", FIXTURES);
    uint8_t *packed = read_file(path, &size);
    for (int i = 0; i < n; i++) {
        const resample_case *c = &cases[i];
        if (strcmp(c->filter, filter))
            continue;
        assert_int_equal(size, (size_t)c->sw * c->sh * 3);
        ptrdiff_t sstride = 3 * c->sw + src_pad, dstride = 3 * c->dw + dst_pad;
        uint8_t *src = malloc((size_t)sstride * c->sh);
        uint8_t *dst = malloc((size_t)dstride * c->dh);
        assert_non_null(src);
        assert_non_null(dst);
        memset(src, 0xa5, (size_t)sstride * c->sh);
        memset(dst, 0x5a, (size_t)dstride * c->dh);
        for (int y = 0; y < c->sh; y++)
            memcpy(src + sstride * y, packed + (size_t)3 * c->sw * y, (size_t)3 * c->sw);
        assert_int_equal(
            resample_rgb24(src, c->sw, c->sh, sstride, dst, c->dw, c->dh, dstride, filter_of(c)),
            0);
        snprintf(path, sizeof(path), "%s/resample_%.63s.rgb", FIXTURES, c->name);
        size_t esize;
        uint8_t *expect = read_file(path, &esize);
        assert_int_equal(esize, (size_t)c->dw * c->dh * 3);
        for (int y = 0; y < c->dh; y++) {
            for (int x = 0; x < 3 * c->dw; x++) {
                int got = dst[dstride * y + x], want = expect[(size_t)3 * c->dw * y + x];
                if (got != want)
                    fail_msg("%s: byte %d of row %d is %d; Pillow gives %d", c->name, x, y, got,
                             want);
            }
            for (int x = 3 * c->dw; x < dstride; x++) /* the padding is not written */
                assert_int_equal(dst[dstride * y + x], 0x5a);
        }
        free(expect);
        free(src);
        free(dst);
        checked++;
    }
    free(packed);
    return checked;
}

static void test_bicubic_matches_pillow(void **state)
{
    assert_true(check_filter("bicubic", 0, 0) >= 5);
}

static void test_lanczos_matches_pillow(void **state)
{
    assert_true(check_filter("lanczos", 0, 0) >= 5);
}

static void test_strided_rows_match_pillow(void **state)
{
    assert_true(check_filter("bicubic", 5, 7) >= 5);
    assert_true(check_filter("lanczos", 1, 3) >= 5);
}

/* A flat image stays flat: the weights of every output pixel sum to one. */
static void test_flat_image_stays_flat(void **state)
{
    enum { SW = 9, SH = 7 };
    uint8_t src[SW * SH * 3], dst[20 * 15 * 3];
    for (int i = 0; i < SW * SH; i++)
        src[3 * i] = 200, src[3 * i + 1] = 17, src[3 * i + 2] = 255;
    static const int sizes[][2] = {{20, 15}, {4, 3}, {9, 15}, {1, 1}};
    for (int f = 0; f < 2; f++)
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            int dw = sizes[s][0], dh = sizes[s][1];
            assert_int_equal(resample_rgb24(src, SW, SH, 3 * SW, dst, dw, dh, 3 * dw,
                                            f ? RESAMPLE_LANCZOS : RESAMPLE_BICUBIC),
                             0);
            for (int i = 0; i < dw * dh; i++) {
                assert_int_equal(dst[3 * i], 200);
                assert_int_equal(dst[3 * i + 1], 17);
                assert_int_equal(dst[3 * i + 2], 255);
            }
        }
}

static void test_same_size_is_a_copy(void **state)
{
    enum { W = 6, H = 5 };
    uint8_t src[W * H * 3], dst[W * H * 3];
    for (int i = 0; i < W * H * 3; i++)
        src[i] = (uint8_t)(i * 37 + 11);
    assert_int_equal(resample_rgb24(src, W, H, 3 * W, dst, W, H, 3 * W, RESAMPLE_LANCZOS), 0);
    assert_memory_equal(src, dst, sizeof(src));
}

/* A window of a resize is that resize's pixels, byte for byte: shrinking, enlarging and one
 * axis alone, windows at the edges and inside, each filter. */
static void test_window_is_the_resize_cropped(void **state)
{
    enum { SW = 61, SH = 47 };
    static uint8_t src[SW * SH * 3], full[130 * 100 * 3], win[130 * 100 * 3];
    srres_rng rng;
    srres_rng_seed(&rng, 3);
    for (int i = 0; i < SW * SH * 3; i++)
        src[i] = (uint8_t)srres_rng_below(&rng, 256);
    static const int sizes[][2] = {{29, 23}, {130, 100}, {61, 20}, {17, 47}};
    for (int f = 0; f < 2; f++)
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            resample_filter filter = f ? RESAMPLE_LANCZOS : RESAMPLE_BICUBIC;
            int dw = sizes[s][0], dh = sizes[s][1];
            assert_int_equal(resample_rgb24(src, SW, SH, 3 * SW, full, dw, dh, 3 * dw, filter),
                             0);
            for (int t = 0; t < 20; t++) {
                int x0 = t == 0 ? 0 : (int)srres_rng_below(&rng, (uint32_t)dw);
                int y0 = t == 0 ? 0 : (int)srres_rng_below(&rng, (uint32_t)dh);
                int ww = t == 1 ? dw - x0 : 1 + (int)srres_rng_below(&rng, (uint32_t)(dw - x0));
                int wh = t == 1 ? dh - y0 : 1 + (int)srres_rng_below(&rng, (uint32_t)(dh - y0));
                assert_int_equal(resample_rgb24_window(src, SW, SH, 3 * SW, dw, dh, x0, y0, ww,
                                                       wh, win, 3 * ww, filter),
                                 0);
                for (int y = 0; y < wh; y++)
                    if (memcmp(win + (size_t)y * ww * 3, full + ((size_t)(y0 + y) * dw + x0) * 3,
                               (size_t)ww * 3))
                        fail_msg("%s %dx%d -> %dx%d: window %dx%d at (%d, %d) differs in row %d",
                                 f ? "lanczos" : "bicubic", SW, SH, dw, dh, ww, wh, x0, y0, y);
            }
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bicubic_matches_pillow),
        cmocka_unit_test(test_lanczos_matches_pillow),
        cmocka_unit_test(test_strided_rows_match_pillow),
        cmocka_unit_test(test_flat_image_stays_flat),
        cmocka_unit_test(test_same_size_is_a_copy),
        cmocka_unit_test(test_window_is_the_resize_cropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
