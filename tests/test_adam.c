/* test_adam.c: srres_adam_update against Adam written out step by step in double precision
 * (Kingma & Ba, Algorithm 1: bias-corrected moments, beta1 0.9, beta2 0.999, eps 1e-8), and
 * the parameters' moving average against its recurrence. */
#include <math.h>

#include "test_util.h"

#define N 7

typedef struct ref_adam {
    double m[N], v[N];
    int t;
} ref_adam;

/* One step of Algorithm 1, with the constants as srres_adam holds them: floats, so beta2 is
 * 0.99900001287 and 1 - beta2 differs from 1e-3 by 1.3e-5 relative; the comparison below is
 * then down to float rounding. */
static void ref_step(ref_adam *a, double *p, const float *g, double lr)
{
    const double b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    a->t++;
    for (int i = 0; i < N; i++) {
        a->m[i] = b1 * a->m[i] + (1 - b1) * g[i];
        a->v[i] = b2 * a->v[i] + (1 - b2) * (double)g[i] * g[i];
        double mhat = a->m[i] / (1 - pow(b1, a->t)), vhat = a->v[i] / (1 - pow(b2, a->t));
        p[i] -= lr * mhat / (sqrt(vhat) + eps);
    }
}

/* Gradients of every size that matters: zero, tiny (where eps decides the step), ordinary,
 * large, both signs. */
static const float grads1[N] = {0.0f, 1e-8f, -3e-8f, 0.5f, -2.0f, 1e3f, 1e-4f};
static const float grads2[N] = {0.25f, -1e-8f, 3e-8f, 0.5f, 7.0f, -1e3f, 0.0f};

static void test_init_sets_the_usual_constants(void **state)
{
    srres_adam adam;
    srres_error err;
    assert_int_equal(srres_adam_init(&adam, N, &err), SRRES_OK);
    assert_true(adam.beta1 == 0.9f && adam.beta2 == 0.999f && adam.eps == 1e-8f);
    assert_int_equal(adam.step, 0);
    assert_int_equal(adam.n, N);
    for (int i = 0; i < N; i++)
        assert_true(adam.m[i] == 0.0f && adam.v[i] == 0.0f);
    srres_adam_release(&adam);
    assert_null(adam.m);
    assert_null(adam.v);
}

/* Two steps: the second checks that the moments carry over and the bias correction uses
 * the step count. The parameters start at zero, so each one's change is the update itself
 * and float rounding stays relative to the update. */
static void test_two_steps_match_algorithm_1(void **state)
{
    srres_adam adam;
    srres_error err;
    assert_int_equal(srres_adam_init(&adam, N, &err), SRRES_OK);
    float p[N] = {0};
    double ref[N] = {0};
    ref_adam ra = {{0}, {0}, 0};
    const float lr = 1e-3f;
    for (int step = 1; step <= 2; step++) {
        const float *g = step == 1 ? grads1 : grads2;
        srres_adam_update(&adam, p, g, lr);
        ref_step(&ra, ref, g, lr);
        assert_int_equal(adam.step, step);
        for (int i = 0; i < N; i++) {
            if (fabs(p[i] - ref[i]) > 1e-5 * fabs(ref[i]) + 1e-12)
                fail_msg("step %d, parameter %d: %.9g, Algorithm 1 gives %.9g", step, i,
                         (double)p[i], ref[i]);
            assert_true(fabs(adam.m[i] - ra.m[i]) <= 1e-6 * fabs(ra.m[i]));
            assert_true(fabs(adam.v[i] - ra.v[i]) <= 1e-6 * fabs(ra.v[i]));
        }
    }
    srres_adam_release(&adam);
}

/* The first step moves every parameter with a gradient well above eps by lr against the
 * gradient's sign, whatever its size: mhat / sqrt(vhat) = g / |g|. */
static void test_first_step_is_lr_times_sign(void **state)
{
    srres_adam adam;
    srres_error err;
    assert_int_equal(srres_adam_init(&adam, N, &err), SRRES_OK);
    float p[N];
    for (int i = 0; i < N; i++)
        p[i] = 1.0f;
    srres_adam_update(&adam, p, grads1, 0.01f);
    for (int i = 0; i < N; i++) {
        double g = grads1[i], expect = fabs(g) > 1e-3 ? 1.0 - 0.01 * (g > 0 ? 1 : -1) : NAN;
        if (g == 0)
            assert_true(p[i] == 1.0f);
        else if (!isnan(expect))
            assert_true(fabs(p[i] - expect) < 1e-6);
    }
    srres_adam_release(&adam);
}

