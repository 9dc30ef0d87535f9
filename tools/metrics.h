/* metrics.h: image quality as the SR literature reports it: PSNR and SSIM on the luma (Y)
 * of BT.601 YCbCr with 16-235 range, ignoring `border` pixels on every side. */
#ifndef SRRES_METRICS_H
#define SRRES_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* a, b: packed 8-bit RGB, w x h, strides in bytes. */
double metrics_psnr_y(const uint8_t *a, ptrdiff_t astride, const uint8_t *b, ptrdiff_t bstride,
                      int w, int h, int border);

enum { METRICS_SSIM_WINDOW = 11 };

/* SSIM (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, averaged
 * over the window positions that fit inside the cropped image. Returns NaN when out of
 * memory or the cropped image is smaller than the window (a value no average can hide). */
double metrics_ssim_y(const uint8_t *a, ptrdiff_t astride, const uint8_t *b, ptrdiff_t bstride,
                      int w, int h, int border);

/* The same over the pixels a viewer sees: `alpha` (w x h, 8 bits, NULL: every pixel) leaves
 * out the fully transparent ones (0), whose stored colours mean nothing. PSNR averages the
 * squared error over the others; SSIM its windows that lie wholly on them. NaN where none is
 * left (or out of memory). */
double metrics_psnr_y_visible(const uint8_t *a, ptrdiff_t astride, const uint8_t *b,
                              ptrdiff_t bstride, const uint8_t *alpha, ptrdiff_t alpha_stride,
                              int w, int h, int border);
double metrics_ssim_y_visible(const uint8_t *a, ptrdiff_t astride, const uint8_t *b,
                              ptrdiff_t bstride, const uint8_t *alpha, ptrdiff_t alpha_stride,
                              int w, int h, int border);

/* The SSIM windows of alpha that lie wholly on pixels a viewer sees, for a picture scored
 * more than once: per window position inside the border, row by row, 1 where it holds no
 * fully transparent pixel. The caller frees it. NULL where every window does (alpha NULL or
 * none in them) or none fits; *count gets how many are 1, or -1 (and NULL) when out of
 * memory. */
uint8_t *metrics_ssim_windows(const uint8_t *alpha, ptrdiff_t alpha_stride, int w, int h,
                              int border, long *count);
/* SSIM averaged over those windows (NULL: all): metrics_ssim_y_visible without making them. */
double metrics_ssim_y_windows(const uint8_t *a, ptrdiff_t astride, const uint8_t *b,
                              ptrdiff_t bstride, const uint8_t *windows, int w, int h,
                              int border);

#endif
