/* A small persistent pthread pool for the int8 kernels (threads 1..64, workers sleep on a
 * condition variable between calls). One call runs at a time; a call made while the pool is
 * busy (e.g. from a second Swift thread) runs serially on the calling thread instead of waiting. */
#ifndef QK_THREADPOOL_H
#define QK_THREADPOOL_H
#ifdef __cplusplus
extern "C" {
#endif

/** A job body: thread `tid` of `nth` does its share of the work described by ctx. */
typedef void (*qk_pool_fn)(void *ctx, int tid, int nth);

/** Sets the pool size (1 = no worker threads; the caller is always thread 0). */
void qk_pool_set_threads(int n);
/** The pool size. */
int qk_pool_threads(void);
/** Runs fn(ctx, tid, nth) for tid in 0..<nth, nth = min(max_threads, pool size) (>= 1), and
 *  returns when all are done. The calling thread runs tid 0. */
void qk_pool_run(qk_pool_fn fn, void *ctx, int max_threads);

/** A range body: does items [begin, end) of the work described by ctx. */
typedef void (*qk_pool_range_fn)(void *ctx, long begin, long end);
/** Parallel for over items [0, n) with a dynamic schedule: the pool's threads (at most
 *  max_threads) claim chunks of `chunk` items in order until none is left, so a thread slowed by
 *  other load on its core takes fewer chunks instead of holding up the rest. chunk <= 0: about
 *  four chunks per thread. With one thread (or a busy pool) body(ctx, 0, n) runs on the caller.
 *  Bodies must not depend on how the range is split. */
void qk_pool_for(long n, long chunk, qk_pool_range_fn body, void *ctx, int max_threads);

#ifdef __cplusplus
}
#endif
#endif