/* A gradient of eps size gets half a step at step one: g / (|g| + eps) with |g| = eps. */
static void test_eps_is_added_to_the_corrected_root(void **state)
{
    srres_adam adam;
    srres_error err;
    assert_int_equal(srres_adam_init(&adam, 1, &err), SRRES_OK);
    float p = 0.0f;
    const float g = 1e-8f;
    srres_adam_update(&adam, &p, &g, 1.0f);
    double expect = -(double)g / (g + 1e-8);
    assert_true(fabs(p - expect) < 1e-4);
    srres_adam_release(&adam);
}

static void test_lr_zero_moves_nothing_but_updates_moments(void **state)
{
    srres_adam adam;
    srres_error err;
    assert_int_equal(srres_adam_init(&adam, N, &err), SRRES_OK);
    float p[N] = {1, 2, 3, 4, 5, 6, 7};
    srres_adam_update(&adam, p, grads1, 0.0f);
    for (int i = 0; i < N; i++)
        assert_true(p[i] == (float)(i + 1));
    assert_true(adam.m[3] != 0.0f && adam.v[3] != 0.0f);
    assert_int_equal(adam.step, 1);
    srres_adam_release(&adam);
}

/* The average starts at the parameters of the call, follows each update's result with
 * its decay, is kept (not restarted) by a second call, which changes only the decay, and
 * leaves the parameters as Adam alone moves them. */
static void test_average_follows_the_updates(void **state)
{
    srres_adam adam, plain;
    srres_error err;
    assert_int_equal(srres_adam_init(&adam, N, &err), SRRES_OK);
    assert_int_equal(srres_adam_init(&plain, N, &err), SRRES_OK);
    assert_null(adam.avg);
    float p[N] = {1, -2, 3, -4, 5, -6, 7}, q[N];
    memcpy(q, p, sizeof(p));
    double ref[N];
    for (int i = 0; i < N; i++)
        ref[i] = p[i];
    assert_int_equal(srres_adam_average(&adam, p, 0.75f, &err), SRRES_OK);
    for (int step = 1; step <= 4; step++) {
        const float *g = step % 2 ? grads1 : grads2;
        if (step == 3) {
            float other[N] = {0};
            assert_int_equal(srres_adam_average(&adam, other, 0.5f, &err), SRRES_OK);
        }
        double d = step < 3 ? 0.75 : 0.5;
        srres_adam_update(&adam, p, g, 0.1f);
        srres_adam_update(&plain, q, g, 0.1f);
        for (int i = 0; i < N; i++) {
            assert_true(p[i] == q[i]);
            ref[i] = d * ref[i] + (1 - d) * p[i];
            if (fabs(adam.avg[i] - ref[i]) > 1e-6 * (fabs(ref[i]) + 1))
                fail_msg("step %d, parameter %d: average %.9g, recurrence %.9g", step, i,
                         (double)adam.avg[i], ref[i]);
        }
    }
    srres_adam_release(&adam);
    srres_adam_release(&plain);
    assert_null(adam.avg);
}

static void test_average_decay_must_be_inside_0_1(void **state)
{
    srres_adam adam;
    srres_error err;
    assert_int_equal(srres_adam_init(&adam, N, &err), SRRES_OK);
    float p[N] = {0};
    const float bad[] = {0.0f, 1.0f, -0.5f, 2.0f, NAN};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(srres_adam_average(&adam, p, bad[i], &err), SRRES_ERR_INVALID);
        assert_non_null(strstr(err.message, "decay"));
        assert_null(adam.avg);
    }
    srres_adam_release(&adam);
}

/* A released state updates nothing, its step count included (srres_adam_release's promise):
 * a checkpoint saved from it would otherwise claim steps that never happened. */
static void test_released_state_updates_nothing(void **state)
{
    srres_adam adam;
    srres_error err;
    assert_int_equal(srres_adam_init(&adam, N, &err), SRRES_OK);
    float p[N] = {1, 2, 3, 4, 5, 6, 7}, g[N] = {1, 1, 1, 1, 1, 1, 1};
    srres_adam_update(&adam, p, g, 0.1f);
    srres_adam_release(&adam);
    srres_adam_update(&adam, p, g, 0.1f);
    assert_int_equal(adam.step, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_sets_the_usual_constants),
        cmocka_unit_test(test_two_steps_match_algorithm_1),
        cmocka_unit_test(test_first_step_is_lr_times_sign),
        cmocka_unit_test(test_eps_is_added_to_the_corrected_root),
        cmocka_unit_test(test_lr_zero_moves_nothing_but_updates_moments),
        cmocka_unit_test(test_average_follows_the_updates),
        cmocka_unit_test(test_average_decay_must_be_inside_0_1),
        cmocka_unit_test(test_released_state_updates_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
