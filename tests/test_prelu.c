/* test_prelu.c: prelu_forward against max(0, x) + a min(0, x) written plainly in double, and
 * prelu_backward against central finite differences of it (L = sum(r * prelu(x)), dout = r),
 * with one slope per layer and one per channel, batches of odd planes, negative slopes,
 * and inputs that are negative, zero or negative zero. */
#include <math.h>

#include "layers.h"
#include "test_util.h"

static double ref_prelu(double x, double a)
{
    return x > 0 ? x : a * x;
}

typedef struct problem {
    int c, nslopes;
    size_t plane;
    float *x, *slope, *r;
    prelu_layer L;
} problem;

/* Inputs keep |x| >= 0.05 so that finite differences never straddle the kink. */
static problem make_problem(int c, int per_channel, size_t plane, srres_rng *rng)
{
    problem p = {.c = c, .nslopes = per_channel ? c : 1, .plane = plane};
    size_t n = (size_t)c * plane;
    p.x = random_floats(n, -1, 1, rng);
    for (size_t i = 0; i < n; i++)
        if (fabsf(p.x[i]) < 0.05f)
            p.x[i] = p.x[i] < 0 ? -0.05f - p.x[i] : 0.05f + p.x[i];
    p.slope = random_floats((size_t)p.nslopes, -0.5f, 1.5f, rng);
    p.r = random_floats(n, -1, 1, rng);
    p.L = (prelu_layer){p.slope, p.nslopes};
    return p;
}

static void free_problem(problem *p)
{
    free(p->x), free(p->slope), free(p->r);
}

static double slope_of(const problem *p, const double *slopes, int ch)
{
    return slopes[p->nslopes == 1 ? 0 : ch];
}

/* L = sum(r * prelu(x)) with the inputs and slopes given in double. */
static double objective(const problem *p, const double *x, const double *slopes)
{
    double L = 0;
    for (int ch = 0; ch < p->c; ch++)
        for (size_t i = 0; i < p->plane; i++)
            L += p->r[ch * p->plane + i] * ref_prelu(x[ch * p->plane + i], slope_of(p, slopes, ch));
    return L;
}

static double central_difference(const problem *p, double *x, double *slopes, double *v)
{
    const double h = 1e-4;
    double saved = *v;
    *v = saved + h;
    double up = objective(p, x, slopes);
    *v = saved - h;
    double down = objective(p, x, slopes);
    *v = saved;
    return (up - down) / (2 * h);
}

static double *to_double(const float *v, size_t n)
{
    double *d = malloc(n * sizeof(double));
    assert_non_null(d);
    for (size_t i = 0; i < n; i++)
        d[i] = v[i];
    return d;
}

static void random_shape(srres_rng *rng, int *c, size_t *plane)
{
    *c = 1 + (int)srres_rng_below(rng, 5);
    int n = 1 + (int)srres_rng_below(rng, 3), h = 1 + (int)srres_rng_below(rng, 7),
        w = 1 + (int)srres_rng_below(rng, 7);
    *plane = (size_t)n * h * w; /* one channel's plane over the batch */
}

static void check_forward(int per_channel, uint64_t seed)
{
    srres_rng rng;
    srres_rng_seed(&rng, seed);
    for (int t = 0; t < 20; t++) {
        int c;
        size_t plane;
        random_shape(&rng, &c, &plane);
        problem p = make_problem(c, per_channel, plane, &rng);
        float *out = malloc((size_t)c * plane * sizeof(float));
        assert_non_null(out);
        prelu_forward(out, p.x, &p.L, c, plane);
        for (int ch = 0; ch < c; ch++)
            for (size_t i = 0; i < plane; i++) {
                double a = p.slope[p.nslopes == 1 ? 0 : ch];
                double want = ref_prelu(p.x[ch * plane + i], a);
                assert_true(fabs(out[ch * plane + i] - want) <= 1e-7 * (1 + fabs(want)));
            }
        free(out);
        free_problem(&p);
    }
}

static void test_forward_one_slope_matches_reference(void **state)
{
    check_forward(0, 51);
}

static void test_forward_slope_per_channel_matches_reference(void **state)
{
    check_forward(1, 52);
}

static void test_forward_in_place(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 53);
    problem p = make_problem(3, 1, 10, &rng);
    float *out = malloc(30 * sizeof(float));
    assert_non_null(out);
    prelu_forward(out, p.x, &p.L, 3, 10);
    prelu_forward(p.x, p.x, &p.L, 3, 10);
    assert_memory_equal(out, p.x, 30 * sizeof(float));
    free(out);
    free_problem(&p);
}

/* Zero and negative zero go through unchanged; zero adds nothing to the slope gradient and
 * gets a subgradient in [min(a, 1), max(a, 1)] times dout. */
