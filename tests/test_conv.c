/* test_conv.c: conv_forward against a plain double-precision convolution, and conv_backward
 * against central finite differences of that reference (L = sum(r * conv(x)) for a random r,
 * so dout = r), on random small shapes: odd sizes, batches [C][n][h][w] with n > 1, k = 3
 * and 9, 1..5 channels in and out, one and two threads, and scratch budgets of one to a few
 * rows, so the row chunks (and their edges) fall everywhere, across images too. */
#include <cblas.h>
#include <math.h>

#include "conv_nhwc.h"
#include "cpu.h"
#include "layers.h"
#include "test_util.h"

static thread_pool *pools[3]; /* pools[t]: t threads */

typedef struct conv_case {
    int cin, cout, k, n, h, w;
    int threads;
    int rows; /* scratch for this many rows per thread; 0 = every row at once */
} conv_case;

/* A random case. Widths of k = 9 cases start at 4 and there are at least as many rows
 * (n * h) as threads: the other cases have tests of their own. */
static conv_case random_case(srres_rng *rng, int k, int max_side)
{
    conv_case c;
    c.cin = 1 + (int)srres_rng_below(rng, 5);
    c.cout = 1 + (int)srres_rng_below(rng, 5);
    c.k = k;
    c.n = 1 + (int)srres_rng_below(rng, 3);
    int min_w = k == 9 ? 4 : 1;
    c.h = 1 + (int)srres_rng_below(rng, (uint32_t)max_side);
    c.w = min_w + (int)srres_rng_below(rng, (uint32_t)(max_side - min_w + 1));
    c.threads = c.n * c.h >= 2 ? 1 + (int)srres_rng_below(rng, 2) : 1;
    c.rows = (int)srres_rng_below(rng, 4);
    return c;
}

static char *describe(const conv_case *c)
{
    static char buf[128];
    snprintf(buf, sizeof(buf), "cin %d cout %d k %d n %d h %d w %d threads %d rows %d", c->cin,
             c->cout, c->k, c->n, c->h, c->w, c->threads, c->rows);
    return buf;
}

/* The tensors of one case, as floats for conv_* and as doubles for the reference. */
typedef struct problem {
    conv_case c;
    conv_layer L;
    float *x, *r;         /* input [cin][n][h][w], dout [cout][n][h][w] */
    double *xd, *wd, *bd; /* the same values in double */
    size_t nx, nw, ny;
} problem;

static double *to_double(const float *v, size_t n)
{
    double *d = malloc(n * sizeof(double));
    assert_non_null(d);
    for (size_t i = 0; i < n; i++)
        d[i] = v[i];
    return d;
}

static problem make_problem(const conv_case *c, srres_rng *rng)
{
    problem p = {.c = *c};
    p.nx = (size_t)c->cin * c->n * c->h * c->w;
    p.nw = (size_t)c->cout * c->cin * c->k * c->k;
    p.ny = (size_t)c->cout * c->n * c->h * c->w;
    p.L = (conv_layer){random_floats(p.nw, -1, 1, rng), random_floats(c->cout, -1, 1, rng), c->cin,
                       c->cout, c->k};
    p.x = random_floats(p.nx, -1, 1, rng);
    p.r = random_floats(p.ny, -1, 1, rng);
    p.xd = to_double(p.x, p.nx);
    p.wd = to_double(p.L.weight, p.nw);
    p.bd = to_double(p.L.bias, c->cout);
    return p;
}

static void free_problem(problem *p)
{
    free(p->L.weight), free(p->L.bias), free(p->x), free(p->r);
    free(p->xd), free(p->wd), free(p->bd);
}

