/* metrics.c: PSNR and SSIM on Y. Y is kept unrounded (as MATLAB's rgb2ycbcr on doubles and
 * BasicSR's test_y_channel do), on the 0-255 scale. */
#include <math.h>
#include <stdlib.h>

#include "metrics.h"
#include "transparent.h"

static double luma(const uint8_t *p)
{
    return 16.0 + (65.481 * p[0] + 128.553 * p[1] + 24.966 * p[2]) / 255.0;
}

/* Y of the cropped region, row-major, w' x h'. */
static double *luma_plane(const uint8_t *img, ptrdiff_t stride, int w, int h, int border)
{
    int cw = w - 2 * border, ch = h - 2 * border;
    double *y = malloc(sizeof(double) * (size_t)cw * ch);
    if (!y)
        return NULL;
    for (int r = 0; r < ch; r++)
        for (int c = 0; c < cw; c++)
            y[(size_t)r * cw + c] = luma(img + stride * (r + border) + 3 * (c + border));
    return y;
}

double metrics_psnr_y_visible(const uint8_t *a, ptrdiff_t astride, const uint8_t *b,
                              ptrdiff_t bstride, const uint8_t *alpha, ptrdiff_t alpha_stride,
                              int w, int h, int border)
{
    double sum = 0;
    long n = 0;
    for (int r = border; r < h - border; r++)
        for (int c = border; c < w - border; c++) {
            if (alpha && !alpha[alpha_stride * r + c])
                continue;
            double d = luma(a + astride * r + 3 * c) - luma(b + bstride * r + 3 * c);
            sum += d * d;
            n++;
        }
    if (!n)
        return NAN;
    double mse = sum / n;
    return mse == 0 ? INFINITY : 10.0 * log10(255.0 * 255.0 / mse);
}

double metrics_psnr_y(const uint8_t *a, ptrdiff_t astride, const uint8_t *b, ptrdiff_t bstride,
                      int w, int h, int border)
{
    return metrics_psnr_y_visible(a, astride, b, bstride, NULL, 0, w, h, border);
}

uint8_t *metrics_ssim_windows(const uint8_t *alpha, ptrdiff_t alpha_stride, int w, int h,
                              int border, long *count)
{
    enum { WIN = METRICS_SSIM_WINDOW };
    int cw = w - 2 * border, ch = h - 2 * border, ow = cw - WIN + 1, oh = ch - WIN + 1;
    *count = ow < 1 || oh < 1 ? 0 : (long)ow * oh;
    if (!alpha || !*count)
        return NULL;
    uint32_t *table = NULL;
    size_t size = 0;
    int holes = transparent_table(&table, &size, alpha + alpha_stride * border + border,
                                  alpha_stride, cw, ch);
    uint8_t *ok = holes > 0 ? malloc((size_t)ow * oh) : NULL;
    if (holes < 0 || (holes && !ok)) {
        free(table);
        *count = -1;
        return NULL;
    }
    for (int r = 0; ok && r < oh; r++)
        for (int c = 0; c < ow; c++) {
            ok[(size_t)r * ow + c] = !transparent_in(table, cw, c, r, c + WIN, r + WIN);
            *count -= !ok[(size_t)r * ow + c];
        }
    free(table);
    return ok;
}

double metrics_ssim_y(const uint8_t *a, ptrdiff_t astride, const uint8_t *b, ptrdiff_t bstride,
                      int w, int h, int border)
{
    return metrics_ssim_y_windows(a, astride, b, bstride, NULL, w, h, border);
}

double metrics_ssim_y_visible(const uint8_t *a, ptrdiff_t astride, const uint8_t *b,
                              ptrdiff_t bstride, const uint8_t *alpha, ptrdiff_t alpha_stride,
                              int w, int h, int border)
{
    long count;
    uint8_t *ok = metrics_ssim_windows(alpha, alpha_stride, w, h, border, &count);
    double ssim =
        count > 0 ? metrics_ssim_y_windows(a, astride, b, bstride, ok, w, h, border) : NAN;
    free(ok);
    return ssim;
}

double metrics_ssim_y_windows(const uint8_t *a, ptrdiff_t astride, const uint8_t *b,
                              ptrdiff_t bstride, const uint8_t *windows, int w, int h,
                              int border)
{
    enum { WIN = METRICS_SSIM_WINDOW, R = WIN / 2 };
    int cw = w - 2 * border, ch = h - 2 * border;
    if (cw < WIN || ch < WIN)
        return NAN;
    double g[WIN], gs = 0;
    for (int i = 0; i < WIN; i++) {
        g[i] = exp(-(double)((i - R) * (i - R)) / (2 * 1.5 * 1.5));
        gs += g[i];
    }
    for (int i = 0; i < WIN; i++)
        g[i] /= gs;
    double *x = luma_plane(a, astride, w, h, border), *y = luma_plane(b, bstride, w, h, border);
    int ow = cw - WIN + 1;
    /* Separable filtering: horizontal pass of the five moments into tmp, then vertical. */
    double *tmp = malloc(sizeof(double) * 5 * (size_t)ow * ch);
    if (!x || !y || !tmp) {
        free(x), free(y), free(tmp);
        return NAN;
    }
    size_t plane = (size_t)ow * ch;
    for (int r = 0; r < ch; r++)
        for (int c = 0; c < ow; c++) {
            double m[5] = {0};
            for (int k = 0; k < WIN; k++) {
                double xv = x[(size_t)r * cw + c + k], yv = y[(size_t)r * cw + c + k];
                m[0] += g[k] * xv;
                m[1] += g[k] * yv;
                m[2] += g[k] * xv * xv;
                m[3] += g[k] * yv * yv;
                m[4] += g[k] * xv * yv;
            }
            for (int q = 0; q < 5; q++)
                tmp[q * plane + (size_t)r * ow + c] = m[q];
        }
    const double C1 = (0.01 * 255) * (0.01 * 255), C2 = (0.03 * 255) * (0.03 * 255);
    double total = 0;
    long count = 0;
    int oh = ch - WIN + 1;
    for (int r = 0; r < oh; r++)
        for (int c = 0; c < ow; c++) {
            if (windows && !windows[(size_t)r * ow + c])
                continue;
            count++;
            double m[5] = {0};
            for (int k = 0; k < WIN; k++)
                for (int q = 0; q < 5; q++)
                    m[q] += g[k] * tmp[q * plane + (size_t)(r + k) * ow + c];
            double mx = m[0], my = m[1];
            double vx = m[2] - mx * mx, vy = m[3] - my * my, cov = m[4] - mx * my;
            total += ((2 * mx * my + C1) * (2 * cov + C2)) /
                     ((mx * mx + my * my + C1) * (vx + vy + C2));
        }
    free(x), free(y), free(tmp);
    return count ? total / (double)count : NAN;
}
