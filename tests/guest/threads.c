/* POSIX threads under real concurrency: every total must be exact.
 *
 * - a mutex-protected counter, C11 atomics (fetch_add, a CAS loop), and a
 *   hand-written load-exclusive/store-exclusive counter (LDAXR/STLXR on
 *   AArch64, the equivalent builtin elsewhere) hammered by many threads;
 * - a bounded queue with condition variables (producers and consumers);
 * - a barrier, pthread_once, thread-local storage, join values;
 * - thread churn: many short-lived threads created and joined (exercises
 *   CLONE_CHILD_CLEARTID wake-ups), and a detached thread.
 * The output holds only totals and facts, never timings or ids. */
// guest-cflags: -pthread
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 8
#define ITERS 4000

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static long mutex_counter;
static atomic_long atomic_counter;
static atomic_long cas_counter;
static long llsc_counter;

static void llsc_add(long *p, long v)
{
#if defined(__aarch64__)
    long tmp;
    unsigned fail;
    __asm__ volatile("1: ldaxr %0, [%2]\n"
                     "   add %0, %0, %3\n"
                     "   stlxr %w1, %0, [%2]\n"
                     "   cbnz %w1, 1b\n"
                     : "=&r"(tmp), "=&r"(fail)
                     : "r"(p), "r"(v)
                     : "memory");
#else
    __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
#endif
}

static void *hammer(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&mtx);
        mutex_counter += 1;
        pthread_mutex_unlock(&mtx);
        atomic_fetch_add(&atomic_counter, 2);
        long old = atomic_load_explicit(&cas_counter, memory_order_relaxed);
        while (!atomic_compare_exchange_weak(&cas_counter, &old, old + 3))
            ;
        llsc_add(&llsc_counter, 5);
    }
    return (void *)(id * 10);
}

/* Bounded queue. */
#define QCAP 16
static int queue[QCAP];
static int qhead, qlen, producers_left;
static pthread_mutex_t qm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
#define NPROD 4
#define NCONS 3
#define ITEMS 3000

static void *producer(void *arg)
{
    long base = (long)arg * ITEMS;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&qm);
        while (qlen == QCAP)
            pthread_cond_wait(&not_full, &qm);
        queue[(qhead + qlen) % QCAP] = (int)(base + i);
        qlen++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&qm);
    }
    pthread_mutex_lock(&qm);
    producers_left--;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&qm);
    return NULL;
}

static void *consumer(void *arg)
{
    long long *sum = arg;
    long long count = 0;
    for (;;) {
        pthread_mutex_lock(&qm);
        while (qlen == 0 && producers_left > 0)
            pthread_cond_wait(&not_empty, &qm);
        if (qlen == 0) {
            pthread_mutex_unlock(&qm);
            break;
        }
        int v = queue[qhead];
        qhead = (qhead + 1) % QCAP;
        qlen--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&qm);
        *sum += v;
        count++;
    }
    return (void *)count;
}

static pthread_barrier_t barrier;
static atomic_int before_barrier, after_check_ok = 1;
static __thread int tls_value = 7;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;

static void once_fn(void) { once_runs++; }

static void *barrier_worker(void *arg)
{
    long id = (long)arg;
    tls_value += (int)id;
    atomic_fetch_add(&before_barrier, 1);
    pthread_once(&once, once_fn);
    pthread_barrier_wait(&barrier);
    if (atomic_load(&before_barrier) != NTHREADS)
        atomic_store(&after_check_ok, 0);
    return (void *)(long)tls_value;
}

static void *short_lived(void *arg) { return (void *)((long)arg + 1); }

static atomic_int detached_done;
static void *detached(void *arg)
{
    (void)arg;
    atomic_store(&detached_done, 1);
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, hammer, (void *)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    long joined = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        joined += (long)r;
    }
    printf("join values: %ld\n", joined);
    printf("mutex counter: %ld (want %d)\n", mutex_counter, NTHREADS * ITERS);
    printf("atomic counter: %ld (want %d)\n", atomic_load(&atomic_counter), 2 * NTHREADS * ITERS);
    printf("cas counter: %ld (want %d)\n", atomic_load(&cas_counter), 3 * NTHREADS * ITERS);
    printf("ll/sc counter: %ld (want %d)\n", llsc_counter, 5 * NTHREADS * ITERS);

    pthread_t p[NPROD], c[NCONS];
    long long sums[NCONS] = {0};
    producers_left = NPROD;
    for (long i = 0; i < NCONS; i++)
        pthread_create(&c[i], NULL, consumer, &sums[i]);
    for (long i = 0; i < NPROD; i++)
        pthread_create(&p[i], NULL, producer, (void *)i);
    for (int i = 0; i < NPROD; i++)
        pthread_join(p[i], NULL);
    long long total = 0, count = 0;
    for (int i = 0; i < NCONS; i++) {
        void *r;
        pthread_join(c[i], &r);
        count += (long)r;
        total += sums[i];
    }
    long long want = 0;
    for (long i = 0; i < NPROD; i++)
        want += i * ITEMS * (long long)ITEMS + (long long)ITEMS * (ITEMS + 1) / 2;
    printf("queue: %lld items, sum %lld (want %d, %lld)\n", count, total, NPROD * ITEMS, want);

    pthread_barrier_init(&barrier, NULL, NTHREADS);
    long tls_sum = 0;
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, barrier_worker, (void *)i);
    for (int i = 0; i < NTHREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        tls_sum += (long)r;
    }
    printf("barrier ok: %d, once runs: %d, tls sum: %ld, main tls: %d\n",
           atomic_load(&after_check_ok), once_runs, tls_sum, tls_value);

    long churn = 0;
    for (long i = 0; i < 200; i++) {
        pthread_t s;
        void *r;
        if (pthread_create(&s, NULL, short_lived, (void *)i) != 0) {
            printf("churn create failed\n");
            return 1;
        }
        pthread_join(s, &r);
        churn += (long)r;
    }
    printf("churn: %ld\n", churn);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t d;
    pthread_create(&d, &attr, detached, NULL);
    while (!atomic_load(&detached_done))
        sched_yield();
    printf("detached ran\n");
    return 0;
}
