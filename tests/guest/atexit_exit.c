/* exit() from a nested call: atexit and on_exit handlers run in reverse
 * order, stdio buffers are flushed, the status is 7. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

static void h1(void) { printf("atexit handler 1\n"); }
static void h2(void) { printf("atexit handler 2\n"); }
static void h3(int status, void *arg) { printf("on_exit status=%d arg=%s\n", status, (const char *)arg); }

__attribute__((noinline)) static void deep(int n)
{
    if (n == 0) {
        printf("calling exit(7) from depth\n");
        exit(7);
    }
    deep(n - 1);
    printf("not reached\n");
}

int main(void)
{
    atexit(h1);
    on_exit(h3, "cookie");
    atexit(h2);
    printf("registered\n");
    deep(10);
    return 0;
}
