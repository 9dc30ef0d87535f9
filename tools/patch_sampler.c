/* patch_sampler.c: rounds of decoded frames, cut into augmented HR/LR patch pairs by a pool
 * of loader threads while the trainer consumes the previous round. */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_source.h"
#include "key_set.h"
#include "patch_sampler.h"
#include "resample.h"
#include "transparent.h"
#include "srres.h"

#define MARGIN 2   /* LR pixels around a patch: covers the bicubic support (2 LR pixels) */
#define TRIES 20   /* draws per patch before a flat one is accepted anyway */
#define ROUNDS 2   /* one being consumed, one being filled */
#define OPEN_MAX 8 /* videos a loader keeps open (seeking forward is cheap); more are closed */
#define REDRAWS 4  /* frames drawn again when the one drawn is damaged */

typedef struct media_file {
    const char *path;
    int count, width, height, interlaced;
    int skipped;                 /* too small for a patch, or no region clear: never drawn */
    double scale_min, scale_max; /* the options' --hr-scale range, raised to fit a patch */
    key_set damaged;             /* the damaged frames met, as frame_source_damaged names them */
} media_file;

typedef struct job {
    int file, frame;
    uint64_t seed;
} job;

typedef struct round_buf {
    uint64_t index;
    job *jobs;
    int next_job, done_jobs;
    uint8_t *hr, *lr; /* [patches][side][side][3] */
    uint32_t *order;  /* shuffled patch order */
    int failed;
    char error[320];
} round_buf;

struct sampler {
    sampler_options o;
    media_file *files;
    int nfiles;
    int *drawn, ndrawn; /* the files rounds draw from: those not skipped */
    int hr_side, lr_side, round_patches;
    pthread_t *threads;
    int nthreads;
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    int stop;
    round_buf rounds[ROUNDS];
    int current;     /* the round being consumed */
    int cursor;      /* next patch of it */
    int started;
};

typedef struct worker {
    sampler *s;
    frame_source **sources; /* one per file, opened on first use (videos only) */
    uint64_t *last_use;     /* per file: the job count when its source was last used */
    uint64_t jobs;
    uint8_t *drawn, *region, *turned, *lr_region; /* R x R: a draw, the one kept, ... */
    uint8_t *scaled; /* a whole scaled frame, when its draws would cover more than it */
    size_t scaled_size;
    uint32_t *holes; /* a frame's transparent pixels, counted (transparent_table) */
    size_t holes_size;
    uint64_t *rows; /* clear regions before each row (count_clear) */
    size_t rows_size;
} worker;

sampler_options sampler_default_options(void)
{
    return (sampler_options){.scale = 4, .patch = 24, .patches_per_frame = 8,
                             .frames_per_round = 64, .frame_stride = 1,
                             .flat_threshold = 64, .flat_skip = 0.75, .detail_draws = 1,
                             .hr_scale_min = 1, .hr_scale_max = 1, .augment = 1, .threads = 1,
                             .seed = 1};
}

static uint64_t mix(uint64_t a, uint64_t b)
{
    srres_rng r;
    srres_rng_seed(&r, a ^ (b * 0x9e3779b97f4a7c15ull));
    return srres_rng_u64(&r);
}

/* The jobs of round r and their seeds: a function of (seed, r) only. */
static void plan_round(sampler *s, round_buf *rb, uint64_t index)
{
    srres_rng rng;
    srres_rng_seed(&rng, mix(s->o.seed, index));
    rb->index = index;
    rb->next_job = rb->done_jobs = 0;
    rb->failed = 0;
    for (int j = 0; j < s->o.frames_per_round; j++) {
        job *jb = &rb->jobs[j];
        jb->file = s->drawn[srres_rng_below(&rng, (uint32_t)s->ndrawn)];
        int choices = (s->files[jb->file].count + s->o.frame_stride - 1) / s->o.frame_stride;
        jb->frame = (int)srres_rng_below(&rng, (uint32_t)choices) * s->o.frame_stride;
        jb->seed = srres_rng_u64(&rng);
    }
    /* Fisher-Yates over the round's patches */
    for (int i = 0; i < s->round_patches; i++)
        rb->order[i] = (uint32_t)i;
    for (int i = s->round_patches - 1; i > 0; i--) {
        uint32_t k = srres_rng_below(&rng, (uint32_t)i + 1), t = rb->order[i];
        rb->order[i] = rb->order[k];
        rb->order[k] = t;
    }
}

