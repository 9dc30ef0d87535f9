/* conv_winograd.c: layout conversion around the Winograd kernel for CNHW callers. The
 * conversions cost O(C) per pixel against the convolution's O(C^2): noise. */
#include <stdint.h>
#include <string.h>

#include "conv_winograd.h"
#include "winograd.h"

/* Image i starts at row i * slot of the stacked map: a multiple of 4 (Winograd tile rows)
 * with at least one zero row below each image (the next image's padding). */
static int slot_rows(int h)
{
    return (h + 3) / 4 * 4 + 4;
}

static size_t map_floats(int rows, int w, int c, size_t *row)
{
    size_t cols = (size_t)((w + 3) / 4 * 4) + 2 + 4;
    *row = cols * c;
    return ((size_t)((rows + 3) / 4 * 4) + 2 + 4) * cols * c;
}

static size_t up64(size_t floats)
{
    return (floats + 15) & ~(size_t)15;
}

size_t conv3x3_winograd_scratch_floats(int cin, int cout, int n, int h, int w, int threads)
{
    int cip = fmap_channels(cin), cop = fmap_channels(cout), rows = n * slot_rows(h);
    size_t row;
    return up64(map_floats(rows, w, cip, &row)) + up64(map_floats(rows, w, cop, &row)) +
           up64((size_t)36 * cip * cop) + up64((size_t)cop) +
           (size_t)threads * up64(winograd_scratch_floats(cip));
}

typedef struct layout_job {
    const fmap *map;
    float *planes; /* [c][n][h][w] */
    int c, n, h, w, slot, accumulate;
    /* the convolution */
    const fmap *in;
    const float *U, *bias;
    float *scratch;
    size_t per_thread;
    int cop;
} layout_job;

/* Rows go one at a time: the map's row stays in L1 while the planes are walked along x,
 * so both sides move through memory in order. */
static void to_map(void *arg, int begin, int end, int thread)
{
    const layout_job *j = arg;
    size_t plane = (size_t)j->n * j->h * j->w;
    for (int i = begin; i < end; i++) /* images */
        for (int y = 0; y < j->h; y++) {
            float *row = fmap_at(j->map, i * j->slot + y, 0);
            const float *src = j->planes + ((size_t)i * j->h + y) * j->w;
            for (int c = 0; c < j->c; c++)
                for (int x = 0; x < j->w; x++)
                    row[(size_t)x * j->map->c + c] = src[c * plane + x];
        }
}

static void from_map(void *arg, int begin, int end, int thread)
{
    const layout_job *j = arg;
    size_t plane = (size_t)j->n * j->h * j->w;
    for (int i = begin; i < end; i++)
        for (int y = 0; y < j->h; y++) {
            const float *row = fmap_at(j->map, i * j->slot + y, 0);
            float *dst = j->planes + ((size_t)i * j->h + y) * j->w;
            for (int c = 0; c < j->c; c++) {
                float *d = dst + c * plane;
                if (j->accumulate)
                    for (int x = 0; x < j->w; x++)
                        d[x] += row[(size_t)x * j->map->c + c];
                else
                    for (int x = 0; x < j->w; x++)
                        d[x] = row[(size_t)x * j->map->c + c];
            }
        }
}

static void convolve(void *arg, int begin, int end, int thread)
{
    const layout_job *j = arg;
    winograd_epilogue ep = {j->bias, NULL, NULL, 0};
    winograd_conv3x3(j->map, j->in, j->U, j->cop, &ep, j->scratch + j->per_thread * thread,
                     begin, end);
}

void conv3x3_winograd(float *out, const float *in, const float *weight, const float *bias,
                      int cin, int cout, int n, int h, int w, int accumulate, float *scratch,
                      thread_pool *pool)
{
    int cip = fmap_channels(cin), cop = fmap_channels(cout), slot = slot_rows(h);
    int rows = n * slot;
    size_t row_in, row_out, in_floats = map_floats(rows, w, cip, &row_in);
    size_t out_floats = map_floats(rows, w, cop, &row_out);
    fmap min = {scratch, rows, w, 1, cip, row_in};
    fmap mout = {scratch + up64(in_floats), rows, w, 1, cop, row_out};
    float *U = mout.data + up64(out_floats), *b = U + up64((size_t)36 * cip * cop);
    float *work = b + up64((size_t)cop);
    memset(min.data, 0, sizeof(float) * in_floats); /* borders, gaps, padding channels */
    winograd_weights(U, weight, cin, cout, cip, cop, NULL);
    for (int c = 0; c < cop; c++)
        b[c] = bias && c < cout ? bias[c] : 0.0f;
    layout_job j = {&min, (float *)in, cin, n, h, w, slot, 0, NULL, NULL, NULL, NULL, 0, 0};
    thread_pool_for(pool, n, to_map, &j);
    layout_job k = {&mout, NULL, 0, n, h, w, slot, 0, &min, U, b, work,
                    up64(winograd_scratch_floats(cip)), cop};
    thread_pool_for(pool, (rows + 3) / 4, convolve, &k);
    layout_job back = {&mout, out, cout, n, h, w, slot, accumulate, NULL, NULL, NULL, NULL, 0, 0};
    thread_pool_for(pool, n, from_map, &back);
}
