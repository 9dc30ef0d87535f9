/* test_thread_pool.c: thread_pool_for visits every index exactly once, in equal contiguous
 * parts, one per thread, for many totals and pool sizes (fewer items than threads too), and
 * keeps doing so over many back-to-back loops; thread_pool_for_dynamic visits every index
 * exactly once too; the CPU count is the process's affinity. */
#include <sched.h>

#include "test_util.h"
#include "thread_pool.h"

#define MAX_TOTAL 1000
#define MAX_THREADS 8

typedef struct visit_log {
    int count[MAX_TOTAL];   /* visits of each index */
    int calls[MAX_THREADS]; /* calls made on each thread index */
    int begin[MAX_THREADS], end[MAX_THREADS];
    int bad_thread; /* a thread index outside [0, size) */
    int size;
} visit_log;

static void visit(void *arg, int begin, int end, int thread)
{
    visit_log *log = arg;
    if (thread < 0 || thread >= log->size) {
        __atomic_fetch_add(&log->bad_thread, 1, __ATOMIC_RELAXED);
        return;
    }
    /* Each thread index is used by one thread at a time, so its slots are its own. */
    log->calls[thread]++;
    log->begin[thread] = begin;
    log->end[thread] = end;
    for (int i = begin; i < end; i++)
        __atomic_fetch_add(&log->count[i], 1, __ATOMIC_RELAXED);
}

/* Runs one loop and checks it; returns the parts' [begin, end) per thread in `log`. */
static void check_loop(thread_pool *pool, int total, visit_log *log)
{
    memset(log, 0, sizeof(*log));
    log->size = thread_pool_size(pool);
    thread_pool_for(pool, total, visit, log);
    assert_int_equal(log->bad_thread, 0);
    for (int i = 0; i < total; i++)
        if (log->count[i] != 1)
            fail_msg("total %d, %d threads: index %d visited %d times", total, log->size, i,
                     log->count[i]);
    int min_part = total, max_part = 0, covered = 0;
    for (int t = 0; t < log->size; t++) {
        assert_true(log->calls[t] <= 1);
        int part = log->calls[t] ? log->end[t] - log->begin[t] : 0;
        assert_true(part >= 0);
        if (log->calls[t])
            assert_true(part > 0); /* no empty calls */
        min_part = part < min_part ? part : min_part;
        max_part = part > max_part ? part : max_part;
        covered += part;
    }
    assert_int_equal(covered, total);
    assert_true(max_part - min_part <= 1); /* equal parts */
}

static void test_every_index_visited_exactly_once(void **state)
{
    for (int threads = 1; threads <= MAX_THREADS; threads++) {
        thread_pool *pool = thread_pool_create(threads);
        assert_non_null(pool);
        assert_int_equal(thread_pool_size(pool), threads);
        visit_log log;
        for (int total = 1; total <= 70; total++)
            check_loop(pool, total, &log);
        check_loop(pool, 997, &log);
        check_loop(pool, MAX_TOTAL, &log);
        thread_pool_free(pool);
    }
}

static void test_fewer_items_than_threads(void **state)
{
    thread_pool *pool = thread_pool_create(MAX_THREADS);
    assert_non_null(pool);
    visit_log log;
    for (int total = 1; total < MAX_THREADS; total++) {
        check_loop(pool, total, &log);
        int used = 0;
        for (int t = 0; t < MAX_THREADS; t++)
            used += log.calls[t];
        assert_int_equal(used, total); /* one item per call, no empty calls */
    }
    thread_pool_free(pool);
}

static void test_parts_are_contiguous_and_in_thread_order(void **state)
{
    thread_pool *pool = thread_pool_create(3);
    assert_non_null(pool);
    visit_log log;
    check_loop(pool, 10, &log);
    int next = 0;
    for (int t = 0; t < 3; t++) {
        assert_int_equal(log.calls[t], 1);
        assert_int_equal(log.begin[t], next);
        next = log.end[t];
    }
    assert_int_equal(next, 10);
    thread_pool_free(pool);
}

