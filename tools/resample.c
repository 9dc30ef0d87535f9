/* resample.c: separable resampling the way Pillow's Resample.c does it: double-precision
 * kernel weights normalised per output pixel, converted to 22-bit fixed point, a horizontal
 * pass into an 8-bit intermediate, then a vertical pass, each rounded and clipped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "resample.h"

#define PRECISION_BITS (32 - 8 - 2)

static double bicubic(double x)
{
    const double a = -0.5;
    x = fabs(x);
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

static double sinc(double x)
{
    if (x == 0.0)
        return 1.0;
    x *= M_PI;
    return sin(x) / x;
}

static double lanczos(double x)
{
    return x > -3.0 && x < 3.0 ? sinc(x) * sinc(x / 3.0) : 0.0;
}

/* Per output pixel of a range: first source index, tap count, ksize fixed-point weights. */
typedef struct taps {
    int ksize;
    int *bounds; /* [out][2] */
    int *weights; /* [out][ksize] */
} taps;

/* Taps of output pixels [first, first + count) of a resize from in_size to out_size. */
static int make_taps(taps *t, int in_size, int out_size, int first, int count,
                     resample_filter f)
{
    double support0 = f == RESAMPLE_LANCZOS ? 3.0 : 2.0;
    double (*kernel)(double) = f == RESAMPLE_LANCZOS ? lanczos : bicubic;
    double scale = (double)in_size / out_size, filterscale = scale < 1.0 ? 1.0 : scale;
    double support = support0 * filterscale;
    t->ksize = (int)ceil(support) * 2 + 1;
    t->bounds = malloc(sizeof(int) * 2 * count);
    t->weights = malloc(sizeof(int) * (size_t)t->ksize * count);
    double *k = malloc(sizeof(double) * t->ksize);
    if (!t->bounds || !t->weights || !k) {
        free(t->bounds);
        free(t->weights);
        free(k);
        return -1;
    }
    for (int j = 0; j < count; j++) {
        int xx = first + j;
        double center = (xx + 0.5) * scale, ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5), xmax = (int)(center + support + 0.5);
        if (xmin < 0)
            xmin = 0;
        if (xmax > in_size)
            xmax = in_size;
        xmax -= xmin;
        for (int x = 0; x < xmax; x++) {
            k[x] = kernel((x + xmin - center + 0.5) * ss);
            ww += k[x];
        }
        int *kk = t->weights + (size_t)j * t->ksize;
        for (int x = 0; x < t->ksize; x++) {
            double v = x < xmax && ww != 0.0 ? k[x] / ww : 0.0;
            kk[x] = (int)(v * (1 << PRECISION_BITS) + (v < 0 ? -0.5 : 0.5));
        }
        t->bounds[2 * j] = xmin;
        t->bounds[2 * j + 1] = xmax;
    }
    free(k);
    return 0;
}

static uint8_t clip8(int v)
{
    if (v >= (1 << PRECISION_BITS << 8))
        return 255;
    if (v <= 0)
        return 0;
    return (uint8_t)(v >> PRECISION_BITS);
}

int resample_rgb24_window(const uint8_t *src, int sw, int sh, ptrdiff_t sstride, int dw, int dh,
                          int x0, int y0, int ww, int wh, uint8_t *dst, ptrdiff_t dstride,
                          resample_filter filter)
{
    taps h = {0}, v = {0};
    if (make_taps(&h, sw, dw, x0, ww, filter) || make_taps(&v, sh, dh, y0, wh, filter)) {
        free(h.bounds), free(h.weights), free(v.bounds), free(v.weights);
        return -1;
    }
    /* Pillow skips a pass whose size does not change; so do we, to stay byte-exact. */
    int do_h = sw != dw, do_v = sh != dh;
    /* The source rows the window's output rows read, through the horizontal pass. */
    int r0 = do_v ? v.bounds[0] : y0;
    int r1 = do_v ? v.bounds[2 * (wh - 1)] + v.bounds[2 * (wh - 1) + 1] : y0 + wh;
    uint8_t *mid = malloc((size_t)ww * 3 * (r1 - r0));
    if (!mid) {
        free(h.bounds), free(h.weights), free(v.bounds), free(v.weights);
        return -1;
    }
    for (int y = r0; y < r1; y++) {
        const uint8_t *s = src + sstride * y;
        uint8_t *m = mid + (size_t)ww * 3 * (y - r0);
        if (!do_h) {
            memcpy(m, s + (size_t)x0 * 3, (size_t)ww * 3);
            continue;
        }
        for (int x = 0; x < ww; x++) {
            int xmin = h.bounds[2 * x], n = h.bounds[2 * x + 1];
            const int *k = h.weights + (size_t)x * h.ksize;
            for (int c = 0; c < 3; c++) {
                int acc = 1 << (PRECISION_BITS - 1);
                for (int i = 0; i < n; i++)
                    acc += s[(xmin + i) * 3 + c] * k[i];
                m[x * 3 + c] = clip8(acc);
            }
        }
    }
    for (int y = 0; y < wh; y++) {
        uint8_t *d = dst + dstride * y;
        if (!do_v) {
            memcpy(d, mid + (size_t)ww * 3 * y, (size_t)ww * 3);
            continue;
        }
        int ymin = v.bounds[2 * y] - r0, n = v.bounds[2 * y + 1];
        const int *k = v.weights + (size_t)y * v.ksize;
        for (int x = 0; x < ww * 3; x++) {
            int acc = 1 << (PRECISION_BITS - 1);
            for (int i = 0; i < n; i++)
                acc += mid[(size_t)(ymin + i) * ww * 3 + x] * k[i];
            d[x] = clip8(acc);
        }
    }
    free(mid);
    free(h.bounds), free(h.weights), free(v.bounds), free(v.weights);
    return 0;
}

int resample_rgb24(const uint8_t *src, int sw, int sh, ptrdiff_t sstride, uint8_t *dst, int dw,
                   int dh, ptrdiff_t dstride, resample_filter filter)
{
    return resample_rgb24_window(src, sw, sh, sstride, dw, dh, 0, 0, dw, dh, dst, dstride,
                                 filter);
}
