/* context.c: running a model on images: the context's threads and buffers, the buffer plan
 * of an inference pass, overlapping tiles that bound memory on large frames, and the
 * self-ensemble's passes over each tile. */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "ensemble.h"
#include "error.h"
#include "fast_forward.h"
#include "image.h"
#include "memory.h"
#include "network.h"

#define DEFAULT_MAX_MEMORY ((size_t)1 << 30) /* buffers; beyond it, tile */
#define SCRATCH_BUDGET_FLOATS ((size_t)8 << 20)  /* im2col chunks */

struct srres_ctx {
    const srres_model *m;
    srres_params params;
    thread_pool *pool;
    int radius;
    fast_net *fast; /* NULL: the baseline path */
    block_acts *blocks;
    float *arena, *scratch; /* the baseline's activations, or the fast path's RGB planes */
    size_t arena_floats, scratch_floats;
    float *ens;             /* self-ensemble: a region's planes, then its summed outputs */
    size_t ens_floats;
    int up_tile; /* the fast path's upsampling tile: -1 until a frame sets it */
};

srres_params srres_default_params(void)
{
    return (srres_params){.threads = 0, .tile = 0, .kernel = SRRES_KERNEL_AUTO,
                          .precision = SRRES_PRECISION_FP32, .max_memory = 0,
                          .ensemble = 1};
}

/* Floats of activations for one h x w region. Baseline: the input, and two buffers (A, B)
 * that the upsampling stages alternate between; the LR feature maps live inside B until
 * the first pixel shuffle writes it, and the tail's output in A once its last conv has been
 * read. Fast path: RGB planes in and out here, feature maps inside fast_net. */
static size_t arena_floats_for(const srres_ctx *ctx, size_t pixels)
{
    const srres_model *m = ctx->m;
    size_t s2 = (size_t)m->cfg.scale * m->cfg.scale;
    if (ctx->fast)
        return pixels * (3 + 3 * s2);
    size_t c = m->cfg.channels < 3 ? 3 : (size_t)m->cfg.channels;
    return pixels * (3 + 2 * c * s2);
}

/* The self-ensemble's buffer for one region: its planes, then its summed outputs. */
static size_t ens_floats_for(const srres_ctx *ctx, size_t pixels)
{
    size_t s2 = (size_t)ctx->m->cfg.scale * ctx->m->cfg.scale;
    return ctx->params.ensemble > 1 ? pixels * (3 + 3 * s2) : 0;
}

/* The baseline's conv scratch for an h x w region, as reserve() sizes it: each thread's
 * im2col rows, which at the tail are 81 x channels floats a pixel of an HR row. */
static double baseline_scratch_floats(const srres_ctx *ctx, int h, int w)
{
    int s = ctx->m->cfg.scale;
    if (h > INT_MAX / 16 / s || w > INT_MAX / 16 / s)
        return INFINITY; /* beyond any memory; and the sizes below would wrap */
    size_t need = network_scratch_floats(ctx->m, 1, h, w, thread_pool_size(ctx->pool), 0, 0);
    return (double)(need > SCRATCH_BUDGET_FLOATS ? need : SCRATCH_BUDGET_FLOATS);
}

/* Everything an h x w region costs, for choosing tiles: in floats, as a double so that the
 * sizes of absurd images compare rather than wrap. The self-ensemble runs the region's
 * transpose too, and scratch grows with a region's width. */
static double region_floats(const srres_ctx *ctx, int h, int w, int up_tile)
{
    double pixels = (double)h * w, scratch;
    int threads = thread_pool_size(ctx->pool);
    if (ctx->fast) {
        scratch = fast_net_floats(ctx->fast, up_tile, h, w, threads);
    } else {
        scratch = baseline_scratch_floats(ctx, h, w);
        if (ctx->params.ensemble > 1)
            scratch = fmax(scratch, baseline_scratch_floats(ctx, w, h));
        scratch = alloc_floats_taken(scratch);
    }
    return alloc_floats_taken(pixels * (double)arena_floats_for(ctx, 1)) +
           alloc_floats_taken(pixels * (double)ens_floats_for(ctx, 1)) + scratch;
}