static double luma_variance(const uint8_t *p, ptrdiff_t stride, int side)
{
    double sum = 0, sq = 0;
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            const uint8_t *q = p + stride * y + 3 * x;
            double l = 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
            sum += l;
            sq += l * l;
        }
    double n = (double)side * side, mean = sum / n;
    return sq / n - mean * mean;
}

/* Mean squared luma difference between neighbours, across and down: how much fine detail
 * a patch holds, which is what an upscaler has to restore. */
static double luma_detail(const uint8_t *p, ptrdiff_t stride, int side)
{
    double sum = 0;
    for (int y = 0; y + 1 < side; y++)
        for (int x = 0; x + 1 < side; x++) {
            const uint8_t *q = p + stride * y + 3 * x, *r = q + 3, *d = q + stride;
            double l = 0.299 * q[0] + 0.587 * q[1] + 0.114 * q[2];
            double dx = 0.299 * r[0] + 0.587 * r[1] + 0.114 * r[2] - l;
            double dy = 0.299 * d[0] + 0.587 * d[1] + 0.114 * d[2] - l;
            sum += dx * dx + dy * dy;
        }
    return sum / ((double)(side - 1) * (side - 1));
}

/* dst = src (square, side n) under one of the 8 symmetries of the square. */
static void transform(uint8_t *dst, const uint8_t *src, int n, int t)
{
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            int sx = t & 1 ? n - 1 - x : x, sy = t & 2 ? n - 1 - y : y;
            if (t & 4) {
                int tmp = sx;
                sx = sy;
                sy = tmp;
            }
            memcpy(dst + ((size_t)y * n + x) * 3, src + ((size_t)sy * n + sx) * 3, 3);
        }
}

/* Keeps at most OPEN_MAX videos open: closes the least recently used before another opens
 * (a training set of hundreds of clips would run out of file descriptors and memory). */
static void make_room(worker *w)
{
    int open = 0, oldest = -1;
    for (int i = 0; i < w->s->nfiles; i++)
        if (w->sources[i]) {
            open++;
            if (oldest < 0 || w->last_use[i] < w->last_use[oldest])
                oldest = i;
        }
    if (open >= OPEN_MAX) {
        frame_source_close(w->sources[oldest]);
        w->sources[oldest] = NULL;
    }
}

/* The side of the HR region a patch is cut from: the patch and its margin. */
static int region_side(const sampler *s)
{
    return s->hr_side + 2 * MARGIN * s->o.scale;
}

/* A decoded RGB frame (sw x sh) and the size it is scaled to (w x h). Only the regions
 * patches are cut from are scaled: scaling whole 12-megapixel photographs took a loader
 * longer than decoding them. A frame no larger than its draws' regions together (768x432
 * video at LR patches of 48 and up) is scaled whole, once: region by region took a loader
 * 15-50% more CPU time there. Both ways give the same bytes. */
typedef struct scaled_frame {
    const uint8_t *rgb;
    int sw, sh, w, h;
    /* Where the frame has fully transparent pixels: holes counts them over the decoded frame
     * (hw x hh), and patches are drawn only from the `clear` regions without one, counted
     * row by row in rows. A transparent pixel's colour means nothing (often black or what
     * an editor left there): a patch holding one, or made from one by the scaling, would
     * teach the network that colour and the edge where it meets the picture. A pixel is
     * made from the decoded pixels up to reach_x across and reach_y down too, where they
     * share chroma (frame_source_colour_reach). */
    const uint32_t *holes;
    int hw, hh, reach_x, reach_y;
    const uint64_t *rows;
    uint64_t clear;
} scaled_frame;

/* The decoded pixels [*lo, *hi) that scaled pixels [x, x + n) are made from (of a resize
 * from in to out): Pillow's bicubic taps, and a pixel more either way. */
static void source_span(int x, int n, int in, int out, int *lo, int *hi)
{
    if (in == out) {
        *lo = x;
        *hi = x + n;
        return;
    }
    double scale = (double)in / out, support = 2.0 * (scale < 1 ? 1 : scale);
    *lo = (int)floor((x + 0.5) * scale - support + 0.5) - 1;
    *hi = (int)floor((x + n - 0.5) * scale + support + 0.5) + 1;
    *lo = *lo < 0 ? 0 : *lo;
    *hi = *hi > in ? in : *hi;
}

