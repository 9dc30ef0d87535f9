/* test_model.c: what srres.h promises of a model in memory: metadata set, replaced, removed
 * and listed; tensors copied between models by name and shape (a model onto itself too);
 * the multiply-accumulates a pixel costs; the random start (zero biases, slopes of 0.25,
 * upsampling filters equal within each group, ICNR). */
#include "model.h"
#include "test_util.h"

static srres_model *made(int scale, int blocks, int channels, int per_channel)
{
    srres_config c = {scale, blocks, channels, SRRES_SKIP_NONE, per_channel};
    srres_model *m;
    srres_error err;
    if (srres_model_create(&c, &m, &err) != SRRES_OK)
        fail_msg("%s", err.message);
    return m;
}

static int has_key(const srres_model *m, const char *key)
{
    for (int i = 0; i < srres_model_metadata_count(m); i++)
        if (!strcmp(srres_model_metadata_key(m, i), key))
            return 1;
    return 0;
}

static void test_metadata_is_set_replaced_removed_and_listed(void **state)
{
    srres_model *m = made(2, 1, 4, 0);
    srres_error err;
    assert_int_equal(srres_model_metadata_count(m), 0);
    assert_int_equal(srres_model_set_metadata(m, "description", "first", &err), SRRES_OK);
    assert_int_equal(srres_model_set_metadata(m, "trained_on", "DIV2K", &err), SRRES_OK);
    assert_int_equal(srres_model_set_metadata(m, "description", "second", &err), SRRES_OK);
    assert_int_equal(srres_model_metadata_count(m), 2);
    assert_string_equal(srres_model_get_metadata(m, "description"), "second");
    /* A value may be the model's own: it is copied before the old one is freed. */
    assert_int_equal(srres_model_set_metadata(m, "description",
                                              srres_model_get_metadata(m, "description"), &err),
                     SRRES_OK);
    assert_string_equal(srres_model_get_metadata(m, "description"), "second");
    assert_int_equal(srres_model_set_metadata(m, "description", NULL, &err), SRRES_OK);
    assert_null(srres_model_get_metadata(m, "description"));
    assert_int_equal(srres_model_metadata_count(m), 1);
    assert_true(has_key(m, "trained_on") && !has_key(m, "description"));
    assert_int_equal(srres_model_set_metadata(m, "absent", NULL, &err), SRRES_OK);
    assert_null(srres_model_metadata_key(m, -1));
    assert_null(srres_model_metadata_key(m, 1));
    assert_int_equal(srres_model_set_metadata(m, "scale", "4", &err), SRRES_ERR_INVALID);
    assert_int_equal(srres_model_set_metadata(m, "optimizer.step", "4", &err), SRRES_ERR_INVALID);
    assert_int_equal(srres_model_metadata_count(m), 1);
    srres_model_free(m);
}

/* A x4 model takes a x2 model's head, body, first upsampling stage and tail (each name and
 * shape in both); its second stage stays as it was. A model copied onto itself is unchanged. */
static void test_copy_matching_takes_tensors_of_the_same_name_and_shape(void **state)
{
    srres_model *x2 = made(2, 2, 4, 1), *x4 = made(4, 2, 4, 1);
    srres_model_init_random(x2, 3);
    int copied = srres_model_copy_matching(x4, x2);
    assert_int_equal(copied, x2->num_tensors);
    for (int i = 0; i < x2->num_tensors; i++) {
        const model_tensor *a = &x2->tensors[i], *b = model_find_tensor(x4, a->name);
        assert_non_null(b);
        assert_memory_equal(a->data, b->data, sizeof(float) * a->count);
    }
    const model_tensor *up1 = model_find_tensor(x4, "up.1.weight");
    for (size_t k = 0; k < up1->count; k++)
        assert_true(up1->data[k] == 0.0f);
    size_t n = srres_model_num_params(x2);
    float *before = malloc(sizeof(float) * n);
    assert_non_null(before);
    memcpy(before, srres_model_params(x2), sizeof(float) * n);
    assert_int_equal(srres_model_copy_matching(x2, x2), x2->num_tensors);
    assert_memory_equal(before, srres_model_params(x2), sizeof(float) * n);
    /* Other channels: only the one-slope PReLUs and the tail's bias (3) share a shape. */
    srres_model *wide = made(2, 2, 8, 0), *narrow = made(2, 2, 4, 0);
    assert_int_equal(srres_model_copy_matching(wide, narrow), 1 + 2 * 2 + 1 + 1);
    free(before);
    srres_model_free(wide);
    srres_model_free(narrow);
    srres_model_free(x2);
    srres_model_free(x4);
}

/* Counted by hand for the 16-block, 64-channel x4 network: the 9x9 head, 33 3x3 convs at
 * LR, the two upsampling convs at 1 and 4 LR pixels' worth of HR, the 9x9 tail at 16. */
static void test_macs_per_pixel_count_every_conv(void **state)
{
    srres_model *m = made(4, 16, 64, 0);
    double C = 64;
    double want = 81 * 3 * C + 33 * 9 * C * C + 9 * C * 4 * C * (1 + 4) + 81 * C * 3 * 16;
    assert_true(srres_model_macs_per_pixel(m) == want);
    srres_model_free(m);
    m = made(3, 0, 8, 0);
    C = 8;
    want = 81 * 3 * C + 9 * C * C + 9 * C * 9 * C + 81 * C * 3 * 9;
    assert_true(srres_model_macs_per_pixel(m) == want);
    srres_model_free(m);
}

static void test_random_start_is_as_documented(void **state)
{
    srres_model *m = made(4, 2, 5, 1);
    srres_model_init_random(m, 9);
    for (int i = 0; i < m->num_tensors; i++) {
        const model_tensor *t = &m->tensors[i];
        size_t len = strlen(t->name);
        for (size_t k = 0; k < t->count; k++) {
            if (len > 5 && !strcmp(t->name + len - 5, ".bias"))
                assert_true(t->data[k] == 0.0f);
            if (strstr(t->name, "prelu"))
                assert_true(t->data[k] == 0.25f);
        }
    }
    /* ICNR: the r*r sub-pixel filters of each output channel are equal. */
    for (int j = 0; j < m->up_stages; j++) {
        const conv_layer *L = &m->up[j];
        size_t per = (size_t)L->cin * 9;
        for (int c = 0; c < L->cout; c++)
            assert_memory_equal(L->weight + (size_t)c * per, L->weight + (size_t)(c / 4 * 4) * per,
                                sizeof(float) * per);
    }
    srres_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata_is_set_replaced_removed_and_listed),
        cmocka_unit_test(test_copy_matching_takes_tensors_of_the_same_name_and_shape),
        cmocka_unit_test(test_macs_per_pixel_count_every_conv),
        cmocka_unit_test(test_random_start_is_as_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
