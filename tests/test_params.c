/* test_params.c: a context's and a trainer's settings out of range are refused with a
 * message naming the setting, and nothing is created (the ensemble's sizes: test_ensemble). */
#include "test_util.h"

static void expect_refused(const srres_model *m, srres_params p, const char *needle)
{
    srres_ctx *ctx = (srres_ctx *)1;
    srres_error err;
    assert_int_equal(srres_ctx_create(m, &p, &ctx, &err), SRRES_ERR_INVALID);
    assert_null(ctx);
    if (!strstr(err.message, needle))
        fail_msg("\"%s\" does not name %s", err.message, needle);
}

static void test_context_settings_out_of_range_are_refused(void **state)
{
    srres_model *m = load_model(FIXTURES "/x2_seed.safetensors");
    srres_params p = srres_default_params();
    p.threads = -1;
    expect_refused(m, p, "threads -1");
    p.threads = 1025;
    expect_refused(m, p, "threads 1025");
    p = srres_default_params();
    p.kernel = (srres_kernel)7;
    expect_refused(m, p, "kernel 7");
    p = srres_default_params();
    p.precision = (srres_precision)-1;
    expect_refused(m, p, "precision -1");
    srres_model_free(m);
}

static void test_trainer_settings_out_of_range_are_refused(void **state)
{
    srres_model *m = load_model(FIXTURES "/x2_seed.safetensors");
    const int bad[][3] = {{0, 8, 1}, {4097, 8, 1}, {2, 0, 1}, {2, 4097, 1}, {2, 8, -1},
                          {2, 8, 1025}};
    const char *names[] = {"batch 0", "batch 4097", "patch 0", "patch 4097", "threads -1",
                           "threads 1025"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        srres_trainer *t = (srres_trainer *)1;
        srres_error err;
        assert_int_equal(srres_trainer_create(m, bad[i][0], bad[i][1], bad[i][2], &t, &err),
                         SRRES_ERR_INVALID);
        assert_null(t);
        if (!strstr(err.message, names[i]))
            fail_msg("\"%s\" does not name %s", err.message, names[i]);
    }
    srres_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_settings_out_of_range_are_refused),
        cmocka_unit_test(test_trainer_settings_out_of_range_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