static void test_zero_inputs(void **state)
{
    float x[4] = {0.0f, -0.0f, 0.0f, -0.0f}, out[4], slope[2] = {0.25f, -0.5f};
    float dout[4] = {1, -2, 3, 4}, dinp[4] = {0}, dslope[2] = {0};
    prelu_layer L = {slope, 2};
    prelu_forward(out, x, &L, 2, 2);
    for (int i = 0; i < 4; i++)
        assert_true(out[i] == 0.0f);
    prelu_backward(dinp, dslope, dout, x, &L, 2, 2);
    assert_true(dslope[0] == 0.0f && dslope[1] == 0.0f);
    for (int i = 0; i < 4; i++) {
        float a = slope[i / 2], lo = fminf(a, 1) * dout[i], hi = fmaxf(a, 1) * dout[i];
        assert_true(dinp[i] >= fminf(lo, hi) && dinp[i] <= fmaxf(lo, hi));
    }
}

/* ---- Backward ---------------------------------------------------------------------------- */

static void check_backward(int per_channel, int check_slopes, uint64_t seed)
{
    srres_rng rng;
    srres_rng_seed(&rng, seed);
    for (int t = 0; t < 20; t++) {
        int c;
        size_t plane;
        random_shape(&rng, &c, &plane);
        problem p = make_problem(c, per_channel, plane, &rng);
        size_t n = (size_t)c * plane;
        float *dinp = calloc(n, sizeof(float)), *dslope = calloc((size_t)p.nslopes, sizeof(float));
        assert_non_null(dinp);
        assert_non_null(dslope);
        prelu_backward(dinp, dslope, p.r, p.x, &p.L, c, plane);
        double *xd = to_double(p.x, n), *sd = to_double(p.slope, (size_t)p.nslopes);
        if (check_slopes) {
            for (int s = 0; s < p.nslopes; s++) {
                double fd = central_difference(&p, xd, sd, &sd[s]);
                if (!(fabs(dslope[s] - fd) <= 1e-5 * (1 + fabs(fd))))
                    fail_msg("c %d plane %zu: dslope[%d] %.8g, finite difference %.8g", c, plane, s,
                             (double)dslope[s], fd);
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                double fd = central_difference(&p, xd, sd, &xd[i]);
                if (!(fabs(dinp[i] - fd) <= 1e-5 * (1 + fabs(fd))))
                    fail_msg("c %d plane %zu: dinp[%zu] %.8g, finite difference %.8g", c, plane, i,
                             (double)dinp[i], fd);
            }
        }
        free(dinp), free(dslope), free(xd), free(sd);
        free_problem(&p);
    }
}

static void test_backward_input_gradient_one_slope(void **state)
{
    check_backward(0, 0, 61);
}

static void test_backward_input_gradient_slope_per_channel(void **state)
{
    check_backward(1, 0, 62);
}

static void test_backward_slope_gradient_one_slope(void **state)
{
    check_backward(0, 1, 63);
}

static void test_backward_slope_gradient_per_channel(void **state)
{
    check_backward(1, 1, 64);
}

/* Both gradients are added to what the buffers hold. */
static void test_backward_accumulates(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 65);
    for (int per_channel = 0; per_channel <= 1; per_channel++) {
        problem p = make_problem(4, per_channel, 15, &rng);
        float *d0 = calloc(60, sizeof(float)), s0[4] = {0};
        float *d1 = random_floats(60, -1, 1, &rng), *s1 = random_floats(4, -1, 1, &rng);
        float *d_init = malloc(60 * sizeof(float)), s_init[4];
        assert_non_null(d0);
        assert_non_null(d_init);
        memcpy(d_init, d1, 60 * sizeof(float));
        memcpy(s_init, s1, sizeof(s_init));
        prelu_backward(d0, s0, p.r, p.x, &p.L, 4, 15);
        prelu_backward(d1, s1, p.r, p.x, &p.L, 4, 15);
        for (int i = 0; i < 60; i++)
            assert_true(fabsf(d1[i] - (d_init[i] + d0[i])) <= 1e-6f);
        for (int s = 0; s < p.nslopes; s++)
            assert_true(fabsf(s1[s] - (s_init[s] + s0[s])) <= 1e-5f);
        for (int s = p.nslopes; s < 4; s++)
            assert_true(s1[s] == s_init[s]); /* one slope: the others are not touched */
        free(d0), free(d1), free(s1), free(d_init);
        free_problem(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_one_slope_matches_reference),
        cmocka_unit_test(test_forward_slope_per_channel_matches_reference),
        cmocka_unit_test(test_forward_in_place),
        cmocka_unit_test(test_zero_inputs),
        cmocka_unit_test(test_backward_input_gradient_one_slope),
        cmocka_unit_test(test_backward_input_gradient_slope_per_channel),
        cmocka_unit_test(test_backward_slope_gradient_one_slope),
        cmocka_unit_test(test_backward_slope_gradient_per_channel),
        cmocka_unit_test(test_backward_accumulates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
