/* conv_nhwc.c: layout conversion around the fast kernels for CNHW callers. The conversions
 * cost O(C) per pixel against a convolution's O(C^2 k^2), but only when done as register
 * transposes (layout.h): element by element they took a sixth of a training step. */
#include <string.h>

#include "conv_nhwc.h"
#include "direct_conv.h"
#include "layout.h"
#include "winograd.h"

/* One orchestration, two sets of kernels with the same layouts (as fast_forward.c's). */
typedef struct nhwc_kernels {
    void (*winograd_weights)(float *U, const float *weight, int cin, int cout, int cip, int cop,
                             const int *perm);
    void (*winograd_conv3x3)(const fmap *out, const fmap *in, const float *U, int cop,
                             const winograd_epilogue *ep, float *scratch, int ty0, int ty1);
    void (*winograd_weight_grad)(float *dU, const fmap *in, const fmap *dout, int cop,
                                 float *scratch, int ty0, int ty1);
    void (*winograd_weight_grad_oihw)(float *dweight, const float *dU, int cin, int cout, int cip,
                                      int cop);
    void (*head_conv9x9)(const fmap *out, const fmap *in, const float *w, const float *bias,
                         const float *slope, int y0, int y1);
    void (*tail_conv9x9)(float *out, const fmap *in, const float *w, const float *bias, int y0,
                         int y1);
    void (*tail_weight_grad)(float *dw, const float *dout, const fmap *in, int y0, int y1);
    void (*to_pixels)(float *pixels, int stride, const float *planes, size_t plane, int c, int w);
    void (*to_planes)(float *planes, size_t plane, const float *pixels, int stride, int c, int w,
                      int accumulate);
} nhwc_kernels;

static const nhwc_kernels kernels[] = {
    [CONV_NHWC_AVX512] = {winograd_weights, winograd_conv3x3, winograd_weight_grad,
                          winograd_weight_grad_oihw, head_conv9x9, tail_conv9x9, tail_weight_grad,
                          layout_block_to_pixels, layout_block_to_planes},
    [CONV_NHWC_AVX2] = {winograd_weights_avx2, winograd_conv3x3_avx2, winograd_weight_grad_avx2,
                        winograd_weight_grad_oihw_avx2, head_conv9x9_avx2, tail_conv9x9_avx2,
                        tail_weight_grad_avx2, layout_block_to_pixels_avx2,
                        layout_block_to_planes_avx2},
};

/* Image i starts at row i * slot of the stacked map: a multiple of 4 (Winograd tile rows)
 * followed by at least 4 zero rows (the padding of a 9x9 kernel) before the next image. */
static int slot_rows(int h)
{
    return (h + 3) / 4 * 4 + 4;
}

static size_t up16(size_t floats)
{
    return (floats + 15) & ~(size_t)15; /* keeps the next buffer 64-byte aligned */
}

/* Per-thread scratch of the Winograd kernels, enough for either set, so that the sizes do
 * not depend on the kernels chosen. */
static size_t winograd_work(int cip)
{
    size_t a = winograd_scratch_floats(cip), b = winograd_scratch_floats_avx2(cip);
    return up16(a > b ? a : b);
}

static size_t winograd_grad_work(int cip, int cop)
{
    size_t a = winograd_grad_scratch_floats(cip, cop);
    size_t b = winograd_grad_scratch_floats_avx2(cip, cop);
    return up16(a > b ? a : b);
}

/* A stacked map of n images over `base`; returns its floats. */
static size_t stacked_map(fmap *m, float *base, int n, int h, int w, int pad, int c)
{
    int rows = n * slot_rows(h);
    size_t cols = fmap_span(w, pad);
    *m = (fmap){base, rows, w, pad, c, cols * c};
    return up16(fmap_span(rows, pad) * cols * c);
}

/* Zeroes a stacked map of `floats` (as stacked_map returned) except its images' pixels,
 * which to_map writes in full (padding channels too): borders, gaps and the margin beyond
 * are zero, and a whole-buffer memset would write the pixels twice. */
static void zero_around_images(const fmap *m, size_t floats, int n, int h)
{
    int slot = slot_rows(h);
    size_t rows = floats / m->row, inner = (size_t)m->w * m->c, left = (size_t)m->pad * m->c;
    for (size_t r = 0; r < rows; r++) {
        float *row = m->data + r * m->row;
        long y = (long)r - m->pad;
        if (y < 0 || y / slot >= n || y % slot >= h) {
            memset(row, 0, sizeof(float) * m->row);
            continue;
        }
        memset(row, 0, sizeof(float) * left);
        memset(row + left + inner, 0, sizeof(float) * (m->row - left - inner));
    }
    memset(m->data + rows * m->row, 0, sizeof(float) * (floats - rows * m->row));
}