/* Whether the side x side region at (x, y) of the scaled frame is made from no transparent
 * pixel. */
static int region_clear(const scaled_frame *fr, int x, int y, int side)
{
    int x0, x1, y0, y1;
    source_span(x, side, fr->hw, fr->w, &x0, &x1);
    source_span(y, side, fr->hh, fr->h, &y0, &y1);
    x0 = x0 > fr->reach_x ? x0 - fr->reach_x : 0;
    y0 = y0 > fr->reach_y ? y0 - fr->reach_y : 0;
    x1 = x1 + fr->reach_x < fr->hw ? x1 + fr->reach_x : fr->hw;
    y1 = y1 + fr->reach_y < fr->hh ? y1 + fr->reach_y : fr->hh;
    return transparent_in(fr->holes, fr->hw, x0, y0, x1, y1) == 0;
}

/* rows[y] = the clear side x side regions whose top-left corner is in a row before y, for
 * y up to the rows of corners; returns their total. */
static uint64_t count_clear(const scaled_frame *fr, int side, uint64_t *rows)
{
    int ny = fr->h - side + 1, nx = fr->w - side + 1;
    rows[0] = 0;
    for (int y = 0; y < ny; y++) {
        uint64_t n = 0;
        for (int x = 0; x < nx; x++)
            n += region_clear(fr, x, y, side);
        rows[y + 1] = rows[y] + n;
    }
    return rows[ny];
}

/* A region's top-left corner, at random: among the clear ones where the frame has
 * transparent pixels. */
static void draw_corner(const scaled_frame *fr, int side, srres_rng *rng, int *x, int *y)
{
    if (!fr->holes) {
        *x = (int)srres_rng_below(rng, (uint32_t)(fr->w - side + 1));
        *y = (int)srres_rng_below(rng, (uint32_t)(fr->h - side + 1));
        return;
    }
    uint64_t k = srres_rng_u64(rng) % fr->clear;
    int lo = 0, hi = fr->h - side + 1; /* the row: rows[lo] <= k < rows[lo + 1] */
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (fr->rows[mid] <= k)
            lo = mid;
        else
            hi = mid;
    }
    k -= fr->rows[lo];
    int cx = 0;
    for (;; cx++)
        if (region_clear(fr, cx, lo, side) && !k--)
            break;
    *x = cx;
    *y = lo;
}

/* out (side x side) = the region at (x, y) of the scaled frame. */
static int scaled_region(const scaled_frame *fr, int x, int y, int side, uint8_t *out)
{
    if (fr->w != fr->sw || fr->h != fr->sh)
        return resample_rgb24_window(fr->rgb, fr->sw, fr->sh, (ptrdiff_t)fr->sw * 3, fr->w,
                                     fr->h, x, y, side, side, out, (ptrdiff_t)side * 3,
                                     RESAMPLE_BICUBIC);
    for (int row = 0; row < side; row++)
        memcpy(out + (size_t)row * side * 3, fr->rgb + ((size_t)(y + row) * fr->sw + x) * 3,
               (size_t)side * 3);
    return 0;
}

static int cut_patches(worker *w, const media_file *mf, const job *jb, const scaled_frame *fr,
                       srres_rng *rng, uint8_t *hr_out, uint8_t *lr_out, char *err, int errlen);

/* fr = the frame read last of fs, to be scaled by f (raised where a patch would not fit),
 * with the clear regions counted where it has transparent pixels. Returns the count of
 * regions a patch may be cut from (1 for an opaque frame), or -1 when out of memory. */
static int64_t frame_at(worker *w, frame_source *fs, const uint8_t *rgb, double f, scaled_frame *fr)
{
    int fw = frame_source_width(fs), fh = frame_source_height(fs), R = region_side(w->s);
    /* A frame smaller than those the file's floor was found on (its size changed part way)
     * is scaled no smaller than a patch allows either. */
    int side = fw < fh ? fw : fh;
    if (f < (double)R / side)
        f = (double)R / side;
    *fr = (scaled_frame){rgb, fw, fh, fw, fh, .hw = fw, .hh = fh};
    frame_source_colour_reach(fs, &fr->reach_x, &fr->reach_y);
    if (f < 1.0) {
        fr->w = (int)(fw * f + 0.5);
        fr->h = (int)(fh * f + 0.5);
    }
    if (fr->w < R || fr->h < R)
        return 1; /* too small for a patch, as cut_patches says */
    int holes =
        transparent_table(&w->holes, &w->holes_size, frame_source_alpha(fs), fw, fw, fh);
    if (holes <= 0)
        return holes < 0 ? -1 : 1;
    size_t need = (size_t)(fr->h - R + 2);
    if (need > w->rows_size) {
        free(w->rows);
        w->rows = malloc(sizeof(uint64_t) * need);
        w->rows_size = w->rows ? need : 0;
        if (!w->rows)
            return -1;
    }
    fr->holes = w->holes;
    fr->rows = w->rows;
    fr->clear = count_clear(fr, R, w->rows);
    return (int64_t)fr->clear;
}

