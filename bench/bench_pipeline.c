/* bench_pipeline.c: the forward-pass-only frame rate of a model on a clip's frames, the
 * way srres-video meets them (one context, frames in order, first-frame set-up included),
 * for comparing with srres-video's end-to-end rate on the same clip (bench/run.sh).
 * Usage: bench_pipeline MODEL CLIP   -> prints "frames seconds fps" */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "frame_source.h"
#include "srres.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_pipeline MODEL CLIP\n");
        return 2;
    }
    srres_model *m;
    srres_error e;
    char err[256];
    if (srres_model_load(argv[1], &m, &e) != SRRES_OK) {
        fprintf(stderr, "%s\n", e.message);
        return 1;
    }
    frame_source *fs;
    if (frame_source_open(&fs, argv[2], err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int w = frame_source_width(fs), h = frame_source_height(fs), n = frame_source_count(fs);
    int s = srres_model_config(m)->scale;
    uint8_t **frames = calloc((size_t)n, sizeof(uint8_t *));
    for (int i = 0; i < n; i++) { /* decode first: only the network is timed */
        const uint8_t *rgb;
        if (frame_source_read(fs, i, &rgb, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        frames[i] = malloc((size_t)w * h * 3);
        for (size_t k = 0; k < (size_t)w * h * 3; k++)
            frames[i][k] = rgb[k];
    }
    uint8_t *out = malloc((size_t)w * h * 3 * s * s);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    srres_ctx *ctx;
    if (srres_ctx_create(m, NULL, &ctx, &e) != SRRES_OK) {
        fprintf(stderr, "%s\n", e.message);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        srres_image a = {SRRES_PIXEL_RGB24, w, h, {frames[i]}, {(ptrdiff_t)w * 3}};
        srres_image b = {SRRES_PIXEL_RGB24, w * s, h * s, {out}, {(ptrdiff_t)w * s * 3}};
        if (srres_upscale(ctx, &a, &b, &e) != SRRES_OK) {
            fprintf(stderr, "%s\n", e.message);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("%d %.3f %.4f\n", n, secs, n / secs);
    for (int i = 0; i < n; i++)
        free(frames[i]);
    free(frames);
    free(out);
    srres_ctx_free(ctx);
    srres_model_free(m);
    frame_source_close(fs);
    return 0;
}