int conv_nhwc_handles(int cin, int cout, int k)
{
    return k == 3 || (k == 9 && (cin == 3 || cout == 3));
}

size_t conv_nhwc_scratch_floats(int cin, int cout, int k, int n, int h, int w, int threads)
{
    fmap m;
    int pad = k / 2, cip = fmap_channels(cin), cop = fmap_channels(cout);
    size_t maps = stacked_map(&m, NULL, n, h, w, pad, cip) + stacked_map(&m, NULL, n, h, w, 1, cop);
    size_t weights = k == 3 ? up16((size_t)36 * cip * cop) : up16((size_t)81 * 3 * (cin == 3 ? cop : cip));
    size_t planes = up16((size_t)3 * m.h * w); /* the tail's planar output */
    size_t work = k == 3 ? (size_t)threads * winograd_work(cip) : 0;
    return maps + weights + 2 * up16((size_t)cop) + planes + work;
}

typedef struct layout_job {
    const nhwc_kernels *kern;
    const fmap *map;
    float *planes; /* [c][n][h][w] */
    int c, n, h, w, slot, accumulate;
} layout_job;

/* Sixteen channels at a time over the whole image (layout.h). */
static void to_map(void *arg, int begin, int end, int thread)
{
    const layout_job *j = arg;
    size_t plane = (size_t)j->n * j->h * j->w;
    for (int i = begin; i < end; i++) /* images */
        for (int c0 = 0; c0 < j->map->c; c0 += 16) {
            int c = j->c - c0 < 0 ? 0 : j->c - c0 > 16 ? 16 : j->c - c0;
            const float *block = c ? j->planes + c0 * plane : j->planes; /* 0: padding */
            for (int y = 0; y < j->h; y++)
                j->kern->to_pixels(fmap_at(j->map, i * j->slot + y, 0) + c0, j->map->c,
                                   block + ((size_t)i * j->h + y) * j->w, plane, c, j->w);
        }
}

static void from_map(void *arg, int begin, int end, int thread)
{
    const layout_job *j = arg;
    size_t plane = (size_t)j->n * j->h * j->w;
    for (int i = begin; i < end; i++)
        for (int c0 = 0; c0 < j->c; c0 += 16) {
            int c = j->c - c0 > 16 ? 16 : j->c - c0;
            for (int y = 0; y < j->h; y++)
                j->kern->to_planes(j->planes + c0 * plane + ((size_t)i * j->h + y) * j->w, plane,
                                   fmap_at(j->map, i * j->slot + y, 0) + c0, j->map->c, c, j->w,
                                   j->accumulate);
        }
}

/* Stacked planes [c][rows][w] to and from CNHW planes, skipping the gaps. */
static void planes_copy(float *cnhw, float *stacked, int c, int n, int h, int w, int rows,
                        int to_stacked, int accumulate)
{
    int slot = slot_rows(h);
    for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < n; i++)
            for (int y = 0; y < h; y++) {
                float *a = cnhw + (((size_t)ch * n + i) * h + y) * w;
                float *b = stacked + ((size_t)ch * rows + (size_t)i * slot + y) * w;
                if (to_stacked)
                    memcpy(b, a, sizeof(float) * w);
                else if (accumulate)
                    for (int x = 0; x < w; x++)
                        a[x] += b[x];
                else
                    memcpy(a, b, sizeof(float) * w);
            }
}

typedef struct kernel_job {
    const nhwc_kernels *kern;
    const fmap *out, *in;
    const float *weights, *bias, *slope;
    float *planes, *scratch;
    size_t per_thread;
    int cop;
} kernel_job;

static void run_winograd(void *arg, int begin, int end, int thread)
{
    const kernel_job *j = arg;
    winograd_epilogue ep = {j->bias, NULL, NULL, 0};
    j->kern->winograd_conv3x3(j->out, j->in, j->weights, j->cop, &ep,
                              j->scratch + j->per_thread * thread, begin, end);
}

static void run_head(void *arg, int begin, int end, int thread)
{
    const kernel_job *j = arg;
    j->kern->head_conv9x9(j->out, j->in, j->weights, j->bias, j->slope, begin, end);
}

static void run_tail(void *arg, int begin, int end, int thread)
{
    const kernel_job *j = arg;
    j->kern->tail_conv9x9(j->planes, j->in, j->weights, j->bias, begin, end);
}