static void plan_inference(const srres_ctx *ctx, int h, int w, activations *a)
{
    const srres_model *m = ctx->m;
    size_t P = (size_t)h * w, C = (size_t)m->cfg.channels;
    size_t s2 = (size_t)m->cfg.scale * m->cfg.scale;
    size_t big = (C < 3 ? 3 : C) * P * s2;
    float *A = ctx->arena + 3 * P, *B = A + big;
    float *F[4] = {B, B + C * P, B + 2 * C * P, B + 3 * C * P};
    a->in = ctx->arena;
    a->head_pre = a->head = F[0];
    a->body = ctx->blocks;
    for (int i = 0; i < m->cfg.blocks; i++) {
        block_acts *b = &ctx->blocks[i];
        b->c1 = b->a1 = F[1];
        b->c2 = b->out = F[2 + (i & 1)];
    }
    a->trunk = F[1];
    for (int j = 0; j < m->up_stages; j++) {
        a->up_pre[j] = A;
        a->up_shuf[j] = a->up_out[j] = B;
    }
    a->tail = A;
}

srres_status srres_ctx_create(const srres_model *model, const srres_params *params,
                              srres_ctx **out, srres_error *err)
{
    *out = NULL;
    srres_params p = params ? *params : srres_default_params();
    if (p.kernel != SRRES_KERNEL_AUTO && p.kernel != SRRES_KERNEL_BASELINE &&
        p.kernel != SRRES_KERNEL_AVX2)
        return srres_fail(err, SRRES_ERR_INVALID, "unknown kernel %d", (int)p.kernel);
    if (p.kernel == SRRES_KERNEL_AVX2 && !cpu_has_avx2_fma())
        return srres_fail(err, SRRES_ERR_UNSUPPORTED,
                          "the AVX2 kernels need a CPU with AVX2 and FMA");
    if (p.precision != SRRES_PRECISION_FP32 && p.precision != SRRES_PRECISION_BF16)
        return srres_fail(err, SRRES_ERR_INVALID, "unknown precision %d", (int)p.precision);
    if (p.threads < 0 || p.threads > 1024)
        return srres_fail(err, SRRES_ERR_INVALID, "threads %d is not in 0..1024", p.threads);
    if (p.threads == 0)
        p.threads = thread_pool_cpu_count();
    if (p.ensemble == 0)
        p.ensemble = 1;
    if (p.ensemble != 1 && p.ensemble != 2 && p.ensemble != 4 && p.ensemble != ENSEMBLE_MAX)
        return srres_fail(err, SRRES_ERR_INVALID, "ensemble %d is not 1, 2, 4 or 8",
                          p.ensemble);
    if (p.precision == SRRES_PRECISION_BF16 &&
        (p.kernel != SRRES_KERNEL_AUTO || !cpu_has_avx512_bf16()))
        return srres_fail(err, SRRES_ERR_UNSUPPORTED,
                          "bf16 precision needs the fast kernels on a CPU with AVX512_BF16");
    srres_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return srres_fail(err, SRRES_ERR_NOMEM, "out of memory");
    ctx->m = model;
    ctx->params = p;
    ctx->radius = network_receptive_radius(model);
    ctx->up_tile = -1;
    openblas_set_num_threads(1); /* our pool splits the work; see srres.h */
    ctx->pool = thread_pool_create(p.threads);
    ctx->blocks = calloc(model->cfg.blocks ? model->cfg.blocks : 1, sizeof(block_acts));
    if (!ctx->pool || !ctx->blocks) {
        srres_ctx_free(ctx);
        return srres_fail(err, SRRES_ERR_NOMEM, "cannot start %d threads", p.threads);
    }
    /* AUTO: AVX-512, else AVX2 + FMA (bf16 was refused above without AVX-512), else the
     * baseline. */
    int avx512 = p.kernel == SRRES_KERNEL_AUTO && cpu_has_avx512();
    int avx2 = p.kernel == SRRES_KERNEL_AVX2 ||
               (p.kernel == SRRES_KERNEL_AUTO && cpu_has_avx2_fma());
    if (avx512 || avx2) {
        srres_status st = fast_net_create(model, avx512 ? FAST_AVX512 : FAST_AVX2,
                                          p.precision == SRRES_PRECISION_BF16, &ctx->fast, err);
        if (st != SRRES_OK) {
            srres_ctx_free(ctx);
            return st;
        }
    }
    *out = ctx;
    return SRRES_OK;
}

