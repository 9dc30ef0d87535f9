/* evaluate.c: benchmark-style scoring of an upscaler on HR images. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/error.h>

#include "evaluate.h"
#include "frame_source.h"
#include "metrics.h"

int eval_min_side(int scale)
{
    /* The LR image must be at least 4 pixels, and the SSIM window must fit once `scale`
     * pixels are cropped from every border. */
    int side = 2 * scale + METRICS_SSIM_WINDOW;
    side = side > 4 * scale ? side : 4 * scale;
    return (side + scale - 1) / scale * scale;
}

/* One colour throughout, fully transparent pixels apart (alpha may be NULL): any exact
 * upscaler scores an infinite PSNR on it. */
static int is_one_colour(const uint8_t *rgb, const uint8_t *alpha, int w, int h)
{
    const uint8_t *first = NULL;
    for (size_t i = 0; i < (size_t)w * h; i++) {
        if (alpha && !alpha[i])
            continue;
        if (!first)
            first = rgb + 3 * i;
        else if (memcmp(rgb + 3 * i, first, 3))
            return 0;
    }
    return 1;
}

/* HR's alpha cropped as its colours are, where a pixel of it is 0; else NULL. Returns -1
 * when out of memory. */
static int crop_alpha(eval_image *im, const uint8_t *alpha, int fw, int x0, int y0)
{
    if (!alpha)
        return 0;
    int clear = 0;
    for (int y = 0; y < im->h && !clear; y++)
        clear = memchr(alpha + (size_t)(y + y0) * fw + x0, 0, (size_t)im->w) != NULL;
    if (!clear)
        return 0;
    if (!(im->alpha = malloc((size_t)im->w * im->h)))
        return -1;
    for (int y = 0; y < im->h; y++)
        memcpy(im->alpha + (size_t)y * im->w, alpha + (size_t)(y + y0) * fw + x0,
               (size_t)im->w);
    return 0;
}

int eval_set_load(eval_set *set, const char *const *files, int n, int scale, int max_side,
                  char *err, int errlen)
{
    *set = (eval_set){calloc((size_t)(n ? n : 1), sizeof(eval_image)), 0, scale};
    if (!set->images) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int min = eval_min_side(scale);
    for (int i = 0; i < n; i++) {
        frame_source *fs;
        const uint8_t *rgb;
        int ret = frame_source_open(&fs, files[i], err, errlen);
        if (ret < 0)
            return ret == AVERROR(ENOMEM) ? -1 : -3;
        if ((ret = frame_source_read(fs, frame_source_count(fs) / 2, &rgb, err, errlen)) < 0) {
            frame_source_close(fs);
            return ret == AVERROR(ENOMEM) ? -1 : -3;
        }
        /* The centred crop first, then the literature's crop to a multiple of the scale,
         * which keeps the top-left corner (BasicSR's modcrop, MATLAB's benchmark scripts). */
        int fw = frame_source_width(fs), fh = frame_source_height(fs);
        int cw = max_side > 0 && fw > max_side ? max_side : fw;
        int ch = max_side > 0 && fh > max_side ? max_side : fh;
        int x0 = (fw - cw) / 2, y0 = (fh - ch) / 2;
        int w = cw - cw % scale, h = ch - ch % scale;
        if (w < min || h < min) {
            if (cw < fw || ch < fh)
                snprintf(err, errlen,
                         "%s: a crop of %dx%d is too small to score at x%d: at least %dx%d",
                         files[i], cw, ch, scale, min, min);
            else
                snprintf(err, errlen, "%s: %dx%d is too small to score at x%d: at least %dx%d",
                         files[i], fw, fh, scale, min, min);
            frame_source_close(fs);
            return -2;
        }
        eval_image *im = &set->images[set->count];
        im->name = strdup(files[i]);
        im->w = w;
        im->h = h;
        im->hr = malloc((size_t)w * h * 3);
        im->lr = malloc((size_t)(w / scale) * (h / scale) * 3);
        if (!im->name || !im->hr || !im->lr) {
            snprintf(err, errlen, "%s: out of memory", files[i]);
            frame_source_close(fs);
            set->count++;
            return -1;
        }
        set->count++;
        for (int y = 0; y < h; y++)
            memcpy(im->hr + (size_t)y * w * 3, rgb + ((size_t)(y + y0) * fw + x0) * 3,
                   (size_t)w * 3);
        int failed = crop_alpha(im, frame_source_alpha(fs), fw, x0, y0);
        frame_source_close(fs);
        long windows = -1;
        if (!failed)
            im->windows = metrics_ssim_windows(im->alpha, w, w, h, scale, &windows);
        if (windows < 0) {
            snprintf(err, errlen, "%s: out of memory", files[i]);
            return -1;
        }
        if (!windows) {
            snprintf(err, errlen, "%s: no %dx%d window without fully transparent pixels to "
                     "score%s", files[i], METRICS_SSIM_WINDOW, METRICS_SSIM_WINDOW,
                     cw < fw || ch < fh ? " in the crop" : "");
            return -2;
        }
        if (is_one_colour(im->hr, im->alpha, w, h)) {
            snprintf(err, errlen, "%s: the image is one colour%s: PSNR cannot score it",
                     files[i], im->alpha ? " where not fully transparent" : "");
            return -2;
        }
        if (resample_rgb24(im->hr, w, h, (ptrdiff_t)w * 3, im->lr, w / scale, h / scale,
                           (ptrdiff_t)(w / scale) * 3, RESAMPLE_BICUBIC)) {
            snprintf(err, errlen, "%s: out of memory", files[i]);
            return -1;
        }
    }
    return 0;
}

