/* fast_forward.c: the network on the fast path (AVX-512, or AVX2 + FMA): NHWC feature maps,
 * Winograd 3x3 convs with fused bias/PReLU/residual/pixel shuffle, a direct 9x9 head and a
 * Winograd 9x9 tail. Weights are transformed once per context; buffers are sized for the
 * largest region and reused.
 *
 * The upsampling stages and the tail can run on tiles of the trunk's output, up_tile LR
 * pixels a side with a halo of UP_HALO (context.c picks the size): their maps, 64 channels at
 * up to 16 times the LR pixels, are most of a region's memory, and regions made small enough
 * for them each paid a border of the whole network's receptive field (about 40 LR pixels)
 * where these tiles pay 4. Tiles start on multiples of 4 LR pixels, so every Winograd tile
 * lines up with the untiled map's and the output is the untiled output, bit for bit. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "direct_conv.h"
#include "error.h"
#include "fast_forward.h"
#include "layers.h"
#include "memory.h"
#include "tail_winograd.h"
#include "winograd.h"

/* The LR pixels around a tile the upsampling stages and the tail need: a 3x3 conv at LR (1),
 * at 2x (1/2), at 4x (1/4), and the 9x9 tail at the output (4/scale, and one more output
 * pixel that its Winograd tiles' rounding reaches); at most 3.5, so 4, which keeps tiles on
 * the Winograd grid. */
#define UP_HALO 4

/* One orchestration, two sets of kernels: the same layouts (16-channel blocks, borders,
 * Winograd tiles) on AVX-512 or on AVX2 + FMA. */
typedef struct fast_kernels {
    void (*winograd_weights)(float *U, const float *weight, int cin, int cout, int cip, int cop,
                             const int *perm);
    size_t (*winograd_scratch_floats)(int cip);
    void (*winograd_conv3x3)(const fmap *out, const fmap *in, const float *U, int cop,
                             const winograd_epilogue *ep, float *scratch, int ty0, int ty1);
    void (*head_weights)(float *dst, const float *weight, int cout, int cop);
    void (*head_conv9x9)(const fmap *out, const fmap *in, const float *w, const float *bias,
                         const float *slope, int y0, int y1);
    size_t (*tail_scratch_floats)(int cip);
    void (*tail)(float *out, const fmap *in, const float *U, const float *bias, int oy, int ox,
                 float *scratch, int ty0, int ty1);
} fast_kernels;

static const fast_kernels kernels[] = {
    [FAST_AVX512] = {winograd_weights, winograd_scratch_floats, winograd_conv3x3, head_weights,
                     head_conv9x9, tail_winograd_scratch_floats, tail_winograd},
    [FAST_AVX2] = {winograd_weights_avx2, winograd_scratch_floats_avx2, winograd_conv3x3_avx2,
                   head_weights, head_conv9x9_avx2, tail_winograd_scratch_floats_avx2,
                   tail_winograd_avx2},
};

typedef struct conv3 {
    float *U, *bias, *slope; /* slope NULL: no PReLU */
    uint16_t *Ub;            /* U as bf16 pairs (bf16 precision), else NULL */
    int cop;
} conv3;

struct fast_net {
    const srres_model *m;
    const fast_kernels *kern;
    int cp;      /* padded feature channels */
    int bf16;    /* 3x3 products in bf16 */
    float *head_w, *head_b, *head_s, *tail_U, tail_b[3];
    conv3 *body; /* 2 per block */
    conv3 trunk, up[SRRES_MAX_UP_STAGES];
    int up_tile; /* LR side of the upsampling stages' tiles, a multiple of 4; 0: none */
    /* buffers: floats enough for the largest region (tile) so far, laid out for the last */
    int h, w; /* the last region, whose borders are zero */
    fmap x, f[4], t, upmap[SRRES_MAX_UP_STAGES]; /* t: a tile of the trunk's output */
    size_t x_cap, f_cap, t_cap, up_cap[SRRES_MAX_UP_STAGES], planes_cap;
    float *planes; /* the tail's output for a tile */
    float *scratch;
    size_t scratch_per_thread;
    int threads;
};

