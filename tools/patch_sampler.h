/* patch_sampler.h: training pairs from videos and images. Loader threads decode random
 * frames and cut HR patches from them; LR = Pillow-exact bicubic downscale of the HR patch
 * (computed on a margin around it, so it equals a crop of the downscaled frame).
 *
 * Patches come in rounds: round r is a fixed list of (file, frame, seed) jobs drawn from
 * the seed and r alone, decoded in parallel into fixed slots and then shuffled; a batch is
 * the next patches of that order. So the stream depends only on the seed, never on thread
 * timing, and a position (round, offset) is all a checkpoint needs to resume it exactly. */
#ifndef SRRES_PATCH_SAMPLER_H
#define SRRES_PATCH_SAMPLER_H

#include <stdint.h>

typedef struct sampler_options {
    int scale;              /* 2, 3, 4 or 8 */
    int patch;              /* LR patch side */
    int patches_per_frame;  /* cut from each decoded frame */
    int frames_per_round;   /* decoded frames whose patches are shuffled together */
    int frame_stride;       /* only frames whose index is a multiple of this */
    double flat_threshold;  /* HR luma variance (0-255 scale) under which a patch is flat */
    double flat_skip;       /* probability of drawing again when a patch is flat */
    int detail_draws;       /* draw this many patches, keep the one with the most detail
                               (luma gradient energy); 1 = every patch as drawn */
    double hr_scale_min;    /* each frame is first downscaled by a random factor in */
    double hr_scale_max;    /*   [min, max] (1 = off): hides compression, adds scales */
    int augment;            /* random flips and 90-degree rotations */
    int threads;            /* loader threads */
    uint64_t seed;
} sampler_options;

sampler_options sampler_default_options(void);

typedef struct sampler sampler;

/* Probes every file: it must decode. One whose frames (its first and last) are smaller than
 * a patch's region, or hold none without transparent pixels, is skipped
 * (sampler_file_skipped), unless all are. Returns 0, or -1 with a
 * one-line message naming the file. */
int sampler_create(sampler **s, const char *const *files, int nfiles,
                   const sampler_options *opts, char *err, int errlen);
void sampler_free(sampler *s);

/* Input i as probed: its frame count (1 for an image), width and height. */
int sampler_file(const sampler *s, int i, int *width, int *height);

/* The smallest scale input i's frames are drawn at: hr_scale_min, or more where a patch
 * with its margin would not fit in the frame scaled by it. */
double sampler_file_scale_min(const sampler *s, int i);

/* Whether input i's frames, as probed (its first and last), are coded interlaced: patches
 * cut from them hold both fields, combing and all. */
int sampler_file_interlaced(const sampler *s, int i);

/* Why input i is left out (none of its frames is drawn), or 0 where it is not. Patches are
 * cut only from regions without fully transparent pixels, whose colours mean nothing: an
 * input whose frames (its first and last) have no such region is left out. */
enum { SAMPLER_TOO_SMALL = 1, SAMPLER_TRANSPARENT };
int sampler_file_skipped(const sampler *s, int i);

/* The damaged frames of input i met so far, each counted once: skipped (see
 * frame_source_read), and another frame drawn in their place. */
int sampler_file_damaged(sampler *s, int i);

/* The side of the HR region a patch is cut from, its margin included: a frame's shorter side
 * must be at least this. */
int sampler_region_side(const sampler *s);

/* Continue from a position (as sampler_position reported it); before the first batch. */
void sampler_seek(sampler *s, uint64_t round, int offset);
void sampler_position(const sampler *s, uint64_t *round, int *offset);

/* lr: [batch][3][P][P], hr: [batch][3][P s][P s], floats in [0, 1], planar per patch. */
int sampler_next_batch(sampler *s, int batch, float *lr, float *hr, char *err, int errlen);

#endif
