/* thread_pool.c: workers sleep on a condition variable between loops; the caller takes the
 * first share of every loop itself, so a pool of one thread starts no thread at all. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

#include "thread_pool.h"

struct thread_pool {
    int size;
    pthread_t *threads;
    pthread_mutex_t lock;
    pthread_cond_t start, finished;
    unsigned long generation; /* bumped for every loop */
    int pending;              /* workers still running the current loop */
    int stop;
    pool_fn fn;
    void *arg;
    int total;
    int chunks;      /* > 0: dynamic, chunks handed out in order through `next` */
    int next;        /* the next chunk to take (under lock-free fetch-and-add) */
};

/* Loops run with denormals flushed to zero (FTZ and DAZ): values below 1e-38 cannot change
 * an 8- or 16-bit pixel, and on x86 each one costs a hundred-cycle microcode assist. The
 * caller's own setting is put back after its share. */
static unsigned flush_denormals(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned old = _mm_getcsr();
    _mm_setcsr(old | 0x8040); /* FTZ (bit 15) | DAZ (bit 6) */
    return old;
#else
    return 0;
#endif
}

static void restore_denormals(unsigned old)
{
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(old);
#else
    (void)old;
#endif
}

typedef struct worker_arg {
    thread_pool *pool;
    int index;
} worker_arg;

static void run_share(thread_pool *p, int index)
{
    if (!p->chunks) {
        long begin = (long)p->total * index / p->size;
        long end = (long)p->total * (index + 1) / p->size;
        if (begin < end)
            p->fn(p->arg, (int)begin, (int)end, index);
        return;
    }
    for (;;) {
        int c = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
        if (c >= p->chunks)
            break;
        long begin = (long)p->total * c / p->chunks, end = (long)p->total * (c + 1) / p->chunks;
        if (begin < end)
            p->fn(p->arg, (int)begin, (int)end, index);
    }
}

static void *worker_main(void *opaque)
{
    worker_arg *wa = opaque;
    thread_pool *p = wa->pool;
    int index = wa->index;
    free(wa);
    flush_denormals();
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->generation == seen && !p->stop)
            pthread_cond_wait(&p->start, &p->lock);
        if (p->stop)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        run_share(p, index);
        pthread_mutex_lock(&p->lock);
        if (--p->pending == 0)
            pthread_cond_signal(&p->finished);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

thread_pool *thread_pool_create(int threads)
{
    thread_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->size = threads < 1 ? 1 : threads;
    p->threads = calloc((size_t)p->size, sizeof(pthread_t));
    if (!p->threads) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->finished, NULL);
    for (int i = 1; i < p->size; i++) {
        worker_arg *wa = malloc(sizeof(*wa));
        if (wa)
            *wa = (worker_arg){p, i};
        if (!wa || pthread_create(&p->threads[i], NULL, worker_main, wa)) {
            free(wa);
            p->size = i; /* join only the threads that started */
            thread_pool_free(p);
            return NULL;
        }
    }
    return p;
}

void thread_pool_free(thread_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);
    for (int i = 1; i < p->size; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->finished);
    free(p->threads);
    free(p);
}

int thread_pool_size(const thread_pool *p)
{
    return p->size;
}

static void run_loop(thread_pool *p, int total, int chunks, pool_fn fn, void *arg)
{
    if (total <= 0)
        return;
    unsigned mxcsr = flush_denormals();
    if (p->size == 1 || total == 1) {
        fn(arg, 0, total, 0);
        restore_denormals(mxcsr);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->arg = arg;
    p->total = total;
    p->chunks = chunks;
    p->next = 0;
    p->pending = p->size - 1;
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->lock);
    run_share(p, 0);
    restore_denormals(mxcsr);
    pthread_mutex_lock(&p->lock);
    while (p->pending)
        pthread_cond_wait(&p->finished, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

void thread_pool_for(thread_pool *p, int total, pool_fn fn, void *arg)
{
    run_loop(p, total, 0, fn, arg);
}

void thread_pool_for_dynamic(thread_pool *p, int total, pool_fn fn, void *arg)
{
    /* Several chunks per thread: a thread the OS takes away for a while leaves its work
     * to the others instead of holding up the whole loop. */
    int chunks = p->size * 8 < total ? p->size * 8 : total;
    run_loop(p, total, chunks, fn, arg);
}

int thread_pool_cpu_count(void)
{
    /* The CPUs this process may run on (taskset, a container's cpuset, a job scheduler's
     * pinning), not every one online: more threads than those only take turns. */
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && CPU_COUNT(&allowed) > 0)
        return CPU_COUNT(&allowed);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