void conv_nhwc_forward(float *out, const float *in, const float *weight, const float *bias, int cin,
                       int cout, int k, int n, int h, int w, int accumulate, conv_nhwc_isa isa,
                       float *scratch, thread_pool *pool)
{
    const nhwc_kernels *K = &kernels[isa];
    int cip = fmap_channels(cin), cop = fmap_channels(cout), slot = slot_rows(h);
    fmap min, mout;
    float *p = scratch;
    size_t in_floats = stacked_map(&min, p, n, h, w, k / 2, cip);
    p += in_floats;
    p += stacked_map(&mout, p, n, h, w, 1, cop);
    float *weights = p, *b = p + (k == 3 ? up16((size_t)36 * cip * cop)
                                           : up16((size_t)81 * 3 * (cin == 3 ? cop : cip)));
    float *slope = b + up16((size_t)cop), *planes = slope + up16((size_t)cop);
    float *work = planes + up16((size_t)3 * min.h * w);
    zero_around_images(&min, in_floats, n, h);
    for (int c = 0; c < cop; c++) {
        b[c] = bias && c < cout ? bias[c] : 0.0f;
        slope[c] = 1.0f; /* the head kernel's PReLU, made the identity */
    }
    layout_job to = {K, &min, (float *)in, cin, n, h, w, slot, 0};
    thread_pool_for_dynamic(pool, n, to_map, &to);
    kernel_job kj = {K, &mout, &min, weights, b, slope, planes, work, winograd_work(cip), cop};
    if (k == 3) {
        K->winograd_weights(weights, weight, cin, cout, cip, cop, NULL);
        thread_pool_for_dynamic(pool, (min.h + 3) / 4, run_winograd, &kj);
    } else if (cin == 3) {
        head_weights(weights, weight, cout, cop);
        thread_pool_for_dynamic(pool, min.h, run_head, &kj);
    } else {
        tail_weights(weights, weight, cin, cip);
        thread_pool_for_dynamic(pool, min.h, run_tail, &kj);
        planes_copy(out, planes, 3, n, h, w, min.h, 0, accumulate);
        return;
    }
    layout_job back = {K, &mout, out, cout, n, h, w, slot, accumulate};
    thread_pool_for_dynamic(pool, n, from_map, &back);
}

/* The 3x3 weight gradient: fixed shares of the tile rows, each into parts of its own,
 * summed in order, so the result does not depend on the number of threads. */
#define GRAD_PARTS 8

/* Per-thread work floats of conv_nhwc_backward3: the weight gradient's, or the input
 * gradient convolution's (cop input channels). */
static size_t backward3_work(int cip, int cop)
{
    size_t grad = winograd_grad_work(cip, cop), conv = winograd_work(cop);
    return grad > conv ? grad : conv;
}

size_t conv_nhwc_backward3_scratch_floats(int cin, int cout, int n, int h, int w, int threads)
{
    fmap m;
    int cip = fmap_channels(cin), cop = fmap_channels(cout);
    return 2 * stacked_map(&m, NULL, n, h, w, 1, cip) + stacked_map(&m, NULL, n, h, w, 1, cop) +
           GRAD_PARTS * up16((size_t)36 * cip * cop) + up16((size_t)36 * cop * cip) +
           up16((size_t)cip) + (size_t)threads * backward3_work(cip, cop);
}

typedef struct wgrad_job {
    const nhwc_kernels *kern;
    const fmap *in, *dout;
    float *parts, *work;
    size_t part, per_thread;
    int tile_rows;
} wgrad_job;

static void run_weight_grad(void *arg, int begin, int end, int thread)
{
    const wgrad_job *j = arg;
    for (int part = begin; part < end; part++)
        j->kern->winograd_weight_grad(j->parts + j->part * part, j->in, j->dout, j->dout->c,
                                      j->work + j->per_thread * thread,
                                      (int)((long)j->tile_rows * part / GRAD_PARTS),
                                      (int)((long)j->tile_rows * (part + 1) / GRAD_PARTS));
}

