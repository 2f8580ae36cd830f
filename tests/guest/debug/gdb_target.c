// The program tests/gdbstub.rs debugs through `mimic run -g PORT`: built
// with -g -O0 by the test itself. A local to print, a floating-point value
// (in a SIMD register), a global a second thread writes (watchpoint), a
// function to break in and step through, and a known exit status.
#include <pthread.h>
#include <stdio.h>

volatile long counter = 0;
static double scale = 2.5;

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
    printf("answer=%ld f=%.1f counter=%ld\n", answer, f, counter);
    return 3;
}
