/* frame_queue.c: a ring buffer under one mutex with two condition variables. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "frame_queue.h"

typedef struct slot {
    void *item;
    int kind;
    size_t bytes;
} slot;

struct frame_queue {
    pthread_mutex_t lock;
    pthread_cond_t not_full, not_empty;
    slot *ring;
    int depth, head, count, producers, aborted, high_water;
    size_t max_bytes, bytes, high_bytes;
};

frame_queue *frame_queue_create(int depth, size_t max_bytes, int producers)
{
    frame_queue *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->ring = calloc((size_t)(depth < 1 ? 1 : depth), sizeof(slot));
    if (!q->ring) {
        free(q);
        return NULL;
    }
    q->depth = depth < 1 ? 1 : depth;
    q->max_bytes = max_bytes;
    q->producers = producers;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->not_full, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    return q;
}

void frame_queue_free(frame_queue *q, void (*free_item)(void *item, int kind))
{
    if (!q)
        return;
    for (int i = 0; i < q->count; i++) {
        slot *s = &q->ring[(q->head + i) % q->depth];
        if (free_item)
            free_item(s->item, s->kind);
    }
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    free(q->ring);
    free(q);
}

static int full_for(const frame_queue *q, size_t bytes)
{
    return q->count == q->depth ||
           (q->max_bytes && q->count && (bytes > q->max_bytes || q->bytes > q->max_bytes - bytes));
}

int frame_queue_push(frame_queue *q, void *item, int kind, size_t bytes)
{
    pthread_mutex_lock(&q->lock);
    while (full_for(q, bytes) && !q->aborted)
        pthread_cond_wait(&q->not_full, &q->lock);
    if (q->aborted) {
        pthread_mutex_unlock(&q->lock);
        return -1;
    }
    q->ring[(q->head + q->count) % q->depth] = (slot){item, kind, bytes};
    if (++q->count > q->high_water)
        q->high_water = q->count;
    q->bytes += bytes;
    if (q->bytes > q->high_bytes)
        q->high_bytes = q->bytes;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int frame_queue_pop(frame_queue *q, void **item, int *kind, double *waited)
{
    double t0 = waited ? seconds() : 0;
    pthread_mutex_lock(&q->lock);
    while (!q->count && q->producers > 0 && !q->aborted)
        pthread_cond_wait(&q->not_empty, &q->lock);
    int ret;
    if (q->aborted) {
        ret = -1;
    } else if (!q->count) {
        ret = 0;
    } else {
        slot s = q->ring[q->head];
        q->head = (q->head + 1) % q->depth;
        q->count--;
        q->bytes -= s.bytes;
        *item = s.item;
        if (kind)
            *kind = s.kind;
        /* all: a producer waiting with a large item may still not fit, one with less may */
        pthread_cond_broadcast(&q->not_full);
        ret = 1;
    }
    pthread_mutex_unlock(&q->lock);
    if (waited)
        *waited = seconds() - t0;
    return ret;
}

void frame_queue_close(frame_queue *q)
{
    pthread_mutex_lock(&q->lock);
    if (q->producers > 0)
        q->producers--;
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

void frame_queue_abort(frame_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->aborted = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

int frame_queue_high_water(frame_queue *q)
{
    pthread_mutex_lock(&q->lock);
    int h = q->high_water;
    pthread_mutex_unlock(&q->lock);
    return h;
}

size_t frame_queue_high_bytes(frame_queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t h = q->high_bytes;
    pthread_mutex_unlock(&q->lock);
    return h;
}
