/* evaluate.h: the SR benchmark protocol on a set of HR images: HR cropped to a multiple of
 * the scale, LR = Pillow bicubic downscale, output scored by PSNR/SSIM on Y with `scale`
 * border pixels ignored. Shared by the trainer's validation and srres-eval. */
#ifndef SRRES_EVALUATE_H
#define SRRES_EVALUATE_H

#include <stdint.h>

#include "resample.h"
#include "srres.h"

typedef struct eval_image {
    char *name;
    uint8_t *hr, *lr; /* packed RGB */
    uint8_t *alpha;   /* HR's, w x h, where it has fully transparent pixels (0): those are
                       * not scored; NULL: every pixel is */
    uint8_t *windows; /* the SSIM windows scored, made once (metrics_ssim_windows); NULL:
                       * every one */
    int w, h;         /* HR size; LR is w/scale x h/scale */
} eval_image;

typedef struct eval_set {
    eval_image *images;
    int count, scale;
} eval_set;

typedef struct eval_score {
    double psnr, ssim;
} eval_score;

/* The smallest HR side scored at this scale (the SSIM window inside the border). */
int eval_min_side(int scale);

/* Loads each file (the middle frame of a video); max_side > 0 keeps a centred crop of at
 * most max_side x max_side HR pixels. HR is then cut to a multiple of the scale from the
 * top-left corner. Fully transparent pixels are left out of the scores (their colours mean
 * nothing; they still enter the LR, as they do any upscale of the picture). Returns 0, or
 * with a message naming the file: -1 where memory runs out; -2 where it is read but cannot
 * be scored: smaller than eval_min_side, of one colour where not fully transparent (every
 * exact upscaler's PSNR infinite), or without an SSIM window free of fully transparent
 * pixels; -3 where it cannot be read (opened or decoded). */
int eval_set_load(eval_set *set, const char *const *files, int n, int scale, int max_side,
                  char *err, int errlen);
void eval_set_free(eval_set *set);

/* Scores the model; per_image (may be NULL) gets one score per image, mean the average. */
int eval_model(const eval_set *set, srres_ctx *ctx, eval_score *per_image, eval_score *mean,
               char *err, int errlen);

/* Scores a classic upscaler of the same LR images. */
int eval_resampler(const eval_set *set, resample_filter f, eval_score *per_image,
                   eval_score *mean, char *err, int errlen);

#endif
