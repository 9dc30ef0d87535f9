/* resample.h: Pillow-exact image resampling of packed 8-bit RGB (Image.resize with BICUBIC
 * or LANCZOS): the degradation of the SR literature's "bicubic" benchmarks (antialiased
 * when shrinking), used to make LR patches and evaluation inputs, and as the classic
 * upscalers we compare against. libswscale's bicubic uses another kernel normalisation and
 * fixed-point path, so it does not reproduce the benchmarks' LR images; this does, to the
 * byte (tests/test_resample.c checks it against Pillow's output). */
#ifndef SRRES_RESAMPLE_H
#define SRRES_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef enum resample_filter {
    RESAMPLE_BICUBIC, /* Keys a = -0.5, support 2 */
    RESAMPLE_LANCZOS, /* Lanczos-3 */
} resample_filter;

/* dst (dw x dh) = src (sw x sh) resized; strides in bytes. Returns 0, or -1 when out of
 * memory. */
int resample_rgb24(const uint8_t *src, int sw, int sh, ptrdiff_t sstride, uint8_t *dst, int dw,
                   int dh, ptrdiff_t dstride, resample_filter filter);

/* The ww x wh window at (x0, y0) of that dw x dh resize, byte for byte, at the cost of the
 * window alone: the trainer cuts patches from large photographs resized at random scales. */
int resample_rgb24_window(const uint8_t *src, int sw, int sh, ptrdiff_t sstride, int dw, int dh,
                          int x0, int y0, int ww, int wh, uint8_t *dst, ptrdiff_t dstride,
                          resample_filter filter);

#endif