void eval_set_free(eval_set *set)
{
    for (int i = 0; i < set->count; i++) {
        free(set->images[i].name);
        free(set->images[i].hr);
        free(set->images[i].lr);
        free(set->images[i].alpha);
        free(set->images[i].windows);
    }
    free(set->images);
    set->images = NULL;
    set->count = 0;
}

static void score(const eval_image *im, const uint8_t *sr, int border, eval_score *s)
{
    ptrdiff_t stride = (ptrdiff_t)im->w * 3;
    s->psnr = metrics_psnr_y_visible(im->hr, stride, sr, stride, im->alpha, im->w, im->w,
                                     im->h, border);
    s->ssim = metrics_ssim_y_windows(im->hr, stride, sr, stride, im->windows, im->w, im->h,
                                     border);
}

/* Upscales every LR image with the model (ctx) or else the resampler; averages scores. */
static int eval_each(const eval_set *set, srres_ctx *ctx, resample_filter f,
                     eval_score *per_image, eval_score *mean, char *err, int errlen)
{
    *mean = (eval_score){0, 0};
    for (int i = 0; i < set->count; i++) {
        const eval_image *im = &set->images[i];
        int lw = im->w / set->scale, lh = im->h / set->scale;
        uint8_t *sr = malloc((size_t)im->w * im->h * 3);
        if (!sr) {
            snprintf(err, errlen, "%s: out of memory", im->name);
            return -1;
        }
        int failed;
        if (ctx) {
            srres_image in = {SRRES_PIXEL_RGB24, lw, lh, {im->lr}, {(ptrdiff_t)lw * 3}};
            srres_image out = {SRRES_PIXEL_RGB24, im->w, im->h, {sr}, {(ptrdiff_t)im->w * 3}};
            srres_error e;
            failed = srres_upscale(ctx, &in, &out, &e) != SRRES_OK;
            if (failed)
                snprintf(err, errlen, "%s: %s", im->name, e.message);
        } else {
            failed = resample_rgb24(im->lr, lw, lh, (ptrdiff_t)lw * 3, sr, im->w, im->h,
                                    (ptrdiff_t)im->w * 3, f);
            if (failed)
                snprintf(err, errlen, "%s: out of memory", im->name);
        }
        eval_score s = {0, 0};
        if (!failed) {
            score(im, sr, set->scale, &s);
            failed = isnan(s.ssim);
            if (failed)
                snprintf(err, errlen, "%s: out of memory", im->name);
        }
        free(sr);
        if (failed)
            return -1;
        if (per_image)
            per_image[i] = s;
        mean->psnr += s.psnr / set->count;
        mean->ssim += s.ssim / set->count;
    }
    return 0;
}

int eval_model(const eval_set *set, srres_ctx *ctx, eval_score *per_image, eval_score *mean,
               char *err, int errlen)
{
    return eval_each(set, ctx, RESAMPLE_BICUBIC, per_image, mean, err, errlen);
}

int eval_resampler(const eval_set *set, resample_filter f, eval_score *per_image,
                   eval_score *mean, char *err, int errlen)
{
    return eval_each(set, NULL, f, per_image, mean, err, errlen);
}
