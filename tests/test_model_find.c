/* test_model_find.c: srres_model_find, the model option's rules the tools and the filter
 * share: a file of that name first (a folder is none), a '/' or '.' makes a path, else the
 * first folder's NAME.safetensors, and an unknown name lists the first folder's models. */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_util.h"

static char first[128], second[128], empty[128];

/* Two folders of models and an empty one, and the test's working folder inside the first
 * temporary folder, where files and folders named like models are made. */
static int setup(void **state)
{
    if (make_test_tmpdir(state))
        return -1;
    snprintf(first, sizeof(first), "%s/first", test_tmpdir());
    snprintf(second, sizeof(second), "%s/second", test_tmpdir());
    snprintf(empty, sizeof(empty), "%s/empty", test_tmpdir());
    if (mkdir(first, 0755) || mkdir(second, 0755) || mkdir(empty, 0755))
        return -1;
    test_touch(first, "x4.safetensors");
    test_touch(first, "x2-fast.safetensors");
    test_touch(first, "x2.safetensors");
    test_touch(first, "notes.txt");
    test_touch(second, "x3.safetensors");
    test_touch(second, "x4.safetensors");
    return chdir(test_tmpdir());
}

static srres_status find(const char *value, const char *const *dirs, int ndirs, char *path,
                         srres_error *err)
{
    return srres_model_find(value, dirs, ndirs, path, 256, err);
}

static void test_a_name_is_the_first_folders_model(void **state)
{
    const char *dirs[] = {first, second};
    char path[256], want[256];
    srres_error err;
    assert_int_equal(find("x4", dirs, 2, path, &err), SRRES_OK);
    snprintf(want, sizeof(want), "%s/x4.safetensors", first);
    assert_string_equal(path, want);
    assert_int_equal(find("x3", dirs, 2, path, &err), SRRES_OK);
    snprintf(want, sizeof(want), "%s/x3.safetensors", second);
    assert_string_equal(path, want);
}

static void test_a_file_comes_first_but_not_a_folder(void **state)
{
    const char *dirs[] = {first};
    char path[256], want[256];
    srres_error err;
    test_touch(".", "x2");
    assert_int_equal(find("x2", dirs, 1, path, &err), SRRES_OK);
    assert_string_equal(path, "x2");
    assert_int_equal(mkdir("x4", 0755), 0);
    assert_int_equal(find("x4", dirs, 1, path, &err), SRRES_OK);
    snprintf(want, sizeof(want), "%s/x4.safetensors", first);
    assert_string_equal(path, want);
}

static void test_a_slash_or_dot_makes_a_path(void **state)
{
    const char *dirs[] = {first};
    char path[256];
    srres_error err;
    assert_int_equal(find("x4.safetensors", dirs, 1, path, &err), SRRES_OK);
    assert_string_equal(path, "x4.safetensors"); /* missing here: loading will say so */
    assert_int_equal(find("models/x9", dirs, 1, path, &err), SRRES_OK);
    assert_string_equal(path, "models/x9");
}

static void test_an_unknown_name_lists_the_first_folders_models(void **state)
{
    const char *dirs[] = {first, second};
    char path[256], want[512];
    srres_error err;
    assert_int_equal(find("x9", dirs, 2, path, &err), SRRES_ERR_IO);
    assert_int_equal(err.sys_errno, ENOENT);
    /* x2 before x2-fast, as '.' sorts after '-'; notes.txt is no model */
    snprintf(want, sizeof(want), "x9: no such file, nor a model of that name (x2, x2-fast, x4 in %s)",
             first);
    assert_string_equal(err.message, want);
    const char *none[] = {empty};
    assert_int_equal(find("x9", none, 1, path, &err), SRRES_ERR_IO);
    snprintf(want, sizeof(want), "x9: no such file, nor a model of that name (none in %s)", empty);
    assert_string_equal(err.message, want);
    assert_int_equal(find("x9", NULL, 0, path, &err), SRRES_ERR_IO);
    assert_string_equal(err.message, "x9: no such file, and no folder of models to look in");
}