void srres_ctx_free(srres_ctx *ctx)
{
    if (!ctx)
        return;
    thread_pool_free(ctx->pool);
    fast_net_free(ctx->fast);
    free(ctx->blocks);
    free(ctx->arena);
    free(ctx->scratch);
    free(ctx->ens);
    free(ctx);
}

static double budget_floats(const srres_ctx *ctx)
{
    size_t budget = ctx->params.max_memory ? ctx->params.max_memory : DEFAULT_MAX_MEMORY;
    return (double)(budget / sizeof(float));
}

/* The fast path's upsampling stages run on tiles (fast_forward.c), whose halos cost time
 * (4% on a 480x270 x4 frame at 256) but whose maps let a larger region, or the whole frame,
 * within the budget: an h x w region takes the largest of these that fits. */
static const int up_tiles[] = {0, 512, 256, 128};
#define SMALLEST_UP_TILE 128

static int up_tile_for(const srres_ctx *ctx, int h, int w)
{
    size_t i = 0;
    while (i + 1 < sizeof(up_tiles) / sizeof(up_tiles[0]) &&
           region_floats(ctx, h, w, up_tiles[i]) > budget_floats(ctx))
        i++;
    /* It never grows again: the buffers a frame keeps (the context's grow, never shrink)
     * and another's larger tiles would together pass the budget. */
    int prev = ctx->up_tile;
    if (prev >= 0 && (up_tiles[i] == 0 || (prev > 0 && up_tiles[i] > prev)))
        return prev;
    return up_tiles[i];
}

int srres_ctx_tile_size(const srres_ctx *ctx, int width, int height)
{
    int t = ctx->params.tile;
    if (t < 0)
        return 0;
    if (t == 0) {
        double floats = budget_floats(ctx);
        if (region_floats(ctx, height, width, SMALLEST_UP_TILE) <= floats)
            return 0;
        /* The largest region side within the budget; a thin frame's regions are the frame's
         * height (or width) by that, and cost their borders too. */
        int lo = 1, hi = width > height ? width : height;
        while (lo < hi) {
            int mid = lo + (hi - lo + 1) / 2;
            if (region_floats(ctx, mid < height ? mid : height, mid < width ? mid : width,
                              SMALLEST_UP_TILE) <= floats)
                lo = mid;
            else
                hi = mid - 1;
        }
        t = lo - 2 * ctx->radius;
        if (t < 32)
            t = 32;
    }
    return t >= width && t >= height ? 0 : t;
}

/* Grows *buf to `need` floats, its contents not kept. */
static int grow(float **buf, size_t *have, size_t need)
{
    if (need <= *have)
        return 0;
    float *b = alloc_floats(need);
    if (!b)
        return -1;
    free(*buf);
    *buf = b;
    *have = need;
    return 0;
}

/* Makes room for regions of up to h x w; buffers grow, never shrink, so a stream of equal
 * frames allocates once. */
static srres_status reserve(srres_ctx *ctx, int h, int w, srres_error *err)
{
    size_t need = arena_floats_for(ctx, (size_t)h * w), ens = ens_floats_for(ctx, (size_t)h * w);
    if (grow(&ctx->arena, &ctx->arena_floats, need) || grow(&ctx->ens, &ctx->ens_floats, ens))
        return srres_fail(err, SRRES_ERR_NOMEM, "out of memory for a %dx%d region (%zu MB)", w,
                          h, (need + ens) * sizeof(float) >> 20);
    if (ctx->fast)
        return fast_net_reserve(ctx->fast, h, w, thread_pool_size(ctx->pool), err);
    size_t scratch = network_scratch_floats(ctx->m, 1, h, w, thread_pool_size(ctx->pool), 0, 0);
    if (scratch < SCRATCH_BUDGET_FLOATS)
        scratch = SCRATCH_BUDGET_FLOATS;
    if (grow(&ctx->scratch, &ctx->scratch_floats, scratch))
        return srres_fail(err, SRRES_ERR_NOMEM, "out of memory for conv scratch");
    return SRRES_OK;
}

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

/* Where the network reads an h x w region's planes [3][h][w]; `a` is the baseline's plan. */
static float *region_input(srres_ctx *ctx, int h, int w, activations *a)
{
    if (ctx->fast)
        return ctx->arena;
    plan_inference(ctx, h, w, a);
    return a->in;
}