static float *padded_copy(const float *src, int n, int np, const int *perm)
{
    float *d = alloc_floats((size_t)np);
    for (int i = 0; d && i < np; i++) {
        int s = perm ? perm[i] : i;
        d[i] = s >= 0 && s < n ? src[s] : 0.0f;
    }
    return d;
}

/* Slopes per stored channel: one slope, per channel, or per channel after a shuffle. */
static float *expand_slopes(const prelu_layer *L, int channels, int cp, int groups)
{
    float *d = alloc_floats((size_t)cp * groups);
    for (int g = 0; d && g < groups; g++)
        for (int c = 0; c < channels; c++)
            d[g * cp + c] = L->slope[L->n == 1 ? 0 : c];
    return d;
}

static int prepare_conv3(const fast_net *f, conv3 *k, const conv_layer *L, const prelu_layer *P,
                         int cop, const int *perm)
{
    int cp = f->cp;
    k->cop = cop;
    k->U = alloc_floats(36 * (size_t)cp * cop);
    k->bias = padded_copy(L->bias, L->cout, cop, perm);
    k->slope = P ? expand_slopes(P, L->cout / (cop / cp), cp, cop / cp) : NULL;
    if (!k->U || !k->bias || (P && !k->slope))
        return -1;
    f->kern->winograd_weights(k->U, L->weight, L->cin, L->cout, cp, cop, perm);
    if (f->bf16) {
        k->Ub = (uint16_t *)alloc_floats(18 * (size_t)cp * cop);
        if (!k->Ub)
            return -1;
        winograd_weights_bf16(k->Ub, k->U, cp, cop);
    }
    return 0;
}

static void free_conv3(conv3 *k)
{
    free(k->Ub);
    free(k->U);
    free(k->bias);
    free(k->slope);
}

srres_status fast_net_create(const srres_model *m, fast_isa isa, int bf16, fast_net **out,
                             srres_error *err)
{
    *out = NULL;
    if (bf16 && isa != FAST_AVX512)
        return srres_fail(err, SRRES_ERR_UNSUPPORTED, "bf16 products need the AVX-512 kernels");
    fast_net *f = calloc(1, sizeof(*f));
    if (!f)
        return srres_fail(err, SRRES_ERR_NOMEM, "out of memory");
    int C = m->cfg.channels, cp = fmap_channels(C), r = m->up_factor, ok = 1;
    f->m = m;
    f->kern = &kernels[isa];
    f->cp = cp;
    f->bf16 = bf16;
    f->head_w = alloc_floats(81 * 3 * (size_t)cp);
    f->head_b = padded_copy(m->head.bias, C, cp, NULL);
    f->head_s = expand_slopes(&m->head_prelu, C, cp, 1);
    f->tail_U = alloc_floats(tail_winograd_weights_floats(cp));
    f->body = calloc((size_t)(2 * m->cfg.blocks + 1), sizeof(conv3));
    ok = f->head_w && f->head_b && f->head_s && f->tail_U && f->body;
    if (ok) {
        f->kern->head_weights(f->head_w, m->head.weight, C, cp);
        tail_winograd_weights(f->tail_U, m->tail.weight, C, cp);
        memcpy(f->tail_b, m->tail.bias, sizeof(f->tail_b));
    }
    for (int i = 0; ok && i < m->cfg.blocks; i++)
        ok = !prepare_conv3(f, &f->body[2 * i], &m->body[i].conv1, &m->body[i].prelu1, cp,
                            NULL) &&
             !prepare_conv3(f, &f->body[2 * i + 1], &m->body[i].conv2, &m->body[i].prelu2, cp,
                            NULL);
    ok = ok && !prepare_conv3(f, &f->trunk, &m->trunk, NULL, cp, NULL);
    /* Upsampling convs store outputs in (i, j, c) order so the shuffle writes whole
     * vectors: stored channel s*cp + c holds model channel c*r*r + s. */
    int *perm = malloc(sizeof(int) * (size_t)r * r * cp);
    ok = ok && perm;
    for (int s = 0; ok && s < r * r; s++)
        for (int c = 0; c < cp; c++)
            perm[s * cp + c] = c < C ? c * r * r + s : -1;
    for (int j = 0; ok && j < m->up_stages; j++)
        ok = !prepare_conv3(f, &f->up[j], &m->up[j], &m->up_prelu[j], r * r * cp, perm);
    free(perm);
    if (!ok) {
        fast_net_free(f);
        return srres_fail(err, SRRES_ERR_NOMEM, "out of memory preparing the weights");
    }
    *out = f;
    return SRRES_OK;
}

