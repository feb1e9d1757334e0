/* Persistent pthread pool: workers wait for a new generation number, run their share, and the
 * last one to finish wakes the caller. qk_pool_for adds a dynamic schedule on top (threads claim
 * chunks from a shared counter). */
#include "qk_threadpool.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define QK_POOL_MAX 64

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_done = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t g_call = PTHREAD_MUTEX_INITIALIZER; /* one run at a time */
static int g_size = 1;            /* pool size including the caller */
static int g_started = 0;         /* worker threads alive (tids 1..g_started) */
static unsigned long g_gen = 0;
static qk_pool_fn g_fn;
static void *g_ctx;
static int g_nth;                 /* threads taking part in the current generation */
static int g_pending;
static unsigned long g_start_gen[QK_POOL_MAX]; /* generation current when worker tid was created */

static void *qk_pool_worker(void *arg) {
    int tid = (int)(long)arg;
    unsigned long seen = 0;
    pthread_mutex_lock(&g_mu);
    seen = g_start_gen[tid]; /* a run posted before this thread got the lock is still seen */
    for (;;) {
        while (g_gen == seen) pthread_cond_wait(&g_work, &g_mu);
        seen = g_gen;
        if (tid >= g_nth) continue;
        qk_pool_fn fn = g_fn;
        void *ctx = g_ctx;
        int nth = g_nth;
        pthread_mutex_unlock(&g_mu);
        fn(ctx, tid, nth);
        pthread_mutex_lock(&g_mu);
        if (--g_pending == 0) pthread_cond_signal(&g_done);
    }
    return NULL;
}

void qk_pool_set_threads(int n) {
    if (n < 1) n = 1;
    if (n > QK_POOL_MAX) n = QK_POOL_MAX;
    pthread_mutex_lock(&g_call);
    pthread_mutex_lock(&g_mu);
    while (g_started < n - 1) {
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        g_start_gen[g_started + 1] = g_gen;
        int rc = pthread_create(&t, &a, qk_pool_worker, (void *)(long)(g_started + 1));
        pthread_attr_destroy(&a);
        if (rc != 0) break;
        g_started++;
    }
    g_size = g_started + 1 < n ? g_started + 1 : n; /* surplus workers just stay idle */
    pthread_mutex_unlock(&g_mu);
    pthread_mutex_unlock(&g_call);
}

int qk_pool_threads(void) {
    pthread_mutex_lock(&g_mu);
    int n = g_size;
    pthread_mutex_unlock(&g_mu);
    return n;
}

void qk_pool_run(qk_pool_fn fn, void *ctx, int max_threads) {
    if (pthread_mutex_trylock(&g_call) != 0) { fn(ctx, 0, 1); return; }
    pthread_mutex_lock(&g_mu);
    int nth = g_size;
    if (max_threads < nth) nth = max_threads;
    if (nth < 1) nth = 1;
    if (nth == 1) {
        pthread_mutex_unlock(&g_mu);
        fn(ctx, 0, 1);
        pthread_mutex_unlock(&g_call);
        return;
    }
    g_fn = fn;
    g_ctx = ctx;
    g_nth = nth;
    g_pending = nth - 1;
    g_gen++;
    pthread_cond_broadcast(&g_work);
    pthread_mutex_unlock(&g_mu);
    fn(ctx, 0, nth);
    pthread_mutex_lock(&g_mu);
    while (g_pending > 0) pthread_cond_wait(&g_done, &g_mu);
    pthread_mutex_unlock(&g_mu);
    pthread_mutex_unlock(&g_call);
}

/* Chunks per thread when qk_pool_for picks the chunk size: enough that a thread running at half
 * speed costs little, few enough that per-chunk setup (row caches, tile configuration) stays small. */
#define QK_POOL_CHUNKS_PER_THREAD 4

typedef struct {
    qk_pool_range_fn body;
    void *ctx;
    long n, chunk;
    atomic_long next; /* first item not yet claimed */
} qk_for_job;

static void qk_for_run(void *c, int tid, int nth) {
    (void)tid; (void)nth;
    qk_for_job *j = c;
    for (;;) {
        long a = atomic_fetch_add_explicit(&j->next, j->chunk, memory_order_relaxed);
        if (a >= j->n) return;
        long b = a + j->chunk < j->n ? a + j->chunk : j->n;
        j->body(j->ctx, a, b);
    }
}

void qk_pool_for(long n, long chunk, qk_pool_range_fn body, void *ctx, int max_threads) {
    if (n <= 0) return;
    int nth = qk_pool_threads();
    if (max_threads < nth) nth = max_threads;
    if (nth <= 1 || n == 1) { body(ctx, 0, n); return; }
    if (chunk <= 0) {
        long parts = (long)nth * QK_POOL_CHUNKS_PER_THREAD;
        chunk = (n + parts - 1) / parts;
    }
    qk_for_job j = { body, ctx, n, chunk, 0 };
    qk_pool_run(qk_for_run, &j, nth);
}