/* The network on the planes region_input gave; *result = its output [3][h*s][w*s]. */
static srres_status region_forward(srres_ctx *ctx, int h, int w, const activations *a,
                                   const float **result, srres_error *err)
{
    if (ctx->fast) {
        float *res = ctx->arena + (size_t)3 * h * w;
        *result = res;
        return fast_net_forward(ctx->fast, ctx->arena, h, w, res, ctx->pool, err);
    }
    conv_env env = {ctx->scratch, ctx->scratch_floats, ctx->pool, 0};
    network_forward(ctx->m, a, 1, h, w, &env);
    *result = a->tail;
    return SRRES_OK;
}

/* The w x h region at (x, y) of `in` through the network: once, or as the mean over the
 * self-ensemble's transforms of it. */
static srres_status upscale_region(srres_ctx *ctx, const srres_image *in, int x, int y, int w,
                                   int h, const float **result, srres_error *err)
{
    int n = ctx->params.ensemble, s = ctx->m->cfg.scale;
    activations a;
    if (n == 1) {
        image_read(in, x, y, w, h, region_input(ctx, h, w, &a));
        return region_forward(ctx, h, w, &a, result, err);
    }
    size_t P = (size_t)w * h, out_floats = 3 * P * s * s;
    float *planes = ctx->ens, *sum = planes + 3 * P;
    image_read(in, x, y, w, h, planes);
    memset(sum, 0, sizeof(float) * out_floats);
    for (int t = 0; t < n; t++) {
        int tr = ensemble_transposes(t), th = tr ? w : h, tw = tr ? h : w;
        const float *out;
        ensemble_transform(region_input(ctx, th, tw, &a), planes, 3, h, w, t);
        srres_status st = region_forward(ctx, th, tw, &a, &out, err);
        if (st)
            return st;
        ensemble_accumulate(sum, out, 3, h * s, w * s, t);
    }
    for (size_t i = 0; i < out_floats; i++)
        sum[i] *= 1.0f / (float)n;
    *result = sum;
    return SRRES_OK;
}

srres_status srres_upscale(srres_ctx *ctx, const srres_image *in, const srres_image *out,
                           srres_error *err)
{
    srres_status st;
    if ((st = image_check(in, "input", err)) || (st = image_check(out, "output", err)))
        return st;
    int s = ctx->m->cfg.scale, W = in->width, H = in->height;
    if ((long)out->width != (long)W * s || (long)out->height != (long)H * s)
        return srres_fail(err, SRRES_ERR_INVALID,
                          "output image is %dx%d; a x%d model makes %ldx%ld from %dx%d",
                          out->width, out->height, s, (long)W * s, (long)H * s, W, H);
    if (images_overlap(in, out))
        return srres_fail(err, SRRES_ERR_INVALID,
                          "input and output images overlap in memory; the output must be a "
                          "separate buffer");
    int T = srres_ctx_tile_size(ctx, W, H), M = ctx->radius;
    int tile_w = T ? T : W, tile_h = T ? T : H;
    int rh = min_int(H, tile_h + 2 * M), rw = min_int(W, tile_w + 2 * M);
    if (ctx->fast) {
        ctx->up_tile = up_tile_for(ctx, rh, rw);
        fast_net_set_up_tile(ctx->fast, ctx->up_tile);
    }
    if ((st = reserve(ctx, rh, rw, err)) ||
        (ctx->params.ensemble > 1 && (st = reserve(ctx, rw, rh, err))))
        return st;
    for (int ty = 0; ty < H; ty += tile_h) {
        for (int tx = 0; tx < W; tx += tile_w) {
            int tw = min_int(tile_w, W - tx), th = min_int(tile_h, H - ty);
            int x0 = max_int(0, tx - M), y0 = max_int(0, ty - M);
            int x1 = min_int(W, tx + tw + M), y1 = min_int(H, ty + th + M);
            const float *result;
            if ((st = upscale_region(ctx, in, x0, y0, x1 - x0, y1 - y0, &result, err)))
                return st;
            image_write(out, tx * s, ty * s, tw * s, th * s, result, (x1 - x0) * s,
                        (y1 - y0) * s, (tx - x0) * s, (ty - y0) * s);
        }
    }
    return SRRES_OK;
}
