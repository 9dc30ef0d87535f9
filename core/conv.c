/* conv.c: the convolution forward/backward pair as im2col + OpenBLAS sgemm: the reference
 * path, and the trainer's on CPUs without AVX2 + FMA (with it, conv_env.fast sends the shapes
 * conv_nhwc.h handles to the fast kernels).
 *
 * Threads split the image rows; each thread builds the column matrix of its own rows in its
 * share of the scratch buffer and runs a single-threaded sgemm on it, so no thread waits on
 * another and column buffers stay bounded however large the frame. The input gradient is
 * itself a convolution (of dout with the transposed, flipped kernel), so backward reuses the
 * forward path instead of scattering with col2im, and threads never write the same rows. */
#include <cblas.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conv_nhwc.h"
#include "layers.h"

size_t conv_scratch_floats(const conv_layer *L, int w, int rows)
{
    return (size_t)L->cin * L->k * L->k * (size_t)w * (size_t)rows;
}

/* Rows of one GEMM: as many as fit CONV_BLOCK_FLOATS of columns, whatever the thread count,
 * so the GEMMs, and OpenBLAS's rounding, are the same for any number of threads; fewer only
 * if a thread's scratch (per_thread floats) is smaller than conv_block_scratch_floats. */
static int block_rows(int cin, int k, int w, int rows, size_t per_thread)
{
    size_t floats = per_thread < CONV_BLOCK_FLOATS ? per_thread : CONV_BLOCK_FLOATS;
    size_t c = floats / ((size_t)cin * k * k * (size_t)w);
    return c < 1 ? 1 : c > (size_t)rows ? rows : (int)c;
}

size_t conv_block_scratch_floats(int cin, int k, int w, int rows)
{
    return (size_t)cin * k * k * (size_t)w * (size_t)block_rows(cin, k, w, rows, SIZE_MAX);
}

/* col [K][(r1-r0) w] = the k x k neighbourhoods of rows [r0, r1) of in [cin][rows][w],
 * zero outside each image of height h. */
static void im2col(float *col, const float *in, int cin, int k, int h, int w, int rows_total,
                   int r0, int r1)
{
    int kk = k * k, pad = k / 2;
    size_t P = (size_t)(r1 - r0) * w, plane = (size_t)rows_total * w;
    for (int kr = 0; kr < cin * kk; kr++) {
        int ci = kr / kk, dy = (kr / k) % k - pad, dx = kr % k - pad;
        int x0 = dx < 0 ? -dx : 0, x1 = dx > 0 ? w - dx : w;
        if (x0 > w)
            x0 = w;
        if (x1 < x0)
            x1 = x0;
        float *dst = col + (size_t)kr * P;
        for (int r = r0; r < r1; r++, dst += w) {
            int sy = r % h + dy;
            if (sy < 0 || sy >= h) {
                memset(dst, 0, sizeof(float) * w);
                continue;
            }
            const float *src = in + ci * plane + (size_t)(r + dy) * w;
            memset(dst, 0, sizeof(float) * x0);
            memcpy(dst + x0, src + x0 + dx, sizeof(float) * (x1 - x0));
            memset(dst + x1, 0, sizeof(float) * (w - x1));
        }
    }
}

typedef struct conv_job {
    float *out;
    const float *in, *weight, *bias; /* bias NULL: accumulate into out */
    int cin, cout, k, h, w, rows;
    float *scratch;
    size_t per_thread; /* scratch floats of each thread */
    /* backward */
    const float *dout;
    float *dweight_parts; /* [threads][cout][K] */
    int block;            /* forward: rows of each GEMM */
} conv_job;

/* Blocks [begin, end) of `block` rows each: im2col into this thread's scratch, one sgemm. */
static void forward_blocks(void *arg, int begin, int end, int thread)
{
    const conv_job *j = arg;
    int K = j->cin * j->k * j->k;
    size_t plane = (size_t)j->rows * j->w;
    float *col = j->scratch + j->per_thread * thread;
    for (int b = begin; b < end; b++) {
        int r0 = b * j->block, r1 = r0 + j->block < j->rows ? r0 + j->block : j->rows;
        size_t P = (size_t)(r1 - r0) * j->w;
        im2col(col, j->in, j->cin, j->k, j->h, j->w, j->rows, r0, r1);
        float *o = j->out + (size_t)r0 * j->w;
        if (j->bias)
            for (int co = 0; co < j->cout; co++)
                for (size_t i = 0; i < P; i++)
                    o[co * plane + i] = j->bias[co];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, j->cout, (int)P, K, 1.0f,
                    j->weight, K, col, (int)P, 1.0f, o, (int)plane);
    }
}

/* The shared forward: out = conv(in) + bias, or out += conv(in) with bias NULL. */
static void conv_run(float *out, const float *in, const float *weight, const float *bias,
                     int cin, int cout, int k, int n, int h, int w, float *scratch,
                     size_t scratch_floats, thread_pool *pool)
{
    int threads = thread_pool_size(pool), rows = n * h;
    size_t per_thread = scratch_floats / threads;
    conv_job j = {out, in, weight, bias, cin, cout, k, h, w, rows, scratch, per_thread,
                  NULL, NULL, block_rows(cin, k, w, rows, per_thread)};
    thread_pool_for_dynamic(pool, (rows + j.block - 1) / j.block, forward_blocks, &j);
}