/* out [cout][n][h][w] = bias + sum over cin, ky, kx of weight * in, zero outside. */
static void ref_conv(double *out, const double *in, const double *weight, const double *bias,
                     const conv_case *c)
{
    int k = c->k, pad = k / 2, n = c->n, h = c->h, w = c->w;
    size_t plane = (size_t)n * h * w;
    for (int co = 0; co < c->cout; co++)
        for (int im = 0; im < n; im++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    double s = bias[co];
                    for (int ci = 0; ci < c->cin; ci++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int sy = y + ky - pad, sx = x + kx - pad;
                                if (sy < 0 || sy >= h || sx < 0 || sx >= w)
                                    continue;
                                s += weight[((size_t)(co * c->cin + ci) * k + ky) * k + kx] *
                                     in[ci * plane + ((size_t)im * h + sy) * w + sx];
                            }
                    out[co * plane + ((size_t)im * h + y) * w + x] = s;
                }
}

/* L = sum(r * conv(x)) in double. */
static double objective(const problem *p)
{
    double *y = malloc(p->ny * sizeof(double)), L = 0;
    assert_non_null(y);
    ref_conv(y, p->xd, p->wd, p->bd, &p->c);
    for (size_t i = 0; i < p->ny; i++)
        L += p->r[i] * y[i];
    free(y);
    return L;
}

/* dL/dv[i] by central differences; L is linear in v, so the step size only sets rounding. */
static double central_difference(const problem *p, double *v, size_t i)
{
    const double h = 1e-3;
    double saved = v[i];
    v[i] = saved + h;
    double up = objective(p);
    v[i] = saved - h;
    double down = objective(p);
    v[i] = saved;
    return (up - down) / (2 * h);
}

/* Scratch full of NaN: whatever conv reads before writing shows in its results. */
static float *poisoned_scratch(size_t floats)
{
    float *s = malloc(floats * sizeof(float));
    assert_non_null(s);
    for (size_t i = 0; i < floats; i++)
        s[i] = NAN;
    return s;
}

static size_t forward_scratch(const conv_case *c)
{
    int rows = c->rows ? c->rows : c->n * c->h;
    return (size_t)c->threads *
           conv_scratch_floats(&(conv_layer){NULL, NULL, c->cin, c->cout, c->k}, c->w, rows);
}

/* The forward's share plus the backward's weight parts and the input-gradient conv's rows
 * (whose columns have cout * k * k entries). */
static size_t backward_scratch(const conv_case *c)
{
    conv_layer L = {NULL, NULL, c->cin, c->cout, c->k};
    int rows = c->rows ? c->rows : c->n * c->h;
    size_t fwd = forward_scratch(c);
    size_t dinp = (size_t)c->threads * c->cout * c->k * c->k * c->w * rows;
    return conv_backward_scratch_floats(&L) + (fwd > dinp ? fwd : dinp);
}

static void check_forward(const conv_case *c, srres_rng *rng)
{
    problem p = make_problem(c, rng);
    size_t sf = forward_scratch(c);
    float *scratch = poisoned_scratch(sf), *out = malloc(p.ny * sizeof(float));
    double *ref = malloc(p.ny * sizeof(double));
    assert_non_null(out);
    assert_non_null(ref);
    conv_env env = {scratch, sf, pools[c->threads], 0};
    conv_forward(out, p.x, &p.L, c->n, c->h, c->w, &env);
    ref_conv(ref, p.xd, p.wd, p.bd, c);
    for (size_t i = 0; i < p.ny; i++)
        if (!(fabs(out[i] - ref[i]) <= 1e-5 * (1 + fabs(ref[i]))))
            fail_msg("%s: output %zu is %.8g, reference %.8g", describe(c), i, (double)out[i],
                     ref[i]);
    free(scratch), free(out), free(ref);
    free_problem(&p);
}

static void test_forward_k3_matches_reference(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 31);
    for (int i = 0; i < 40; i++) {
        conv_case c = random_case(&rng, 3, 9);
        check_forward(&c, &rng);
    }
}

static void test_forward_k9_matches_reference(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 32);
    for (int i = 0; i < 24; i++) {
        conv_case c = random_case(&rng, 9, 11);
        check_forward(&c, &rng);
    }
}