/* A list too long for the message ends with the names that fit and ", ...", the folder still
 * said (it was cut mid-name, and "in DIR)" lost). */
static void test_a_long_list_is_cut_at_a_name(void **state)
{
    char many[160], name[64], path[256], tail[200];
    snprintf(many, sizeof(many), "%s/many", test_tmpdir());
    assert_int_equal(mkdir(many, 0755), 0);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "model-number-%02d.safetensors", i);
        test_touch(many, name);
    }
    const char *dirs[] = {many};
    srres_error err;
    assert_int_equal(find("x9", dirs, 1, path, &err), SRRES_ERR_IO);
    assert_true(strncmp(err.message, "x9: no such file, nor a model of that name "
                                     "(model-number-00, model-number-01, ",
                        strlen("x9: no such file, nor a model of that name "
                               "(model-number-00, model-number-01, ")) == 0);
    snprintf(tail, sizeof(tail), ", ... in %s)", many);
    size_t len = strlen(err.message);
    assert_true(len > strlen(tail));
    assert_string_equal(err.message + len - strlen(tail), tail);
    /* the name before ", ..." is whole */
    assert_true(strncmp(err.message + len - strlen(tail) - 15, "model-number-", 13) == 0);
    assert_true(strlen(err.message) < sizeof(err.message) - 1);
    assert_non_null(strstr(err.message, "model-number-10, "));
}

static void test_bad_arguments(void **state)
{
    char path[8];
    srres_error err;
    assert_int_equal(srres_model_find("", NULL, 0, path, sizeof(path), &err), SRRES_ERR_INVALID);
    assert_int_equal(srres_model_find(NULL, NULL, 0, path, sizeof(path), &err),
                     SRRES_ERR_INVALID);
    assert_int_equal(srres_model_find("x4", NULL, 1, path, sizeof(path), &err),
                     SRRES_ERR_INVALID);
    assert_int_equal(srres_model_find("dir/longer.safetensors", NULL, 0, path, sizeof(path),
                                      &err),
                     SRRES_ERR_INVALID);
    assert_string_equal(err.message, "dir/longer.safetensors: path too long");
}

/* A model's name that does not fit the caller's buffer is said so, not said missing in a
 * message that lists it. */
static void test_a_path_too_long_for_the_buffer(void **state)
{
    const char *dirs[] = {first};
    char path[16], want[256];
    srres_error err;
    assert_int_equal(srres_model_find("x2-fast", dirs, 1, path, sizeof(path), &err),
                     SRRES_ERR_INVALID);
    snprintf(want, sizeof(want), "%s/x2-fast.safetensors: path too long", first);
    assert_string_equal(err.message, want);
    assert_string_equal(path, "");
    /* A folder whose path does not fit is passed over for one whose path does. */
    char longer[256], want_fit[256], fits[256];
    snprintf(longer, sizeof(longer), "%s/%040d", first, 0);
    snprintf(want_fit, sizeof(want_fit), "%s/x2-fast.safetensors", first);
    const char *two[] = {longer, first};
    assert_int_equal(srres_model_find("x2-fast", two, 2, fits, strlen(want_fit) + 1, &err),
                     SRRES_OK);
    assert_string_equal(fits, want_fit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_name_is_the_first_folders_model),
        cmocka_unit_test(test_a_file_comes_first_but_not_a_folder),
        cmocka_unit_test(test_a_slash_or_dot_makes_a_path),
        cmocka_unit_test(test_an_unknown_name_lists_the_first_folders_models),
        cmocka_unit_test(test_a_long_list_is_cut_at_a_name),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_a_path_too_long_for_the_buffer),
    };
    return cmocka_run_group_tests(tests, setup, remove_test_tmpdir);
}
