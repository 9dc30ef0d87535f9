/* image.c: pixel format conversion at the edges of the network. */
#include <math.h>
#include <stdint.h>

#include "error.h"
#include "image.h"

/* Planes of a format and bytes a pixel takes in each; 0 for an unknown format. */
static int format_planes(srres_pixel_format format, int *bytes)
{
    *bytes = 0;
    switch (format) {
    case SRRES_PIXEL_RGB24: *bytes = 3; return 1;
    case SRRES_PIXEL_RGBP16: *bytes = 2; return 3;
    case SRRES_PIXEL_RGBP_F32: *bytes = 4; return 3;
    case SRRES_PIXEL_RGBP8: *bytes = 1; return 3;
    case SRRES_PIXEL_BGR0: *bytes = 4; return 1;
    }
    return 0;
}

srres_status image_check(const srres_image *img, const char *what, srres_error *err)
{
    if (!img)
        return srres_fail(err, SRRES_ERR_INVALID, "%s image is missing", what);
    if (img->width < 1 || img->height < 1)
        return srres_fail(err, SRRES_ERR_INVALID, "%s image is %dx%d", what, img->width,
                          img->height);
    int bytes, planes = format_planes(img->format, &bytes);
    if (!planes)
        return srres_fail(err, SRRES_ERR_INVALID, "%s image has unknown pixel format %d", what,
                          (int)img->format);
    /* A negative line size is a bottom-up image (FFmpeg's vflip gives such frames). */
    for (int p = 0; p < planes; p++) {
        ptrdiff_t ls = img->linesize[p];
        size_t step = ls < 0 ? -(size_t)ls : (size_t)ls, row = (size_t)img->width * bytes;
        if (!img->data[p] || step < row)
            return srres_fail(err, SRRES_ERR_INVALID, "%s image plane %d is %s", what, p,
                              img->data[p] ? "narrower than its width" : "missing");
        /* The rows must lie within the address space, as those of any array do, for
         * plane_span's and row_of's sums to mean anything: the plane within PTRDIFF_MAX
         * bytes, none of them below address 0 or past the last. */
        size_t rows = (size_t)img->height - 1;
        uintptr_t first = (uintptr_t)img->data[p];
        int fits = !rows || step <= (PTRDIFF_MAX - row) / rows;
        size_t below = fits && ls < 0 ? step * rows : 0;
        size_t above = fits && ls > 0 ? step * rows + row : row;
        if (!fits || below > first || above > UINTPTR_MAX - first)
            return srres_fail(err, SRRES_ERR_INVALID,
                              "%s image plane %d: %d rows of line size %td do not fit in memory",
                              what, p, img->height, ls);
    }
    /* Planar samples are read as uint16_t and float, which C wants aligned. */
    for (int p = 0; p < planes; p++)
        if (planes > 1 && ((uintptr_t)img->data[p] % bytes || img->linesize[p] % bytes))
            return srres_fail(err, SRRES_ERR_INVALID,
                              "%s image plane %d or its line size is not a multiple of its "
                              "%d-byte samples",
                              what, p, bytes);
    return SRRES_OK;
}

/* The addresses [lo, hi) that plane p of a checked image spans, whichever way up it is. */
static void plane_span(const srres_image *img, int p, uintptr_t *lo, uintptr_t *hi)
{
    int bytes;
    format_planes(img->format, &bytes);
    uintptr_t first = (uintptr_t)img->data[p];
    ptrdiff_t last_row = img->linesize[p] * (ptrdiff_t)(img->height - 1);
    *lo = first + (uintptr_t)(last_row < 0 ? last_row : 0);
    *hi = first + (uintptr_t)(last_row > 0 ? last_row : 0) + (uintptr_t)img->width * bytes;
}

int images_overlap(const srres_image *a, const srres_image *b)
{
    int bytes, na = format_planes(a->format, &bytes), nb = format_planes(b->format, &bytes);
    for (int i = 0; i < na; i++)
        for (int j = 0; j < nb; j++) {
            uintptr_t alo, ahi, blo, bhi;
            plane_span(a, i, &alo, &ahi);
            plane_span(b, j, &blo, &bhi);
            if (alo < bhi && blo < ahi)
                return 1;
        }
    return 0;
}