/* Chunks of one row: every chunk edge is a tile edge, and chunks cross image boundaries. */
static void test_forward_with_one_row_chunks(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 33);
    for (int threads = 1; threads <= 2; threads++)
        for (int k = 3; k <= 9; k += 6) {
            conv_case c = {3, 2, k, 3, 5, 6, threads, 1};
            check_forward(&c, &rng);
        }
}

/* A 9x9 kernel on images 1, 2 or 3 pixels wide: the kernel reaches past both sides. */
static void test_forward_k9_narrower_than_the_kernel(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 34);
    for (int w = 1; w <= 3; w++)
        for (int threads = 1; threads <= 2; threads++) {
            conv_case c = {2, 3, 9, 2, 5, w, threads, 1};
            check_forward(&c, &rng);
        }
}

/* ---- Backward ---------------------------------------------------------------------------- */

typedef enum grad_kind { GRAD_INPUT, GRAD_WEIGHT, GRAD_BIAS } grad_kind;

/* Runs conv_backward from zeroed gradients and checks one of them against finite
 * differences of the reference. */
static void check_backward(const conv_case *c, grad_kind kind, srres_rng *rng)
{
    problem p = make_problem(c, rng);
    size_t sf = backward_scratch(c);
    float *scratch = poisoned_scratch(sf);
    float *dx = calloc(p.nx, sizeof(float)), *dw = calloc(p.nw, sizeof(float));
    float *db = calloc((size_t)c->cout, sizeof(float));
    assert_non_null(dx);
    assert_non_null(dw);
    assert_non_null(db);
    conv_env env = {scratch, sf, pools[c->threads], 0};
    conv_backward(dx, dw, db, p.r, p.x, &p.L, c->n, c->h, c->w, &env);
    const float *got = kind == GRAD_INPUT ? dx : kind == GRAD_WEIGHT ? dw : db;
    double *v = kind == GRAD_INPUT ? p.xd : kind == GRAD_WEIGHT ? p.wd : p.bd;
    size_t count = kind == GRAD_INPUT ? p.nx : kind == GRAD_WEIGHT ? p.nw : (size_t)c->cout;
    static const char *const names[] = {"dinp", "dweight", "dbias"};
    for (size_t i = 0; i < count; i++) {
        double fd = central_difference(&p, v, i);
        if (!(fabs(got[i] - fd) <= 1e-4 * (1 + fabs(fd))))
            fail_msg("%s: %s[%zu] is %.8g, finite difference %.8g", describe(c), names[kind], i,
                     (double)got[i], fd);
    }
    free(scratch), free(dx), free(dw), free(db);
    free_problem(&p);
}

static void check_backward_cases(grad_kind kind, uint64_t seed)
{
    srres_rng rng;
    srres_rng_seed(&rng, seed);
    for (int i = 0; i < 16; i++) {
        conv_case c = random_case(&rng, 3, 7);
        check_backward(&c, kind, &rng);
    }
    for (int i = 0; i < 5; i++) {
        conv_case c = random_case(&rng, 9, 6);
        check_backward(&c, kind, &rng);
    }
    conv_case one_row = {3, 4, 3, 3, 4, 5, 2, 1};
    check_backward(&one_row, kind, &rng);
}

/* One image row and two threads: the second thread has no rows to work on. */
static void test_backward_with_fewer_rows_than_threads(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 45);
    conv_case c = {2, 3, 3, 1, 1, 5, 2, 1};
    check_backward(&c, GRAD_INPUT, &rng);
    check_backward(&c, GRAD_BIAS, &rng);
    check_backward(&c, GRAD_WEIGHT, &rng);
}

static void test_backward_input_gradient_matches_finite_differences(void **state)
{
    check_backward_cases(GRAD_INPUT, 41);
}

static void test_backward_weight_gradient_matches_finite_differences(void **state)
{
    check_backward_cases(GRAD_WEIGHT, 42);
}