static int run_job(worker *w, const job *jb, uint8_t *hr_out, uint8_t *lr_out, char *err,
                   int errlen)
{
    sampler *s = w->s;
    const media_file *mf = &s->files[jb->file];
    frame_source *fs = w->sources[jb->file];
    if (!fs && mf->count > 1)
        make_room(w);
    if (!fs && frame_source_open(&fs, mf->path, err, errlen) < 0)
        return -1;
    w->last_use[jb->file] = ++w->jobs;
    srres_rng rng;
    srres_rng_seed(&rng, jb->seed);
    double f = mf->scale_min + (mf->scale_max - mf->scale_min) * srres_rng_uniform(&rng);
    double R = region_side(s);
    const uint8_t *rgb;
    scaled_frame fr;
    /* A frame without a clear region at the scale drawn is taken unscaled, where its regions
     * are made from the fewest pixels; one without any, a video's (a fade from transparent),
     * gives way to the next frame drawn from. */
    int choices = (mf->count + s->o.frame_stride - 1) / s->o.frame_stride, ret;
    for (int next = 0, redraws = 0, frame = jb->frame;; next++) {
        int64_t clear = 0;
        /* A damaged frame reads as the next whole one, which would be drawn as often as the
         * whole damaged run before it (to the next keyframe): another is drawn instead, a few
         * times, from the job's own numbers. */
        if ((ret = frame_source_read(fs, frame, &rgb, err, errlen)) == 1 && redraws < REDRAWS) {
            redraws++;
            next--;
            frame = (int)srres_rng_below(&rng, (uint32_t)choices) * s->o.frame_stride;
            continue;
        }
        if (ret == 1)
            ret = 0;
        if (ret < 0 || (clear = frame_at(w, fs, rgb, f, &fr)) < 0 ||
            (!clear && f < 1 && (clear = frame_at(w, fs, rgb, 1, &fr)) < 0)) {
            if (ret >= 0)
                snprintf(err, errlen, "%s: out of memory", mf->path);
            ret = -1;
            break;
        }
        if (clear)
            break;
        if (next + 1 >= choices) {
            snprintf(err, errlen,
                     "%s: no frame holds a %dx%d region without fully transparent pixels", mf->path,
                     (int)R, (int)R);
            ret = -1;
            break;
        }
        frame = (frame + s->o.frame_stride) % (choices * s->o.frame_stride);
    }
    if (ret == 0 && (fr.w != fr.sw || fr.h != fr.sh) &&
        (double)s->o.patches_per_frame * s->o.detail_draws * R * R >= (double)fr.w * fr.h) {
        size_t need = (size_t)fr.w * fr.h * 3;
        if (need > w->scaled_size) {
            free(w->scaled);
            w->scaled = malloc(need);
            w->scaled_size = w->scaled ? need : 0;
        }
        if (!w->scaled || resample_rgb24(rgb, fr.sw, fr.sh, (ptrdiff_t)fr.sw * 3, w->scaled, fr.w,
                                         fr.h, (ptrdiff_t)fr.w * 3, RESAMPLE_BICUBIC)) {
            snprintf(err, errlen, "%s: out of memory", mf->path);
            ret = -1;
        }
        fr.rgb = w->scaled;
        fr.sw = fr.w;
        fr.sh = fr.h;
    }
    /* Videos stay open (seeking forward is cheap); an image is closed once cut up. */
    if (mf->count > 1)
        w->sources[jb->file] = fs;
    ret = ret < 0 ? -1 : cut_patches(w, mf, jb, &fr, &rng, hr_out, lr_out, err, errlen);
    if (mf->count == 1)
        frame_source_close(fs);
    return ret;
}