static const void *row_of(const srres_image *img, int plane, int y)
{
    return (const char *)img->data[plane] + img->linesize[plane] * y;
}

/* Packed 8-bit formats: bytes a pixel, and where R, G and B lie in it; 0 for the others. */
static int packed8(srres_pixel_format format, int at[3])
{
    int bgr = format == SRRES_PIXEL_BGR0;
    for (int c = 0; c < 3; c++)
        at[c] = bgr ? 2 - c : c;
    return format == SRRES_PIXEL_RGB24 ? 3 : bgr ? 4 : 0;
}

void image_read(const srres_image *img, int x, int y, int w, int h, float *dst)
{
    size_t plane = (size_t)w * h;
    int at[3], px = packed8(img->format, at);
    for (int row = 0; row < h; row++) {
        float *d[3] = {dst + (size_t)row * w, dst + plane + (size_t)row * w,
                       dst + 2 * plane + (size_t)row * w};
        if (px) {
            const uint8_t *s = (const uint8_t *)row_of(img, 0, y + row) + (size_t)px * x;
            for (int i = 0; i < w; i++)
                for (int c = 0; c < 3; c++)
                    d[c][i] = s[(size_t)px * i + at[c]] / 255.0f;
        } else if (img->format == SRRES_PIXEL_RGBP8) {
            for (int c = 0; c < 3; c++) {
                const uint8_t *s = (const uint8_t *)row_of(img, c, y + row) + x;
                for (int i = 0; i < w; i++)
                    d[c][i] = s[i] / 255.0f;
            }
        } else if (img->format == SRRES_PIXEL_RGBP16) {
            for (int c = 0; c < 3; c++) {
                const uint16_t *s = (const uint16_t *)row_of(img, c, y + row) + x;
                for (int i = 0; i < w; i++)
                    d[c][i] = s[i] / 65535.0f;
            }
        } else {
            for (int c = 0; c < 3; c++) {
                const float *s = (const float *)row_of(img, c, y + row) + x;
                for (int i = 0; i < w; i++)
                    d[c][i] = s[i];
            }
        }
    }
}

static float clamp01(float v)
{
    return v > 1.0f ? 1.0f : v >= 0.0f ? v : 0.0f; /* NaN becomes 0, never a wild integer */
}

/* Scaled in double, where a float times 255 or 65535 is exact, so that it is rounded once;
 * a float product was itself rounded, at times up to the half level and then past it. */
void image_write(const srres_image *img, int x, int y, int w, int h, const float *src,
                 int src_w, int src_h, int sx, int sy)
{
    size_t plane = (size_t)src_w * src_h;
    int at[3], px = packed8(img->format, at);
    for (int row = 0; row < h; row++) {
        size_t o = (size_t)(sy + row) * src_w + sx;
        const float *s[3] = {src + o, src + plane + o, src + 2 * plane + o};
        if (px) {
            uint8_t *d = (uint8_t *)row_of(img, 0, y + row) + (size_t)px * x;
            for (int i = 0; i < w; i++) {
                for (int c = 0; c < 3; c++)
                    d[(size_t)px * i + at[c]] = (uint8_t)(clamp01(s[c][i]) * 255.0 + 0.5);
                if (px == 4)
                    d[(size_t)4 * i + 3] = 255; /* bgr0's spare byte */
            }
        } else if (img->format == SRRES_PIXEL_RGBP8) {
            for (int c = 0; c < 3; c++) {
                uint8_t *d = (uint8_t *)row_of(img, c, y + row) + x;
                for (int i = 0; i < w; i++)
                    d[i] = (uint8_t)(clamp01(s[c][i]) * 255.0 + 0.5);
            }
        } else if (img->format == SRRES_PIXEL_RGBP16) {
            for (int c = 0; c < 3; c++) {
                uint16_t *d = (uint16_t *)row_of(img, c, y + row) + x;
                for (int i = 0; i < w; i++)
                    d[i] = (uint16_t)(clamp01(s[c][i]) * 65535.0 + 0.5);
            }
        } else {
            for (int c = 0; c < 3; c++) {
                float *d = (float *)row_of(img, c, y + row) + x;
                for (int i = 0; i < w; i++)
                    d[i] = clamp01(s[c][i]);
            }
        }
    }
}