static void test_split_is_reproducible(void **state)
{
    thread_pool *pool = thread_pool_create(4);
    assert_non_null(pool);
    visit_log a, b;
    check_loop(pool, 37, &a);
    check_loop(pool, 5, &b);
    check_loop(pool, 37, &b);
    assert_memory_equal(a.begin, b.begin, sizeof(a.begin));
    assert_memory_equal(a.end, b.end, sizeof(a.end));
    thread_pool_free(pool);
}

/* Back-to-back loops: a lost wake-up or a worker running a loop twice shows up here. */
static void test_repeated_loops(void **state)
{
    for (int threads = 2; threads <= 4; threads++) {
        thread_pool *pool = thread_pool_create(threads);
        assert_non_null(pool);
        visit_log log;
        for (int round = 0; round < 3000; round++)
            check_loop(pool, 1 + round % 13, &log);
        thread_pool_free(pool);
    }
}

static void test_empty_and_negative_totals_do_nothing(void **state)
{
    thread_pool *pool = thread_pool_create(3);
    assert_non_null(pool);
    visit_log log = {.size = 3};
    thread_pool_for(pool, 0, visit, &log);
    thread_pool_for(pool, -5, visit, &log);
    for (int t = 0; t < 3; t++)
        assert_int_equal(log.calls[t], 0);
    thread_pool_free(pool);
}

static void test_size_below_one_means_one(void **state)
{
    thread_pool *pool = thread_pool_create(0);
    assert_non_null(pool);
    assert_int_equal(thread_pool_size(pool), 1);
    visit_log log;
    check_loop(pool, 9, &log);
    assert_int_equal(log.calls[0], 1);
    thread_pool_free(pool);
    thread_pool_free(NULL);
}

static void test_free_without_loops(void **state)
{
    for (int i = 0; i < 50; i++)
        thread_pool_free(thread_pool_create(1 + i % MAX_THREADS));
}

/* The dynamic loop: every index exactly once, whatever thread takes which chunk. */
static void test_dynamic_visits_every_index_exactly_once(void **state)
{
    static visit_log log;
    for (int threads = 1; threads <= 4; threads++) {
        thread_pool *pool = thread_pool_create(threads);
        assert_non_null(pool);
        for (int total = 0; total <= 300; total += 1 + total / 7) {
            memset(&log, 0, sizeof(log));
            log.size = threads;
            thread_pool_for_dynamic(pool, total, visit, &log);
            assert_int_equal(log.bad_thread, 0);
            for (int i = 0; i < total; i++)
                if (log.count[i] != 1)
                    fail_msg("dynamic, total %d, %d threads: index %d visited %d times", total,
                             threads, i, log.count[i]);
        }
        thread_pool_free(pool);
    }
}

static void test_cpu_count_is_positive(void **state)
{
    assert_true(thread_pool_cpu_count() >= 1);
}

/* Pinned to one CPU (as by taskset -c 0), the process has one CPU, however many are online. */
static void test_cpu_count_follows_affinity(void **state)
{
    cpu_set_t was, one;
    assert_int_equal(sched_getaffinity(0, sizeof(was), &was), 0);
    int cpu = 0;
    while (!CPU_ISSET(cpu, &was))
        cpu++;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
    int n = thread_pool_cpu_count();
    assert_int_equal(sched_setaffinity(0, sizeof(was), &was), 0);
    assert_int_equal(n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_index_visited_exactly_once),
        cmocka_unit_test(test_fewer_items_than_threads),
        cmocka_unit_test(test_parts_are_contiguous_and_in_thread_order),
        cmocka_unit_test(test_split_is_reproducible),
        cmocka_unit_test(test_repeated_loops),
        cmocka_unit_test(test_empty_and_negative_totals_do_nothing),
        cmocka_unit_test(test_size_below_one_means_one),
        cmocka_unit_test(test_free_without_loops),
        cmocka_unit_test(test_dynamic_visits_every_index_exactly_once),
        cmocka_unit_test(test_cpu_count_is_positive),
        cmocka_unit_test(test_cpu_count_follows_affinity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