void conv_forward(float *out, const float *in, const conv_layer *L, int n, int h, int w,
                  const conv_env *env)
{
    if (env->fast && conv_nhwc_handles(L->cin, L->cout, L->k))
        conv_nhwc_forward(out, in, L->weight, L->bias, L->cin, L->cout, L->k, n, h, w, 0, env->fast,
                          env->scratch, env->pool);
    else
        conv_run(out, in, L->weight, L->bias, L->cin, L->cout, L->k, n, h, w, env->scratch,
                 env->scratch_floats, env->pool);
}

/* Parts [p] of dW = dout [cout][P] x col[K][P]^T, each over a fixed share of the rows, in
 * buffers of its own; threads take parts as they come free and the parts are summed in
 * order, so the gradient is the same bit for bit whichever thread ran which part and
 * however many threads there are. */
static void weight_grad_parts(void *arg, int begin, int end, int thread)
{
    const conv_job *j = arg;
    int K = j->cin * j->k * j->k;
    size_t plane = (size_t)j->rows * j->w;
    float *col = j->scratch + j->per_thread * thread;
    for (int part = begin; part < end; part++) {
        float *dw = j->dweight_parts + (size_t)part * j->cout * K;
        int first = (int)((long)j->rows * part / CONV_GRAD_PARTS);
        int last = (int)((long)j->rows * (part + 1) / CONV_GRAD_PARTS);
        int chunk = block_rows(j->cin, j->k, j->w, last - first, j->per_thread);
        for (int r0 = first; r0 < last; r0 += chunk) {
            int r1 = r0 + chunk < last ? r0 + chunk : last;
            size_t P = (size_t)(r1 - r0) * j->w;
            im2col(col, j->in, j->cin, j->k, j->h, j->w, j->rows, r0, r1);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, j->cout, K, (int)P, 1.0f,
                        j->dout + (size_t)r0 * j->w, (int)plane, col, (int)P, 1.0f, dw, K);
        }
    }
}

size_t conv_backward_scratch_floats(const conv_layer *L)
{
    /* the weight-gradient parts and the flipped kernel */
    size_t wsize = (size_t)L->cout * L->cin * L->k * L->k;
    return ((wsize * CONV_GRAD_PARTS + 15) & ~(size_t)15) + ((wsize + 15) & ~(size_t)15);
}

void conv_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                   const float *inp, const conv_layer *L, int n, int h, int w,
                   const conv_env *env)
{
    float *scratch = env->scratch;
    size_t scratch_floats = env->scratch_floats;
    thread_pool *pool = env->pool;
    int threads = thread_pool_size(pool), k = L->k, K = L->cin * k * k;
    size_t wsize = (size_t)L->cout * K, plane = (size_t)n * h * w;
    /* parts, flipped kernel, work: each a multiple of 16 floats, keeping 64-byte alignment */
    float *parts = scratch, *flipped = scratch + ((wsize * CONV_GRAD_PARTS + 15) & ~(size_t)15);
    float *work = flipped + ((wsize + 15) & ~(size_t)15);
    size_t work_floats = scratch_floats - (size_t)(work - scratch);

    for (int co = 0; co < L->cout; co++) {
        const float *d = dout + co * plane;
        double sum = 0;
        for (size_t i = 0; i < plane; i++)
            sum += d[i];
        dbias[co] += (float)sum;
    }
    /* flipped[ci][co][ky][kx] = weight[co][ci][k-1-ky][k-1-kx] */
    if (dinp)
        for (int co = 0; co < L->cout; co++)
            for (int ci = 0; ci < L->cin; ci++)
                for (int q = 0; q < k * k; q++)
                    flipped[((size_t)ci * L->cout + co) * k * k + (k * k - 1 - q)] =
                        L->weight[((size_t)co * L->cin + ci) * k * k + q];
    if (env->fast && k == 3) {
        conv_nhwc_backward3(dinp, dweight, dout, inp, flipped, L->cin, L->cout, n, h, w, env->fast,
                            work, pool);
        return;
    }
    if (env->fast && k == 9 && L->cout == 3) {
        conv_nhwc_tail_weight_grad(dweight, dout, inp, L->cin, n, h, w, env->fast, work, pool);
    } else {
        conv_job j = {NULL, inp, NULL, NULL, L->cin, L->cout, k, h, w, n * h, work,
                      work_floats / threads, dout, parts, 0};
        memset(parts, 0, sizeof(float) * wsize * CONV_GRAD_PARTS); /* empty parts add 0 */
        thread_pool_for_dynamic(pool, CONV_GRAD_PARTS, weight_grad_parts, &j);
        for (int p = 0; p < CONV_GRAD_PARTS; p++)
            for (size_t i = 0; i < wsize; i++)
                dweight[i] += parts[p * wsize + i];
    }
    if (!dinp)
        return;
    if (env->fast && conv_nhwc_handles(L->cout, L->cin, k))
        conv_nhwc_forward(dinp, dout, flipped, NULL, L->cout, L->cin, k, n, h, w, 1, env->fast,
                          work, pool);
    else
        conv_run(dinp, dout, flipped, NULL, L->cout, L->cin, k, n, h, w, work, work_floats,
                 pool);
}