static void free_buffers(fast_net *f)
{
    free(f->x.data);
    for (int i = 0; i < 4; i++)
        free(f->f[i].data);
    free(f->t.data);
    for (int j = 0; j < SRRES_MAX_UP_STAGES; j++)
        free(f->upmap[j].data);
    free(f->planes);
    free(f->scratch);
    f->scratch = NULL;
    f->planes = NULL;
    f->x.data = f->t.data = NULL;
    memset(f->f, 0, sizeof(f->f));
    memset(f->upmap, 0, sizeof(f->upmap));
    f->x_cap = f->f_cap = f->t_cap = f->planes_cap = 0;
    memset(f->up_cap, 0, sizeof(f->up_cap));
    f->h = f->w = 0;
}

void fast_net_free(fast_net *f)
{
    if (!f)
        return;
    free_buffers(f);
    free(f->head_w), free(f->head_b), free(f->head_s), free(f->tail_U);
    for (int i = 0; f->body && i < 2 * f->m->cfg.blocks; i++)
        free_conv3(&f->body[i]);
    free(f->body);
    free_conv3(&f->trunk);
    for (int j = 0; j < f->m->up_stages; j++)
        free_conv3(&f->up[j]);
    free(f);
}

static size_t fmap_floats(int h, int w, int pad, int c)
{
    return fmap_span(h, pad) * fmap_span(w, pad) * c;
}