void conv_nhwc_backward3(float *dinp, float *dweight, const float *dout, const float *inp,
                         const float *flipped, int cin, int cout, int n, int h, int w,
                         conv_nhwc_isa isa, float *scratch, thread_pool *pool)
{
    const nhwc_kernels *K = &kernels[isa];
    int cip = fmap_channels(cin), cop = fmap_channels(cout), slot = slot_rows(h);
    fmap min, mdout, mdinp;
    float *p = scratch;
    size_t in_floats = stacked_map(&min, p, n, h, w, 1, cip);
    p += in_floats;
    size_t dout_floats = stacked_map(&mdout, p, n, h, w, 1, cop);
    p += dout_floats;
    p += stacked_map(&mdinp, p, n, h, w, 1, cip);
    size_t part = up16((size_t)36 * cip * cop), per_thread = backward3_work(cip, cop);
    float *parts = p, *U = parts + GRAD_PARTS * part, *zero = U + up16((size_t)36 * cop * cip);
    float *work = zero + up16((size_t)cip);
    /* outside the images no gradient flows */
    zero_around_images(&min, in_floats, n, h);
    zero_around_images(&mdout, dout_floats, n, h);
    layout_job to_in = {K, &min, (float *)inp, cin, n, h, w, slot, 0};
    thread_pool_for_dynamic(pool, n, to_map, &to_in);
    layout_job to_dout = {K, &mdout, (float *)dout, cout, n, h, w, slot, 0};
    thread_pool_for_dynamic(pool, n, to_map, &to_dout);

    wgrad_job j = {K, &min, &mdout, parts, work, part, per_thread, (min.h + 3) / 4};
    thread_pool_for_dynamic(pool, GRAD_PARTS, run_weight_grad, &j);
    for (int q = 1; q < GRAD_PARTS; q++)
        for (size_t i = 0; i < (size_t)36 * cip * cop; i++)
            parts[i] += parts[q * part + i];
    K->winograd_weight_grad_oihw(dweight, parts, cin, cout, cip, cop);
    if (!dinp)
        return;

    /* the input gradient: dout convolved with the flipped, transposed kernel */
    memset(zero, 0, sizeof(float) * cip);
    K->winograd_weights(U, flipped, cout, cin, cop, cip, NULL);
    kernel_job kj = {K, &mdinp, &mdout, U, zero, NULL, NULL, work, per_thread, cip};
    thread_pool_for_dynamic(pool, (mdout.h + 3) / 4, run_winograd, &kj);
    layout_job back = {K, &mdinp, dinp, cin, n, h, w, slot, 1};
    thread_pool_for_dynamic(pool, n, from_map, &back);
}

/* The weight gradient is summed from fixed shares of the rows, in order (see
 * CONV_GRAD_PARTS in layers.h): the same result for any number of threads. */
#define TAIL_GRAD_PARTS 8

size_t conv_nhwc_tail_grad_scratch_floats(int cin, int n, int h, int w)
{
    fmap m;
    int cip = fmap_channels(cin);
    size_t map = stacked_map(&m, NULL, n, h, w, 4, cip);
    return map + up16((size_t)3 * m.h * w) + TAIL_GRAD_PARTS * up16((size_t)3 * 81 * cip);
}

typedef struct grad_job {
    const nhwc_kernels *kern;
    const fmap *in;
    const float *dout;
    float *parts;
    size_t part;
} grad_job;

static void run_tail_grad(void *arg, int begin, int end, int thread)
{
    const grad_job *j = arg;
    for (int part = begin; part < end; part++)
        j->kern->tail_weight_grad(j->parts + j->part * part, j->dout, j->in,
                                  (int)((long)j->in->h * part / TAIL_GRAD_PARTS),
                                  (int)((long)j->in->h * (part + 1) / TAIL_GRAD_PARTS));
}

void conv_nhwc_tail_weight_grad(float *dweight, const float *dout, const float *inp, int cin, int n,
                                int h, int w, conv_nhwc_isa isa, float *scratch, thread_pool *pool)
{
    const nhwc_kernels *K = &kernels[isa];
    int cip = fmap_channels(cin);
    fmap min;
    size_t in_floats = stacked_map(&min, scratch, n, h, w, 4, cip);
    float *planes = scratch + in_floats, *parts = planes + up16((size_t)3 * min.h * w);
    size_t part = up16((size_t)3 * 81 * cip);
    zero_around_images(&min, in_floats, n, h);
    memset(planes, 0, sizeof(float) * 3 * min.h * w); /* gap rows carry no gradient */
    memset(parts, 0, sizeof(float) * part * TAIL_GRAD_PARTS);
    layout_job to = {K, &min, (float *)inp, cin, n, h, w, slot_rows(h), 0};
    thread_pool_for_dynamic(pool, n, to_map, &to);
    planes_copy((float *)dout, planes, 3, n, h, w, min.h, 1, 0);
    grad_job j = {K, &min, planes, parts, part};
    thread_pool_for_dynamic(pool, TAIL_GRAD_PARTS, run_tail_grad, &j);
    /* parts [3][81][cip], summed in a fixed order, into OIHW [3][cin][81] */
    for (int co = 0; co < 3; co++)
        for (int ci = 0; ci < cin; ci++)
            for (int q = 0; q < 81; q++) {
                float s = 0;
                for (int t = 0; t < TAIL_GRAD_PARTS; t++)
                    s += parts[part * t + ((size_t)co * 81 + q) * cip + ci];
                dweight[((size_t)co * cin + ci) * 81 + q] += s;
            }
}
