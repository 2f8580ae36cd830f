// The program tests/gdbstub.rs debugs through `mimic run -g PORT`: built
// with -g -O0 by the test itself. A local to print, a floating-point value
// (in a SIMD register), a global a second thread writes (watchpoint), a
// function to break in and step through, a signal GDB sees before the
// handler runs, and a known exit status.
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

volatile long counter = 0;
static double scale = 2.5;
static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
    got_usr1 = sig == SIGUSR1;
}

static void *worker(void *arg)
{
    counter = counter + (long)arg;
    return NULL;
}

static long square(long v)
{
    long r = v * v;
    return r;
}

int main(void)
{
    long answer = 42;
    double f = scale * answer;
    pthread_t t;
    pthread_create(&t, NULL, worker, (void *)7);
    pthread_join(t, NULL);
    counter = square(answer);
    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1);
    printf("answer=%ld f=%.1f counter=%ld usr1=%d\n", answer, f, counter, (int)got_usr1);
    return 3;
}
