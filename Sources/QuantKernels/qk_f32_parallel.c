/* A minimal fork-join parallel-for over pthreads for the fp32 kernels. Threads are created per
 * call (tens of microseconds, negligible against the kernels it splits). With the kernel thread
 * count > 1, callers should keep OpenBLAS single-threaded so the two never oversubscribe. */
#include "qk_f32.h"
#include <pthread.h>

static int qk_threads = 1;

void qk_f32_set_threads(int n) { qk_threads = n < 1 ? 1 : (n > 16 ? 16 : n); }
int qk_f32_threads(void) { return qk_threads; }

typedef struct { qk_range_fn fn; void *ctx; int begin, end, tid; } qk_job;

static void *qk_run(void *arg) {
    qk_job *j = (qk_job *)arg;
    j->fn(j->ctx, j->begin, j->end, j->tid);
    return NULL;
}

/* Splits [0, n) into t contiguous ranges run on t threads (t clamped to 1...16). */
static void run_split(int n, int t, qk_range_fn fn, void *ctx) {
    if (t > 16) t = 16;
    if (t <= 1) { fn(ctx, 0, n, 0); return; }
    qk_job jobs[16];
    pthread_t th[16];
    for (int i = 0; i < t; i++) {
        jobs[i].fn = fn; jobs[i].ctx = ctx; jobs[i].tid = i;
        jobs[i].begin = (int)((long long)n * i / t);
        jobs[i].end = (int)((long long)n * (i + 1) / t);
    }
    int started[16] = {0};
    for (int i = 1; i < t; i++) started[i] = pthread_create(&th[i], NULL, qk_run, &jobs[i]) == 0;
    qk_run(&jobs[0]);
    for (int i = 1; i < t; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        else qk_run(&jobs[i]); /* could not start a thread: run inline */
    }
}

void qk_parallel_for(int n, int min_chunk, qk_range_fn fn, void *ctx) {
    int t = qk_f32_threads();
    if (min_chunk < 1) min_chunk = 1;
    if (t > n / min_chunk) t = n / min_chunk;
    run_split(n, t, fn, ctx);
}

void qk_parallel_run(int t, qk_range_fn fn, void *ctx) {
    if (t < 1) return;
    run_split(t, t, fn, ctx);
}