static size_t max_size(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* The last map feeds the 9x9 tail. */
static int up_pad(const srres_model *m, int j)
{
    return j == m->up_stages - 1 ? TAIL_WINOGRAD_PAD : 1;
}

/* Floats of one thread's scratch: the 3x3 convs' or the tail's. */
static size_t scratch_floats(const fast_net *f)
{
    return max_size(f->kern->winograd_scratch_floats(f->cp), f->kern->tail_scratch_floats(f->cp));
}

void fast_net_set_up_tile(fast_net *f, int up_tile)
{
    int t = up_tile <= 0 ? 0 : up_tile < 4 ? 4 : up_tile / 4 * 4;
    /* Buffers only grow: sized for other tiles, they would stay beside the new ones. */
    if (t != f->up_tile)
        free_buffers(f);
    f->up_tile = t;
}

/* A side of the largest tile (halo included) a region's side n is cut into. */
static int tile_side(int n, int up_tile)
{
    return up_tile <= 0 || n < up_tile + 2 * UP_HALO ? n : up_tile + 2 * UP_HALO;
}

/* Whether an h x w region's upsampling is cut into tiles. A region one tile covers runs on
 * the trunk's map itself, into the output, without the tile copy and its tail buffer. */
static int cut_up(int h, int w, int up_tile)
{
    return up_tile > 0 && (h > up_tile || w > up_tile);
}

double fast_net_floats(const fast_net *f, int up_tile, int h, int w, int threads)
{
    const srres_model *m = f->m;
    if (h > INT_MAX / 16 || w > INT_MAX / 16)
        return INFINITY; /* beyond any memory; and the sizes below would wrap */
    double cp = fmap_channels(m->cfg.channels);
    double total = alloc_floats_taken((double)fmap_span(h, 4) * fmap_span(w, 4) * 16) +
                   4 * alloc_floats_taken((double)fmap_span(h, 1) * fmap_span(w, 1) * cp);
    int th = tile_side(h, up_tile), tw = tile_side(w, up_tile), cut = cut_up(h, w, up_tile);
    if (cut)
        total += alloc_floats_taken((double)fmap_span(th, 1) * fmap_span(tw, 1) * cp) +
                 alloc_floats_taken(3.0 * th * tw * m->cfg.scale * m->cfg.scale);
    for (int j = 0, hj = th, wj = tw; j < m->up_stages; j++) {
        hj *= m->up_factor;
        wj *= m->up_factor;
        total += alloc_floats_taken((double)fmap_span(hj, up_pad(m, j)) *
                                    fmap_span(wj, up_pad(m, j)) * cp);
    }
    return total + alloc_floats_taken((double)scratch_floats(f) * threads);
}

/* Buffers hold a region by their number of floats, not their shape, so a region and its
 * transpose (the self-ensemble's passes) share them; they grow, never shrink. */
srres_status fast_net_reserve(fast_net *f, int h, int w, int threads, srres_error *err)
{
    const srres_model *m = f->m;
    size_t x_need = fmap_floats(h, w, 4, 16), f_need = fmap_floats(h, w, 1, f->cp);
    int th = tile_side(h, f->up_tile), tw = tile_side(w, f->up_tile);
    int cut = cut_up(h, w, f->up_tile);
    size_t t_need = cut ? fmap_floats(th, tw, 1, f->cp) : 0, up_need[SRRES_MAX_UP_STAGES];
    size_t planes_need = cut ? (size_t)3 * th * tw * m->cfg.scale * m->cfg.scale : 0;
    int fits = threads == f->threads && x_need <= f->x_cap && f_need <= f->f_cap &&
               t_need <= f->t_cap && planes_need <= f->planes_cap;
    for (int j = 0, r = m->up_factor, hj = th, wj = tw; j < m->up_stages; j++) {
        hj *= r;
        wj *= r;
        up_need[j] = fmap_floats(hj, wj, up_pad(m, j), f->cp);
        fits = fits && up_need[j] <= f->up_cap[j];
    }
    if (fits)
        return SRRES_OK;
    x_need = max_size(x_need, f->x_cap);
    f_need = max_size(f_need, f->f_cap);
    t_need = max_size(t_need, f->t_cap);
    planes_need = max_size(planes_need, f->planes_cap);
    for (int j = 0; j < m->up_stages; j++)
        up_need[j] = max_size(up_need[j], f->up_cap[j]);
    free_buffers(f);
    f->x = (fmap){alloc_floats(x_need), 0, 0, 4, 16, 0};
    f->x_cap = x_need;
    int ok = f->x.data != NULL;
    for (int i = 0; i < 4; i++) {
        f->f[i] = (fmap){alloc_floats(f_need), 0, 0, 1, f->cp, 0};
        ok = ok && f->f[i].data;
    }
    f->f_cap = f_need;
    f->t = (fmap){alloc_floats(t_need), 0, 0, 1, f->cp, 0};
    f->t_cap = t_need;
    f->planes = alloc_floats(planes_need);
    f->planes_cap = planes_need;
    ok = ok && f->t.data && f->planes;
    for (int j = 0; j < m->up_stages; j++) {
        f->upmap[j] = (fmap){alloc_floats(up_need[j]), 0, 0, up_pad(m, j), f->cp, 0};
        f->up_cap[j] = up_need[j];
        ok = ok && f->upmap[j].data;
    }
    f->scratch_per_thread = scratch_floats(f);
    f->scratch = ok ? alloc_floats(f->scratch_per_thread * threads) : NULL;
    if (!f->scratch) {
        free_buffers(f);
        return srres_fail(err, SRRES_ERR_NOMEM, "out of memory for a %dx%d region", w, h);
    }
    f->threads = threads;
    return SRRES_OK;
}

/* A buffer laid out for an h x w region, from its top left corner. */
static fmap view(const fmap *m, int h, int w)
{
    fmap v = *m;
    v.h = h;
    v.w = w;
    v.row = fmap_span(w, m->pad) * m->c;
    return v;
}

static void zero_border(const fmap *m)
{
    /* Everything right of and below the live pixels, up to what the kernels read. */
    size_t rows = fmap_span(m->h, m->pad);
    for (size_t y = 0; y < rows; y++) {
        float *row = m->data + y * m->row;
        if (y < (size_t)m->pad || y >= (size_t)(m->h + m->pad)) {
            memset(row, 0, sizeof(float) * m->row);
        } else {
            memset(row, 0, sizeof(float) * (size_t)m->pad * m->c);
            size_t live_end = (size_t)(m->w + m->pad) * m->c;
            memset(row + live_end, 0, sizeof(float) * (m->row - live_end));
        }
    }
}

typedef struct layer_job {
    fast_net *f;
    const fmap *out, *in;
    const conv3 *k;
    winograd_epilogue ep;
    float *planes; /* tail output */
    int oy, ox;    /* the tail's tile grid (tail_winograd.h) */
} layer_job;

static void wino_rows(void *arg, int begin, int end, int thread)
{
    layer_job *j = arg;
    float *scratch = j->f->scratch + j->f->scratch_per_thread * thread;
    if (j->k->Ub)
        winograd_conv3x3_bf16(j->out, j->in, j->k->Ub, j->k->cop, &j->ep, scratch, begin, end);
    else
        j->f->kern->winograd_conv3x3(j->out, j->in, j->k->U, j->k->cop, &j->ep, scratch, begin,
                                  end);
}

static void run_conv3(fast_net *f, thread_pool *pool, const fmap *out, const fmap *in,
                  const conv3 *k, const fmap *residual, int shuffle)
{
    layer_job j = {f, out, in, k, {k->bias, k->slope, residual, shuffle}, NULL, 0, 0};
    thread_pool_for_dynamic(pool, (in->h + 3) / 4, wino_rows, &j);
}

static void head_rows(void *arg, int begin, int end, int thread)
{
    layer_job *j = arg;
    j->f->kern->head_conv9x9(j->out, j->in, j->f->head_w, j->f->head_b, j->f->head_s, begin, end);
}

static void tail_rows(void *arg, int begin, int end, int thread)
{
    layer_job *j = arg;
    float *scratch = j->f->scratch + j->f->scratch_per_thread * thread;
    j->f->kern->tail(j->planes, j->in, j->f->tail_U, j->f->tail_b, j->oy, j->ox, scratch, begin,
                     end);
}

/* Rows [y0, y0 + th) and columns [x0, x0 + tw) of the region's output (h x w LR) from the
 * trunk's output T: the upsampling stages and the tail on that tile of T and a halo
 * around it, the region's border standing for the image's; on T itself, into out, when the
 * tile is the whole region. */
static void up_tile_forward(fast_net *f, thread_pool *pool, const fmap *T, int y0, int x0,
                            int th, int tw, int h, int w, float *out)
{
    const srres_model *m = f->m;
    int s = m->cfg.scale, r = m->up_factor;
    int ty = y0 < UP_HALO ? 0 : y0 - UP_HALO, tx = x0 < UP_HALO ? 0 : x0 - UP_HALO;
    int ey = y0 + th + UP_HALO < h ? y0 + th + UP_HALO : h;
    int ex = x0 + tw + UP_HALO < w ? x0 + tw + UP_HALO : w;
    int eh = ey - ty, ew = ex - tx, whole = eh == h && ew == w;
    fmap t, U[SRRES_MAX_UP_STAGES];
    const fmap *X = T;
    if (!whole) {
        t = view(&f->t, eh, ew);
        zero_border(&t);
        for (int y = 0; y < eh; y++)
            memcpy(fmap_at(&t, y, 0), fmap_at(T, ty + y, tx),
                   sizeof(float) * (size_t)ew * f->cp);
        X = &t;
    }
    for (int j = 0, hj = eh, wj = ew; j < m->up_stages; j++) {
        hj *= r;
        wj *= r;
        U[j] = view(&f->upmap[j], hj, wj);
        zero_border(&U[j]);
        run_conv3(f, pool, &U[j], X, &f->up[j], NULL, r);
        X = &U[j];
    }
    /* The tail's tiles where the whole region's would be, so that tiles change no output. */
    layer_job tj = {f, NULL, X, NULL, {0}, whole ? out : f->planes, ty * s % 3, tx * s % 3};
    thread_pool_for_dynamic(pool, tail_winograd_tile_rows(X->h, tj.oy), tail_rows, &tj);
    if (whole)
        return;
    /* The tile's own rows of the tail's output, without the halo's. */
    size_t tile_plane = (size_t)eh * s * ew * s, out_plane = (size_t)h * s * w * s;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < th * s; y++)
            memcpy(out + c * out_plane + ((size_t)y0 * s + y) * w * s + (size_t)x0 * s,
                   f->planes + c * tile_plane + ((size_t)(y0 - ty) * s + y) * ew * s +
                       (size_t)(x0 - tx) * s,
                   sizeof(float) * (size_t)tw * s);
}