/* Cuts the job's patches from a frame. */
static int cut_patches(worker *w, const media_file *mf, const job *jb, const scaled_frame *fr,
                       srres_rng *rng, uint8_t *hr_out, uint8_t *lr_out, char *err, int errlen)
{
    sampler *s = w->s;
    int S = s->hr_side, m = MARGIN * s->o.scale, R = region_side(s), P = s->lr_side;
    if (fr->w < R || fr->h < R) {
        snprintf(err, errlen, "%s: frame %d is %dx%d, smaller than a %dx%d HR patch with margin",
                 mf->path, jb->frame, fr->w, fr->h, R, R);
        return -1;
    }
    for (int k = 0; k < s->o.patches_per_frame; k++) {
        int kept = 0;
        double most = 0;
        for (int d = 0; d < s->o.detail_draws; d++) {
            const uint8_t *inner = NULL; /* the patch inside the drawn region's margin */
            for (int t = 0; t < TRIES; t++) {
                int x, y;
                draw_corner(fr, R, rng, &x, &y);
                if (scaled_region(fr, x, y, R, w->drawn)) {
                    snprintf(err, errlen, "%s: out of memory", mf->path);
                    return -1;
                }
                inner = w->drawn + ((size_t)m * R + m) * 3;
                double var = luma_variance(inner, (ptrdiff_t)R * 3, S);
                if (var >= s->o.flat_threshold || srres_rng_uniform(rng) >= s->o.flat_skip)
                    break;
            }
            double detail = s->o.detail_draws > 1 ? luma_detail(inner, (ptrdiff_t)R * 3, S) : 0;
            if (!kept || detail > most) {
                most = detail;
                kept = 1;
                uint8_t *t = w->region; /* the draw becomes the region kept */
                w->region = w->drawn;
                w->drawn = t;
            }
        }
        const uint8_t *src = w->region;
        if (s->o.augment) {
            transform(w->turned, w->region, R, (int)srres_rng_below(rng, 8));
            src = w->turned;
        }
        int L = P + 2 * MARGIN;
        if (resample_rgb24(src, R, R, (ptrdiff_t)R * 3, w->lr_region, L, L, (ptrdiff_t)L * 3,
                           RESAMPLE_BICUBIC)) {
            snprintf(err, errlen, "%s: out of memory", mf->path);
            return -1;
        }
        uint8_t *hr = hr_out + (size_t)k * S * S * 3, *lr = lr_out + (size_t)k * P * P * 3;
        for (int row = 0; row < S; row++)
            memcpy(hr + (size_t)row * S * 3, src + ((size_t)(row + m) * R + m) * 3,
                   (size_t)S * 3);
        for (int row = 0; row < P; row++)
            memcpy(lr + (size_t)row * P * 3,
                   w->lr_region + ((size_t)(row + MARGIN) * L + MARGIN) * 3, (size_t)P * 3);
    }
    return 0;
}

/* Adds the damaged frames fs met to those of its file, each once. Returns 0 or -1 (out of
 * memory). */
static int add_damaged(media_file *mf, const frame_source *fs)
{
    const int64_t *keys;
    int n = frame_source_damaged(fs, &keys);
    for (int j = 0; j < n; j++)
        if (key_set_add(&mf->damaged, keys[j]) < 0)
            return -1;
    return 0;
}