static void test_backward_bias_gradient_matches_finite_differences(void **state)
{
    check_backward_cases(GRAD_BIAS, 43);
}

/* Gradients are added to what the buffers hold; dinp NULL skips only the input gradient. */
static void check_accumulation(int with_dinp)
{
    srres_rng rng;
    srres_rng_seed(&rng, 44);
    for (int threads = 1; threads <= 2; threads++) {
        conv_case c = {3, 2, 3, 2, 5, 4, threads, 2};
        problem p = make_problem(&c, &rng);
        size_t sf = backward_scratch(&c);
        float *scratch = poisoned_scratch(sf);
        float *dx0 = calloc(p.nx, sizeof(float)), *dw0 = calloc(p.nw, sizeof(float));
        float *db0 = calloc(2, sizeof(float));
        float *dx = random_floats(p.nx, -1, 1, &rng), *dw = random_floats(p.nw, -1, 1, &rng);
        float *db = random_floats(2, -1, 1, &rng);
        float *dx_init = malloc(p.nx * sizeof(float)), *dw_init = malloc(p.nw * sizeof(float));
        float db_init[2] = {db[0], db[1]};
        assert_non_null(dx_init);
        assert_non_null(dw_init);
        memcpy(dx_init, dx, p.nx * sizeof(float));
        memcpy(dw_init, dw, p.nw * sizeof(float));
        conv_env env = {scratch, sf, pools[threads], 0};
        conv_backward(dx0, dw0, db0, p.r, p.x, &p.L, c.n, c.h, c.w, &env);
        conv_backward(with_dinp ? dx : NULL, dw, db, p.r, p.x, &p.L, c.n, c.h, c.w, &env);
        for (size_t i = 0; i < p.nx; i++) {
            float expect = with_dinp ? dx_init[i] + dx0[i] : dx_init[i];
            assert_true(fabsf(dx[i] - expect) <= 1e-5f * (1 + fabsf(expect)));
        }
        for (size_t i = 0; i < p.nw; i++)
            assert_true(fabsf(dw[i] - (dw_init[i] + dw0[i])) <= 1e-5f * (1 + fabsf(dw[i])));
        for (int i = 0; i < 2; i++)
            assert_true(fabsf(db[i] - (db_init[i] + db0[i])) <= 1e-5f * (1 + fabsf(db[i])));
        free(scratch), free(dx0), free(dw0), free(db0), free(dx), free(dw), free(db);
        free(dx_init), free(dw_init);
        free_problem(&p);
    }
}

static void test_backward_accumulates_into_gradients(void **state)
{
    check_accumulation(1);
}

static void test_backward_without_input_gradient(void **state)
{
    check_accumulation(0);
}

/* The same bits for 1, 2 or 3 threads, forward and both gradients: the GEMMs take fixed
 * blocks of rows (cut by the thread count, OpenBLAS's rounding changed with it: 2 threads
 * against 1 differed in about half the outputs). */
static void test_results_do_not_depend_on_threads(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 35);
    conv_case c = {16, 16, 3, 2, 12, 12, 1, 0};
    problem p = make_problem(&c, &rng);
    thread_pool *three = thread_pool_create(3);
    assert_non_null(three);
    thread_pool *pool_of[3] = {pools[1], pools[2], three};
    float *out[3], *dx[3], *dw[3], *db[3];
    for (int t = 0; t < 3; t++) {
        c.threads = t + 1;
        size_t sf = backward_scratch(&c) + (size_t)c.threads * CONV_BLOCK_FLOATS;
        float *scratch = poisoned_scratch(sf);
        out[t] = malloc(p.ny * sizeof(float));
        dx[t] = calloc(p.nx, sizeof(float));
        dw[t] = calloc(p.nw, sizeof(float));
        db[t] = calloc((size_t)c.cout, sizeof(float));
        assert_true(out[t] && dx[t] && dw[t] && db[t]);
        conv_env env = {scratch, sf, pool_of[t], 0};
        conv_forward(out[t], p.x, &p.L, c.n, c.h, c.w, &env);
        conv_backward(dx[t], dw[t], db[t], p.r, p.x, &p.L, c.n, c.h, c.w, &env);
        free(scratch);
    }
    for (int t = 1; t < 3; t++) {
        assert_memory_equal(out[t], out[0], p.ny * sizeof(float));
        assert_memory_equal(dx[t], dx[0], p.nx * sizeof(float));
        assert_memory_equal(dw[t], dw[0], p.nw * sizeof(float));
        assert_memory_equal(db[t], db[0], (size_t)c.cout * sizeof(float));
    }
    for (int t = 0; t < 3; t++)
        free(out[t]), free(dx[t]), free(dw[t]), free(db[t]);
    thread_pool_free(three);
    free_problem(&p);
}