srres_status fast_net_forward(fast_net *f, const float *in, int h, int w, float *out,
                              thread_pool *pool, srres_error *err)
{
    const srres_model *m = f->m;
    srres_status st = fast_net_reserve(f, h, w, thread_pool_size(pool), err);
    if (st != SRRES_OK)
        return st;
    fmap x = view(&f->x, h, w), F[4];
    for (int i = 0; i < 4; i++)
        F[i] = view(&f->f[i], h, w);
    if (h != f->h || w != f->w) { /* the last region's pixels may lie in this one's border */
        zero_border(&x);
        for (int i = 0; i < 4; i++)
            zero_border(&F[i]);
        f->h = h;
        f->w = w;
    }
    size_t plane = (size_t)h * w;
    for (int y = 0; y < h; y++)
        for (int xx = 0; xx < w; xx++) {
            float *px = fmap_at(&x, y, xx);
            for (int c = 0; c < 3; c++)
                px[c] = in[c * plane + (size_t)y * w + xx];
        }
    layer_job hj_job = {f, &F[0], &x, NULL, {0}, NULL, 0, 0};
    thread_pool_for_dynamic(pool, h, head_rows, &hj_job);
    /* Blocks: X -> T = PReLU(conv1 X) -> PReLU(conv2 T) + X, ping-ponging F[2] and F[3]. */
    const fmap *X = &F[0];
    for (int i = 0; i < m->cfg.blocks; i++) {
        const fmap *Y = &F[2 + (i & 1)];
        run_conv3(f, pool, &F[1], X, &f->body[2 * i], NULL, 0);
        run_conv3(f, pool, Y, &F[1], &f->body[2 * i + 1], X, 0);
        X = Y;
    }
    run_conv3(f, pool, &F[1], X, &f->trunk, &F[0], 0);
    int th = f->up_tile ? f->up_tile : h, tw = f->up_tile ? f->up_tile : w;
    for (int y0 = 0; y0 < h; y0 += th)
        for (int x0 = 0; x0 < w; x0 += tw)
            up_tile_forward(f, pool, &F[1], y0, x0, h - y0 < th ? h - y0 : th,
                            w - x0 < tw ? w - x0 : tw, h, w, out);
    if (m->cfg.image_skip == SRRES_SKIP_NEAREST)
        nearest_skip_forward(out, in, 3, m->cfg.scale, 1, h, w);
    return SRRES_OK;
}