/* Claims the oldest unclaimed job of any round; returns its round or NULL on stop. */
static round_buf *claim(sampler *s, int *j)
{
    for (;;) {
        round_buf *best = NULL;
        for (int r = 0; r < ROUNDS; r++) {
            round_buf *rb = &s->rounds[r];
            if (rb->next_job < s->o.frames_per_round && (!best || rb->index < best->index))
                best = rb;
        }
        if (s->stop)
            return NULL;
        if (best) {
            *j = best->next_job++;
            return best;
        }
        pthread_cond_wait(&s->work, &s->lock);
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    sampler *s = w->s;
    size_t S = (size_t)s->hr_side, P = (size_t)s->lr_side, K = (size_t)s->o.patches_per_frame;
    char err[320];
    pthread_mutex_lock(&s->lock);
    for (;;) {
        int j;
        round_buf *rb = claim(s, &j);
        if (!rb)
            break;
        job jb = rb->jobs[j];
        uint8_t *hr = rb->hr + (size_t)j * K * S * S * 3, *lr = rb->lr + (size_t)j * K * P * P * 3;
        pthread_mutex_unlock(&s->lock);
        int ret = run_job(w, &jb, hr, lr, err, sizeof(err));
        pthread_mutex_lock(&s->lock);
        frame_source *fs = w->sources[jb.file];
        if (ret == 0 && fs && add_damaged(&s->files[jb.file], fs)) {
            snprintf(err, sizeof(err), "out of memory");
            ret = -1;
        }
        if (ret < 0 && !rb->failed) {
            rb->failed = 1;
            snprintf(rb->error, sizeof(rb->error), "%s", err);
        }
        /* No job of the round in flight: it is complete, or its buffer may be planned anew. */
        if (++rb->done_jobs == rb->next_job)
            pthread_cond_broadcast(&s->done);
    }
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < s->nfiles; i++)
        frame_source_close(w->sources[i]);
    free(w->sources), free(w->last_use);
    free(w->drawn), free(w->region), free(w->turned), free(w->lr_region), free(w->scaled);
    free(w->holes), free(w->rows);
    free(w);
    return NULL;
}

