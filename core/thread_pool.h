/* thread_pool.h: a fixed set of worker threads that split loops with the caller. */
#ifndef SRRES_THREAD_POOL_H
#define SRRES_THREAD_POOL_H

typedef struct thread_pool thread_pool;

/* Runs items [begin, end) on worker `thread` (0 = the caller). */
typedef void (*pool_fn)(void *arg, int begin, int end, int thread);

/* `threads` >= 1 in total, the caller included; NULL if threads cannot be started. */
thread_pool *thread_pool_create(int threads);
void thread_pool_free(thread_pool *pool);
int thread_pool_size(const thread_pool *pool);

/* Splits [0, total) into equal contiguous parts, one per thread, and returns when all are
 * done. The split depends only on total and the pool size, so per-thread partial results
 * (reductions) are reproducible. */
void thread_pool_for(thread_pool *pool, int total, pool_fn fn, void *arg);

/* The same in smaller chunks that threads take as they come free: balanced when the OS
 * lends a core to other work. For loops whose results do not depend on which thread runs
 * which part (`thread` still indexes per-thread scratch). */
void thread_pool_for_dynamic(thread_pool *pool, int total, pool_fn fn, void *arg);

/* The CPUs this process may run on (its affinity), at least 1. */
int thread_pool_cpu_count(void);

#endif