static int make_pools(void **state)
{
    openblas_set_num_threads(1); /* threads come from the pools, as in the library */
    pools[1] = thread_pool_create(1);
    pools[2] = thread_pool_create(2);
    return pools[1] && pools[2] ? 0 : -1;
}

static int free_pools(void **state)
{
    thread_pool_free(pools[1]);
    thread_pool_free(pools[2]);
    return 0;
}

/* Per kernel (cout x cin of them), the largest over its taps of sqrt(P * sum of the squares
 * of the P products x * dout that sum to the tap's gradient). A float sum's rounding error is
 * a modest multiple of the unit roundoff times this, in whatever order it adds (OpenBLAS's
 * kernels differ by CPU); Winograd's transforms spread it over the kernel's taps, so a tap
 * without products gets a little of its neighbours'. Where the sum is large (a 120x200 map)
 * that error dwarfs one relative to the gradient itself, which depends on cancellation. */
static double *weight_grad_scale(const problem *p)
{
    const conv_case *c = &p->c;
    int k = c->k, pad = k / 2, h = c->h, w = c->w;
    size_t plane = (size_t)c->n * h * w;
    double *scale = calloc((size_t)c->cout * c->cin, sizeof(double));
    assert_non_null(scale);
    for (int co = 0; co < c->cout; co++)
        for (int ci = 0; ci < c->cin; ci++)
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) {
                    double sq = 0;
                    for (int im = 0; im < c->n; im++)
                        for (int y = 0; y < h; y++)
                            for (int x = 0; x < w; x++) {
                                int sy = y + ky - pad, sx = x + kx - pad;
                                if (sy < 0 || sy >= h || sx < 0 || sx >= w)
                                    continue;
                                double t = p->xd[ci * plane + ((size_t)im * h + sy) * w + sx] *
                                           p->r[co * plane + ((size_t)im * h + y) * w + x];
                                sq += t * t;
                            }
                    double *s = &scale[co * c->cin + ci];
                    *s = fmax(*s, sqrt((double)plane * sq));
                }
    return scale;
}

/* The trainer's fast route (conv_env.fast, on kernel set `isa`) gives what im2col + sgemm
 * gives, for the forward pass and both gradients, batches and odd sizes included, on a
 * scratch buffer full of NaN (so a border left unzeroed shows); and the same weight
 * gradient when the input gradient is not wanted. */
