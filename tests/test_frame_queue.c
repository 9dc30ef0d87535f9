/* test_frame_queue.c: the pipeline queue keeps order under random delays, never holds more
 * than its depth nor, item by item, its bytes, ends when every producer closed, and an abort
 * wakes everyone. */
#include <pthread.h>
#include <time.h>

#include "frame_queue.h"
#include "test_util.h"

enum { ITEMS = 2000, DEPTH = 3 };

typedef struct producer_arg {
    frame_queue *q;
    int first, count, seed;
} producer_arg;

static void jitter(srres_rng *rng)
{
    struct timespec ts = {0, (long)srres_rng_below(rng, 50) * 1000};
    nanosleep(&ts, NULL);
}

static void *produce(void *opaque)
{
    producer_arg *p = opaque;
    srres_rng rng;
    srres_rng_seed(&rng, (uint64_t)p->seed);
    for (int i = 0; i < p->count; i++) {
        if (srres_rng_below(&rng, 4) == 0)
            jitter(&rng);
        if (frame_queue_push(p->q, (void *)(intptr_t)(p->first + i + 1), p->first, 0) < 0)
            break;
    }
    frame_queue_close(p->q);
    return NULL;
}

static void test_items_leave_in_order(void **state)
{
    frame_queue *q = frame_queue_create(DEPTH, 0, 1);
    producer_arg p = {q, 0, ITEMS, 1};
    pthread_t t;
    pthread_create(&t, NULL, produce, &p);
    srres_rng rng;
    srres_rng_seed(&rng, 2);
    void *item;
    int next = 1;
    while (frame_queue_pop(q, &item, NULL, NULL) == 1) {
        assert_int_equal((intptr_t)item, next++);
        if (srres_rng_below(&rng, 4) == 0)
            jitter(&rng);
    }
    assert_int_equal(next, ITEMS + 1);
    pthread_join(t, NULL);
    assert_true(frame_queue_high_water(q) <= DEPTH);
    frame_queue_free(q, NULL);
}

static void test_two_producers_each_in_order_then_end(void **state)
{
    frame_queue *q = frame_queue_create(DEPTH, 0, 2);
    producer_arg a = {q, 0, ITEMS, 3}, b = {q, 100000, ITEMS, 4};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, produce, &a);
    pthread_create(&tb, NULL, produce, &b);
    void *item;
    int kind, next[2] = {1, 100001}, total = 0;
    while (frame_queue_pop(q, &item, &kind, NULL) == 1) {
        int k = kind ? 1 : 0;
        assert_int_equal((intptr_t)item, next[k]++);
        total++;
    }
    assert_int_equal(total, 2 * ITEMS);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    frame_queue_free(q, NULL);
}

static void *pop_one(void *opaque)
{
    void *item;
    return (void *)(intptr_t)frame_queue_pop(opaque, &item, NULL, NULL);
}

static void test_abort_wakes_a_blocked_consumer_and_producer(void **state)
{
    frame_queue *q = frame_queue_create(1, 0, 1);
    pthread_t t;
    pthread_create(&t, NULL, pop_one, q);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    frame_queue_abort(q);
    void *ret;
    pthread_join(t, &ret);
    assert_int_equal((intptr_t)ret, -1);
    assert_int_equal(frame_queue_push(q, (void *)1, 0, 0), -1);
    frame_queue_free(q, NULL);
}

typedef struct sized_arg {
    frame_queue *q;
    const size_t *bytes;
    int count;
} sized_arg;

static void *produce_sized(void *opaque)
{
    sized_arg *p = opaque;
    for (int i = 0; i < p->count; i++)
        if (frame_queue_push(p->q, (void *)(intptr_t)(i + 1), 0, p->bytes[i]) < 0)
            break;
    frame_queue_close(p->q);
    return NULL;
}

/* Items of different sizes (numbered images: 8-bit RGB, then 16-bit RGBA at 8/3 the bytes)
 * never hold more than the byte bound together, one larger than it passes alone, and all
 * leave in order. A depth set by the first item's size (10 / 3: 3 items) let 3 x 8 = 24
 * bytes in. */
static void test_bytes_bounded_item_by_item(void **state)
{
    static const size_t bytes[] = {3, 3, 3, 8, 8, 8, 8, 3, 12, 3, 3, 3};
    enum { N = sizeof(bytes) / sizeof(bytes[0]) };
    frame_queue *q = frame_queue_create(4, 10, 1);
    sized_arg p = {q, bytes, N};
    pthread_t t;
    pthread_create(&t, NULL, produce_sized, &p);
    srres_rng rng;
    srres_rng_seed(&rng, 5);
    void *item;
    int next = 1;
    while (frame_queue_pop(q, &item, NULL, NULL) == 1) {
        assert_int_equal((intptr_t)item, next++);
        jitter(&rng);
    }
    assert_int_equal(next, N + 1);
    pthread_join(t, NULL);
    assert_true(frame_queue_high_bytes(q) == 12); /* the large one, alone */
    frame_queue_free(q, NULL);
    /* Without a large item the bound holds exactly: 3 + 3 + 3 fills, 8 + 8 would not fit. */
    static const size_t small[] = {3, 3, 3, 8, 8, 8, 8, 3, 3};
    q = frame_queue_create(4, 10, 1);
    p = (sized_arg){q, small, sizeof(small) / sizeof(small[0])};
    pthread_create(&t, NULL, produce_sized, &p);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL); /* the producer fills the queue as far as the bound lets it */
    while (frame_queue_pop(q, &item, NULL, NULL) == 1)
        jitter(&rng);
    pthread_join(t, NULL);
    assert_true(frame_queue_high_bytes(q) <= 10);
    assert_true(frame_queue_high_water(q) <= 4);
    frame_queue_free(q, NULL);
}

static int freed;

static void count_free(void *item, int kind)
{
    freed += (int)(intptr_t)item;
}

static void test_free_releases_items_left_inside(void **state)
{
    frame_queue *q = frame_queue_create(4, 0, 1);
    frame_queue_push(q, (void *)2, 0, 0);
    frame_queue_push(q, (void *)3, 0, 0);
    freed = 0;
    frame_queue_free(q, count_free);
    assert_int_equal(freed, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_items_leave_in_order),
        cmocka_unit_test(test_two_producers_each_in_order_then_end),
        cmocka_unit_test(test_abort_wakes_a_blocked_consumer_and_producer),
        cmocka_unit_test(test_free_releases_items_left_inside),
        cmocka_unit_test(test_bytes_bounded_item_by_item),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
