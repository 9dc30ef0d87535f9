/* test_key_set.c: the trainer's sorted sets of damaged frames (tools/key_set.c): keys held
 * once and in order whatever order they come in, found by their lower bound, and grown past
 * the first allocation. */
#include "key_set.h"
#include "test_util.h"

static void test_keys_held_once_in_order(void **state)
{
    key_set s = {0};
    /* 0..199 in a scrambled order (7 is coprime with 200), each twice */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 200; i++)
            assert_int_equal(key_set_add(&s, (int64_t)((i * 7) % 200) * 3), 0);
    assert_int_equal(s.n, 200);
    for (int i = 0; i < s.n; i++)
        assert_true(s.keys[i] == (int64_t)i * 3);
    key_set_free(&s);
    assert_null(s.keys);
    assert_int_equal(s.n, 0);
}

static void test_find_gives_the_first_key_not_below(void **state)
{
    key_set s = {0};
    assert_int_equal(key_set_find(&s, 5), 0);
    const int64_t keys[] = {40, 10, INT64_MAX, -3, 20};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_int_equal(key_set_add(&s, keys[i]), 0);
    /* held: -3 10 20 40 INT64_MAX */
    assert_int_equal(key_set_find(&s, INT64_MIN), 0);
    assert_int_equal(key_set_find(&s, -3), 0);
    assert_int_equal(key_set_find(&s, 10), 1);
    assert_int_equal(key_set_find(&s, 11), 2);
    assert_int_equal(key_set_find(&s, 41), 4);
    assert_int_equal(key_set_find(&s, INT64_MAX), 4);
    key_set_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_held_once_in_order),
        cmocka_unit_test(test_find_gives_the_first_key_not_below),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