static void check_fast_env_matches_im2col(conv_nhwc_isa isa)
{
    srres_rng rng;
    srres_rng_seed(&rng, 91);
    for (int iter = 0; iter < 19; iter++) {
        /* 3x3 of any width; 9x9 as the head (3 in) and the tail (3 out) */
        int k = iter % 3 ? 3 : 9;
        conv_case c = random_case(&rng, k, 11);
        c.cin = 1 + (int)srres_rng_below(&rng, 40);
        c.cout = 1 + (int)srres_rng_below(&rng, 40);
        if (k == 9)
            *(iter % 2 ? &c.cin : &c.cout) = 3;
        if (iter == 18) /* large: each weight-gradient part gathers its tiles in batches */
            c = (conv_case){5, 7, 3, 2, 120, 200, 2, 0};
        problem p = make_problem(&c, &rng);
        size_t sf = backward_scratch(&c) + forward_scratch(&c);
        size_t wf = conv_nhwc_scratch_floats(c.cin, c.cout, k, c.n, c.h, c.w, c.threads) +
                    conv_nhwc_scratch_floats(c.cout, c.cin, k, c.n, c.h, c.w, c.threads) +
                    conv_nhwc_tail_grad_scratch_floats(c.cin, c.n, c.h, c.w) +
                    conv_nhwc_backward3_scratch_floats(c.cin, c.cout, c.n, c.h, c.w,
                                                       c.threads);
        sf += wf + conv_backward_scratch_floats(&p.L);
        float *scratch = aligned_alloc(64, ((sf * sizeof(float)) + 63) & ~(size_t)63);
        float *out[2], *dx[2], *dw[2], *db[2];
        for (int wino = 0; wino < 2; wino++) {
            conv_env env = {scratch, sf, pools[c.threads], wino ? (int)isa : 0};
            memset(scratch, 0xff, sf * sizeof(float)); /* NaN: every float read is written */
            out[wino] = malloc(p.ny * sizeof(float));
            dx[wino] = calloc(p.nx, sizeof(float));
            dw[wino] = calloc(p.nw, sizeof(float));
            db[wino] = calloc((size_t)c.cout, sizeof(float));
            conv_forward(out[wino], p.x, &p.L, c.n, c.h, c.w, &env);
            conv_backward(dx[wino], dw[wino], db[wino], p.r, p.x, &p.L, c.n, c.h, c.w, &env);
        }
        for (size_t i = 0; i < p.ny; i++)
            assert_true(fabsf(out[0][i] - out[1][i]) <= 1e-4f * (1 + fabsf(out[0][i])));
        for (size_t i = 0; i < p.nx; i++)
            assert_true(fabsf(dx[0][i] - dx[1][i]) <= 1e-4f * (1 + fabsf(dx[0][i])));
        double *scale = weight_grad_scale(&p);
        for (size_t i = 0; i < p.nw; i++)
            assert_true(fabs((double)dw[0][i] - dw[1][i]) <= 0x1p-17 * scale[i / (k * k)]);
        free(scale);
        /* without the input gradient, the same weight gradient */
        conv_env env = {scratch, sf, pools[c.threads], isa};
        memset(dw[0], 0, p.nw * sizeof(float));
        memset(db[0], 0, (size_t)c.cout * sizeof(float));
        conv_backward(NULL, dw[0], db[0], p.r, p.x, &p.L, c.n, c.h, c.w, &env);
        assert_memory_equal(dw[0], dw[1], p.nw * sizeof(float));
        assert_memory_equal(db[0], db[1], (size_t)c.cout * sizeof(float));
        for (int wino = 0; wino < 2; wino++)
            free(out[wino]), free(dx[wino]), free(dw[wino]), free(db[wino]);
        free(scratch);
        free_problem(&p);
    }
}

/* The AVX2 + FMA kernels give the AVX-512 kernels' results bit for bit (both compile the
 * same templates and sum in the same order), but where the tail's kernel runs, which sums
 * its lanes in another order: the tail's forward pass and the head's input gradient (a
 * convolution to 3 channels). 3x3 convolutions of up to 70 channels (more than one
 * 64-channel GEMM pass), the head and the tail. */
