/* test_tail_winograd.c: the Winograd tail (9x9, C -> 3), AVX-512 and AVX2 + FMA, against a
 * plain double-precision convolution: widths that leave partial strips and register tiles,
 * row counts that leave partial tile rows, one pixel, channels fewer than a vector, tile row
 * ranges split as threads split them, and grids shifted by one and two pixels; and a
 * shifted grid on a piece of a map giving the whole map's tiles bit for bit. */
#include <math.h>

#include "cpu.h"
#include "tail_winograd.h"
#include "test_fmap.h"

typedef struct isa {
    const char *name;
    int (*supported)(void);
    size_t (*scratch_floats)(int cip);
    void (*tail)(float *out, const fmap *in, const float *U, const float *bias, int oy, int ox,
                 float *scratch, int ty0, int ty1);
} isa;

static const isa isas[] = {
    {"avx512", cpu_has_avx512, tail_winograd_scratch_floats, tail_winograd},
    {"avx2", cpu_has_avx2_fma, tail_winograd_scratch_floats_avx2, tail_winograd_avx2},
};

typedef struct net {
    float *wt, *U, bias[3];
} net;

static net make_net(int cin, srres_rng *rng)
{
    int cip = fmap_channels(cin);
    net n = {random_floats((size_t)3 * cin * 81, -0.05f, 0.05f, rng), NULL, {0.1f, -0.2f, 0.3f}};
    n.U = aligned_alloc(64, sizeof(float) * tail_winograd_weights_floats(cip));
    tail_winograd_weights(n.U, n.wt, cin, cip);
    return n;
}

/* The tail of in on the grid (oy, ox), in three calls as threads would split the rows. */
static float *run(const isa *k, const net *n, const fmap *in, int oy, int ox)
{
    float *out = malloc(sizeof(float) * 3 * in->h * in->w);
    float *scratch = aligned_alloc(64, sizeof(float) * k->scratch_floats(in->c));
    int rows = tail_winograd_tile_rows(in->h, oy);
    k->tail(out, in, n->U, n->bias, oy, ox, scratch, 0, rows / 3);
    k->tail(out, in, n->U, n->bias, oy, ox, scratch, rows / 3, rows / 2);
    k->tail(out, in, n->U, n->bias, oy, ox, scratch, rows / 2, rows);
    free(scratch);
    return out;
}

static void check(int h, int w, int cin, int oy, int ox)
{
    srres_rng rng;
    srres_rng_seed(&rng, (uint64_t)(h * 17 + w + cin));
    net n = make_net(cin, &rng);
    fmap in = make_map(h, w, TAIL_WINOGRAD_PAD, fmap_channels(cin), cin, &rng);
    int ran = 0;
    for (int i = 0; i < 2; i++) {
        if (!isas[i].supported())
            continue;
        ran = 1;
        float *out = run(&isas[i], &n, &in, oy, ox);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int co = 0; co < 3; co++) {
                    double v = ref9(&in, n.wt, cin, co, y, x) + n.bias[co];
                    double got = out[(size_t)co * h * w + (size_t)y * w + x];
                    if (!(fabs(got - v) <= 1e-4))
                        fail_msg("%s tail %dx%d grid (%d,%d): (%d,%d,%d) %g vs %g",
                                 isas[i].name, w, h, oy, ox, x, y, co, got, v);
                }
        free(out);
    }
    free(n.wt), free(n.U), free(in.data);
    if (!ran)
        skip();
}

static void test_strips_tiles_and_edges(void **state)
{
    check(9, 150, 64, 0, 0); /* four strips of 16 tiles, the last partial */
    check(7, 25, 32, 0, 0);  /* a partial tile row and column */
    check(1, 1, 16, 0, 0);
    check(8, 11, 5, 0, 0); /* live channels fewer than a vector */
}

static void test_shifted_grids(void **state)
{
    check(10, 53, 16, 1, 2);
    check(5, 20, 16, 2, 1);
    check(2, 2, 16, 2, 2);
}

/* The map's rows and columns [y0, y0 + h) x [x0, x0 + w) copied into a map of their own
 * with the border the network's tiles give it (zeros), on the grid the whole map's tiles
 * make there: the output inside, away from the piece's edge, is the whole map's, bit for
 * bit, as fast_forward.c's tiled upsampling relies on. */
static void test_piece_keeps_the_whole_maps_tiles(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 7);
    int H = 23, W = 41, y0 = 8, x0 = 16, h = 13, w = 20, cin = 32, cip = 32;
    net n = make_net(cin, &rng);
    fmap whole = make_map(H, W, TAIL_WINOGRAD_PAD, cip, cin, &rng);
    fmap piece = make_map(h, w, TAIL_WINOGRAD_PAD, cip, 0, &rng);
    for (int y = 0; y < h; y++)
        memcpy(fmap_at(&piece, y, 0), fmap_at(&whole, y0 + y, x0), sizeof(float) * w * cip);
    int ran = 0;
    for (int i = 0; i < 2; i++) {
        if (!isas[i].supported())
            continue;
        ran = 1;
        float *a = run(&isas[i], &n, &whole, 0, 0), *b = run(&isas[i], &n, &piece, y0 % 3, x0 % 3);
        for (int co = 0; co < 3; co++)
            for (int y = 6; y < h - 6; y++)
                for (int x = 6; x < w - 6; x++) {
                    float u = a[(size_t)co * H * W + (size_t)(y0 + y) * W + x0 + x];
                    float v = b[(size_t)co * h * w + (size_t)y * w + x];
                    if (memcmp(&u, &v, sizeof(u)))
                        fail_msg("%s: piece (%d,%d,%d) %.9g, whole map %.9g", isas[i].name, x,
                                 y, co, v, u);
                }
        free(a), free(b);
    }
    free(n.wt), free(n.U), free(whole.data), free(piece.data);
    if (!ran)
        skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strips_tiles_and_edges),
        cmocka_unit_test(test_shifted_grids),
        cmocka_unit_test(test_piece_keeps_the_whole_maps_tiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