int sampler_create(sampler **out, const char *const *files, int nfiles,
                   const sampler_options *o, char *err, int errlen)
{
    *out = NULL;
    if (nfiles < 1) {
        snprintf(err, errlen, "no input videos or images");
        return -1;
    }
    if (o->patches_per_frame < 1 || o->frames_per_round < 1 || o->frame_stride < 1 ||
        o->threads < 1 || o->patch < 1 || o->detail_draws < 1 || o->hr_scale_min <= 0 ||
        o->hr_scale_max < o->hr_scale_min || o->hr_scale_max > 1) {
        snprintf(err, errlen, "invalid sampler options");
        return -1;
    }
    if ((long long)o->patches_per_frame * o->frames_per_round > INT_MAX) {
        snprintf(err, errlen, "%d patches per frame of %d frames a round is too many patches",
                 o->patches_per_frame, o->frames_per_round);
        return -1;
    }
    sampler *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->o = *o;
    s->nfiles = nfiles;
    s->hr_side = o->patch * o->scale;
    s->lr_side = o->patch;
    s->round_patches = o->patches_per_frame * o->frames_per_round;
    s->files = calloc((size_t)nfiles, sizeof(media_file));
    s->drawn = calloc((size_t)nfiles, sizeof(int));
    int R = region_side(s), largest = -1, largest_w = 0, largest_h = 0;
    worker probe = {.s = s};
    for (int i = 0; s->files && s->drawn && i < nfiles; i++) {
        frame_source *fs;
        if (frame_source_open(&fs, files[i], err, errlen) < 0) {
            free(probe.holes), free(probe.rows);
            sampler_free(s);
            return -1;
        }
        /* A file that opens but does not decode would otherwise stop the run hours in. The
         * last frame is read too: in a file cut short, it finds the frames the header counts
         * and the file no longer holds, every one of which would give the last that does. */
        const uint8_t *rgb;
        media_file *mf = &s->files[i];
        int ret = frame_source_read(fs, 0, &rgb, err, errlen);
        *mf = (media_file){.path = files[i], .width = frame_source_width(fs),
                           .height = frame_source_height(fs)};
        /* Whether the frame has a region without transparent pixels, unscaled (where its
         * regions are made from the fewest): an image without one is left out. */
        scaled_frame fr;
        int64_t clear = ret < 0 ? 1 : frame_at(&probe, fs, rgb, 1, &fr);
        /* The frame of the two with the shorter side sets the floor (a video's size may
         * change part way). */
        int w = mf->width, h = mf->height;
        if (ret >= 0 && frame_source_count(fs) > 1 &&
            (ret = frame_source_read(fs, frame_source_count(fs) - 1, &rgb, err, errlen)) >= 0) {
            int lw = frame_source_width(fs), lh = frame_source_height(fs);
            if ((lw < lh ? lw : lh) < (w < h ? w : h)) {
                w = lw;
                h = lh;
            }
            if (!clear)
                clear = frame_at(&probe, fs, rgb, 1, &fr);
        }
        if (clear < 0) {
            snprintf(err, errlen, "%s: out of memory", files[i]);
            ret = -1;
        }
        mf->count = frame_source_count(fs);
        mf->interlaced = frame_source_interlaced(fs);
        if (ret >= 0 && add_damaged(mf, fs)) {
            snprintf(err, errlen, "out of memory");
            ret = -1;
        }
        frame_source_close(fs);
        if (ret < 0) {
            free(probe.holes), free(probe.rows);
            sampler_free(s);
            return -1;
        }
        int side = w < h ? w : h;
        if (largest < 0 || side > (largest_w < largest_h ? largest_w : largest_h)) {
            largest = i;
            largest_w = w;
            largest_h = h;
        }
        /* One thumbnail among thousands of photographs refused them all: it is left out, and
         * the caller says so. */
        mf->skipped = side < R ? SAMPLER_TOO_SMALL : !clear ? SAMPLER_TRANSPARENT : 0;
        if (mf->skipped) {
            mf->scale_min = o->hr_scale_min;
            mf->scale_max = o->hr_scale_max;
            continue;
        }
        s->drawn[s->ndrawn++] = i;
        /* A frame too small for a patch at the smallest scale is scaled down only as far as
         * a patch allows, so small videos train beside large photographs. */
        mf->scale_min = o->hr_scale_min > (double)R / side ? o->hr_scale_min : (double)R / side;
        mf->scale_max = o->hr_scale_max > mf->scale_min ? o->hr_scale_max : mf->scale_min;
    }
    free(probe.holes), free(probe.rows);
    if (s->files && s->drawn && !s->ndrawn) {
        /* The largest input tells how small a patch would take one. */
        char others[48] = "";
        int transparent = s->files[largest].skipped == SAMPLER_TRANSPARENT;
        if (nfiles > 1)
            snprintf(others, sizeof(others),
                     nfiles == 2 ? " (nor can the other input)" : " (nor can the %d others)",
                     nfiles - 1);
        snprintf(err, errlen,
                 "%s: %dx%d cannot hold a %dx%d HR patch with its margin%s%s; use a smaller "
                 "--patch",
                 files[largest], largest_w, largest_h, R, R,
                 transparent ? " without fully transparent pixels" : "", others);
        sampler_free(s);
        return -1;
    }
    size_t hr_bytes = (size_t)s->round_patches * s->hr_side * s->hr_side * 3;
    size_t lr_bytes = (size_t)s->round_patches * s->lr_side * s->lr_side * 3;
    int ok = s->files && s->drawn;
    for (int r = 0; r < ROUNDS && ok; r++) {
        round_buf *rb = &s->rounds[r];
        rb->jobs = calloc((size_t)o->frames_per_round, sizeof(job));
        rb->hr = malloc(hr_bytes);
        rb->lr = malloc(lr_bytes);
        rb->order = malloc(sizeof(uint32_t) * s->round_patches);
        rb->next_job = o->frames_per_round; /* nothing to do until planned */
        ok = rb->jobs && rb->hr && rb->lr && rb->order;
    }
    if (!ok) {
        snprintf(err, errlen, "out of memory for %d rounds of %d patches (%zu MiB)", ROUNDS,
                 s->round_patches, ROUNDS * (hr_bytes + lr_bytes) >> 20);
        sampler_free(s);
        return -1;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->work, NULL);
    pthread_cond_init(&s->done, NULL);
    s->threads = calloc((size_t)o->threads, sizeof(pthread_t));
    for (int t = 0; s->threads && t < o->threads; t++) {
        worker *w = calloc(1, sizeof(*w));
        size_t Rb = (size_t)R * R * 3, L = (size_t)(s->lr_side + 2 * MARGIN);
        if (w) {
            w->s = s;
            w->sources = calloc((size_t)nfiles, sizeof(frame_source *));
            w->last_use = calloc((size_t)nfiles, sizeof(uint64_t));
            w->drawn = malloc(Rb);
            w->region = malloc(Rb);
            w->turned = malloc(Rb);
            w->lr_region = malloc(L * L * 3);
        }
        if (!w || !w->sources || !w->last_use || !w->drawn || !w->region || !w->turned ||
            !w->lr_region ||
            pthread_create(&s->threads[t], NULL, worker_main, w)) {
            if (w) {
                free(w->sources), free(w->last_use), free(w->drawn), free(w->region);
                free(w->turned), free(w->lr_region);
                free(w);
            }
            break;
        }
        s->nthreads++;
    }
    if (s->nthreads < o->threads) {
        snprintf(err, errlen, "out of memory starting %d loader threads", o->threads);
        sampler_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void sampler_free(sampler *s)
{
    if (!s)
        return;
    if (s->threads) {
        pthread_mutex_lock(&s->lock);
        s->stop = 1;
        pthread_cond_broadcast(&s->work);
        pthread_mutex_unlock(&s->lock);
        for (int t = 0; t < s->nthreads; t++)
            pthread_join(s->threads[t], NULL);
    }
    for (int r = 0; r < ROUNDS; r++) {
        free(s->rounds[r].jobs), free(s->rounds[r].hr), free(s->rounds[r].lr);
        free(s->rounds[r].order);
    }
    free(s->threads);
    for (int i = 0; s->files && i < s->nfiles; i++)
        key_set_free(&s->files[i].damaged);
    free(s->files);
    free(s->drawn);
    free(s);
}

/* Under the lock: plan round `index` into buffer r and wake the loaders. */
static void start_round(sampler *s, int r, uint64_t index)
{
    plan_round(s, &s->rounds[r], index);
    pthread_cond_broadcast(&s->work);
}

void sampler_seek(sampler *s, uint64_t round, int offset)
{
    /* The end of a round is the start of the next (a checkpoint at a round's last patch). */
    if (offset >= s->round_patches) {
        round++;
        offset = 0;
    }
    pthread_mutex_lock(&s->lock);
    s->current = 0;
    s->cursor = offset < 0 ? 0 : offset;
    start_round(s, 0, round);
    start_round(s, 1, round + 1);
    s->started = 1;
    pthread_mutex_unlock(&s->lock);
}

int sampler_file(const sampler *s, int i, int *width, int *height)
{
    *width = s->files[i].width;
    *height = s->files[i].height;
    return s->files[i].count;
}

double sampler_file_scale_min(const sampler *s, int i)
{
    return s->files[i].scale_min;
}

int sampler_file_interlaced(const sampler *s, int i)
{
    return s->files[i].interlaced;
}

int sampler_file_skipped(const sampler *s, int i)
{
    return s->files[i].skipped;
}

int sampler_file_damaged(sampler *s, int i)
{
    pthread_mutex_lock(&s->lock);
    int n = s->files[i].damaged.n;
    pthread_mutex_unlock(&s->lock);
    return n;
}

int sampler_region_side(const sampler *s)
{
    return region_side(s);
}

void sampler_position(const sampler *s, uint64_t *round, int *offset)
{
    *round = s->started ? s->rounds[s->current].index : 0;
    *offset = s->started ? s->cursor : 0;
}

int sampler_next_batch(sampler *s, int batch, float *lr, float *hr, char *err, int errlen)
{
    if (!s->started)
        sampler_seek(s, 0, 0);
    size_t S = (size_t)s->hr_side, P = (size_t)s->lr_side;
    pthread_mutex_lock(&s->lock);
    for (int b = 0; b < batch; b++) {
        if (s->cursor == s->round_patches) {
            /* Consumed, so its buffer is free for round r + 2 once no loader writes to it. */
            round_buf *done = &s->rounds[s->current];
            while (done->done_jobs < done->next_job)
                pthread_cond_wait(&s->done, &s->lock);
            start_round(s, s->current, done->index + ROUNDS);
            s->current = (s->current + 1) % ROUNDS;
            s->cursor = 0;
        }
        round_buf *rb = &s->rounds[s->current];
        while (rb->done_jobs < s->o.frames_per_round && !rb->failed)
            pthread_cond_wait(&s->done, &s->lock);
        if (rb->failed) {
            snprintf(err, errlen, "%s", rb->error);
            pthread_mutex_unlock(&s->lock);
            return -1;
        }
        uint32_t idx = rb->order[s->cursor++];
        const uint8_t *h = rb->hr + (size_t)idx * S * S * 3, *l = rb->lr + (size_t)idx * P * P * 3;
        float *ho = hr + (size_t)b * 3 * S * S, *lo = lr + (size_t)b * 3 * P * P;
        for (size_t i = 0; i < S * S; i++)
            for (int c = 0; c < 3; c++)
                ho[c * S * S + i] = h[i * 3 + c] / 255.0f;
        for (size_t i = 0; i < P * P; i++)
            for (int c = 0; c < 3; c++)
                lo[c * P * P + i] = l[i * 3 + c] / 255.0f;
    }
    pthread_mutex_unlock(&s->lock);
    return 0;
}