static void test_avx2_env_gradients_match_avx512(void **state)
{
    if (!cpu_has_avx512() || !cpu_has_avx2_fma())
        skip();
    srres_rng rng;
    srres_rng_seed(&rng, 17);
    for (int iter = 0; iter < 9; iter++) {
        int k = iter % 3 ? 3 : 9;
        conv_case c = random_case(&rng, k, 23);
        c.cin = 1 + (int)srres_rng_below(&rng, 70);
        c.cout = 1 + (int)srres_rng_below(&rng, 70);
        if (k == 9)
            *(iter % 2 ? &c.cin : &c.cout) = 3;
        problem p = make_problem(&c, &rng);
        size_t sf = conv_nhwc_scratch_floats(c.cin, c.cout, k, c.n, c.h, c.w, c.threads) +
                    conv_nhwc_scratch_floats(c.cout, c.cin, k, c.n, c.h, c.w, c.threads) +
                    conv_nhwc_tail_grad_scratch_floats(c.cin, c.n, c.h, c.w) +
                    conv_nhwc_backward3_scratch_floats(c.cin, c.cout, c.n, c.h, c.w, c.threads) +
                    backward_scratch(&c) + conv_backward_scratch_floats(&p.L);
        float *scratch = aligned_alloc(64, ((sf * sizeof(float)) + 63) & ~(size_t)63);
        float *out[2], *dx[2], *dw[2], *db[2];
        const conv_nhwc_isa isa[2] = {CONV_NHWC_AVX512, CONV_NHWC_AVX2};
        for (int s = 0; s < 2; s++) {
            conv_env env = {scratch, sf, pools[c.threads], isa[s]};
            memset(scratch, 0xff, sf * sizeof(float));
            out[s] = malloc(p.ny * sizeof(float));
            dx[s] = calloc(p.nx, sizeof(float));
            dw[s] = calloc(p.nw, sizeof(float));
            db[s] = calloc((size_t)c.cout, sizeof(float));
            conv_forward(out[s], p.x, &p.L, c.n, c.h, c.w, &env);
            conv_backward(dx[s], dw[s], db[s], p.r, p.x, &p.L, c.n, c.h, c.w, &env);
        }
        if (!(k == 9 && c.cout == 3))
            assert_memory_equal(out[0], out[1], p.ny * sizeof(float));
        if (!(k == 9 && c.cin == 3))
            assert_memory_equal(dx[0], dx[1], p.nx * sizeof(float));
        assert_memory_equal(dw[0], dw[1], p.nw * sizeof(float));
        assert_memory_equal(db[0], db[1], (size_t)c.cout * sizeof(float));
        for (int s = 0; s < 2; s++)
            free(out[s]), free(dx[s]), free(dw[s]), free(db[s]);
        free(scratch);
        free_problem(&p);
    }
}

static void test_winograd_env_matches_im2col(void **state)
{
    if (!cpu_has_avx512())
        skip();
    check_fast_env_matches_im2col(CONV_NHWC_AVX512);
}

static void test_winograd_env_avx2_matches_im2col(void **state)
{
    if (!cpu_has_avx2_fma())
        skip();
    check_fast_env_matches_im2col(CONV_NHWC_AVX2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_k3_matches_reference),
        cmocka_unit_test(test_forward_k9_matches_reference),
        cmocka_unit_test(test_forward_with_one_row_chunks),
        cmocka_unit_test(test_backward_input_gradient_matches_finite_differences),
        cmocka_unit_test(test_backward_weight_gradient_matches_finite_differences),
        cmocka_unit_test(test_backward_bias_gradient_matches_finite_differences),
        cmocka_unit_test(test_backward_accumulates_into_gradients),
        cmocka_unit_test(test_backward_without_input_gradient),
        cmocka_unit_test(test_results_do_not_depend_on_threads),
        cmocka_unit_test(test_backward_with_fewer_rows_than_threads),
        cmocka_unit_test(test_winograd_env_matches_im2col),
        cmocka_unit_test(test_winograd_env_avx2_matches_im2col),
        cmocka_unit_test(test_avx2_env_gradients_match_avx512),
        /* Last: today it crashes the program (im2col, see the lead's report). */
        cmocka_unit_test(test_forward_k9_narrower_than_the_kernel),
    };
    return cmocka_run_group_tests(tests, make_pools, free_pools);
}
