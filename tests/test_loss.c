/* test_loss.c: the training losses, MSE and L1 as the mean over every value: loss_forward
 * against the mean written plainly in double, and loss_backward against central finite
 * differences of it, accumulating; L1's gradient at a zero difference is zero. */
#include <math.h>

#include "layers.h"
#include "test_util.h"

static double ref_loss(const double *out, const float *target, size_t n, srres_loss kind)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = out[i] - target[i];
        sum += kind == SRRES_LOSS_L1 ? fabs(d) : d * d;
    }
    return sum / (double)n;
}

/* Outputs at least 0.01 away from their targets, so L1's kink stays outside the steps. */
static float *outputs_near(const float *target, size_t n, srres_rng *rng)
{
    float *out = random_floats(n, -1, 1, rng);
    for (size_t i = 0; i < n; i++) {
        float d = out[i] - target[i];
        if (fabsf(d) < 0.01f)
            out[i] = target[i] + (d < 0 ? -0.01f : 0.01f) + d;
    }
    return out;
}

static void check_forward(srres_loss kind, uint64_t seed)
{
    srres_rng rng;
    srres_rng_seed(&rng, seed);
    for (int t = 0; t < 10; t++) {
        size_t n = 1 + srres_rng_below(&rng, 300);
        float *target = random_floats(n, 0, 1, &rng), *out = outputs_near(target, n, &rng);
        double *outd = malloc(n * sizeof(double));
        assert_non_null(outd);
        for (size_t i = 0; i < n; i++)
            outd[i] = out[i];
        double want = ref_loss(outd, target, n, kind);
        double got = loss_forward(out, target, n, kind);
        if (!(fabs(got - want) <= 1e-6 * want))
            fail_msg("n %zu: loss %.9g, reference %.9g", n, got, want);
        free(target), free(out), free(outd);
    }
}

static void test_mse_forward_matches_reference(void **state)
{
    check_forward(SRRES_LOSS_MSE, 91);
}

static void test_l1_forward_matches_reference(void **state)
{
    check_forward(SRRES_LOSS_L1, 92);
}

static void test_forward_of_equal_images_is_zero(void **state)
{
    float v[5] = {0, 0.5f, 1, -2, 3};
    assert_true(loss_forward(v, v, 5, SRRES_LOSS_MSE) == 0.0f);
    assert_true(loss_forward(v, v, 5, SRRES_LOSS_L1) == 0.0f);
}

static void check_backward(srres_loss kind, uint64_t seed)
{
    srres_rng rng;
    srres_rng_seed(&rng, seed);
    for (int t = 0; t < 10; t++) {
        size_t n = 1 + srres_rng_below(&rng, 120);
        float *target = random_floats(n, 0, 1, &rng), *out = outputs_near(target, n, &rng);
        float *dout = calloc(n, sizeof(float));
        double *outd = malloc(n * sizeof(double));
        assert_non_null(dout);
        assert_non_null(outd);
        for (size_t i = 0; i < n; i++)
            outd[i] = out[i];
        loss_backward(dout, out, target, n, kind);
        for (size_t i = 0; i < n; i++) {
            const double h = 1e-4;
            double saved = outd[i];
            outd[i] = saved + h;
            double up = ref_loss(outd, target, n, kind);
            outd[i] = saved - h;
            double down = ref_loss(outd, target, n, kind);
            outd[i] = saved;
            double fd = (up - down) / (2 * h);
            if (!(fabs(dout[i] - fd) <= 1e-5 * fabs(fd) + 1e-9))
                fail_msg("n %zu: d/dout[%zu] %.9g, finite difference %.9g", n, i, (double)dout[i],
                         fd);
        }
        free(target), free(out), free(dout), free(outd);
    }
}

static void test_mse_backward_matches_finite_differences(void **state)
{
    check_backward(SRRES_LOSS_MSE, 93);
}

static void test_l1_backward_matches_finite_differences(void **state)
{
    check_backward(SRRES_LOSS_L1, 94);
}

static void test_backward_accumulates(void **state)
{
    srres_rng rng;
    srres_rng_seed(&rng, 95);
    const size_t n = 40;
    for (int kind = SRRES_LOSS_MSE; kind <= SRRES_LOSS_L1; kind++) {
        float *target = random_floats(n, 0, 1, &rng), *out = outputs_near(target, n, &rng);
        float *d0 = calloc(n, sizeof(float)), *d1 = random_floats(n, -1, 1, &rng);
        float *init = malloc(n * sizeof(float));
        assert_non_null(d0);
        assert_non_null(init);
        memcpy(init, d1, n * sizeof(float));
        loss_backward(d0, out, target, n, (srres_loss)kind);
        loss_backward(d1, out, target, n, (srres_loss)kind);
        for (size_t i = 0; i < n; i++)
            assert_true(d1[i] == init[i] + d0[i]);
        free(target), free(out), free(d0), free(d1), free(init);
    }
}

/* |d| has no derivative at zero; the subgradient used is zero, as PyTorch's sign(0) = 0. */
static void test_l1_gradient_at_zero_difference_is_zero(void **state)
{
    float out[3] = {0.25f, 0.5f, 0.75f}, target[3] = {0.25f, 0.0f, 1.0f}, d[3] = {0};
    loss_backward(d, out, target, 3, SRRES_LOSS_L1);
    assert_true(d[0] == 0.0f);
    assert_true(fabsf(d[1] - 1.0f / 3) < 1e-7f);
    assert_true(fabsf(d[2] + 1.0f / 3) < 1e-7f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mse_forward_matches_reference),
        cmocka_unit_test(test_l1_forward_matches_reference),
        cmocka_unit_test(test_forward_of_equal_images_is_zero),
        cmocka_unit_test(test_mse_backward_matches_finite_differences),
        cmocka_unit_test(test_l1_backward_matches_finite_differences),
        cmocka_unit_test(test_backward_accumulates),
        cmocka_unit_test(test_l1_gradient_at_zero_difference_is_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
