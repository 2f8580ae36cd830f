/* Synchronous memory faults delivered to guest handlers: SIGSEGV for an
 * unmapped address (SEGV_MAPERR, si_addr exact) and for a write to a
 * read-only page (SEGV_ACCERR), left with siglongjmp or fixed up by the
 * handler (mprotect) and resumed, with registers intact; SIGBUS for a
 * file mapping past its end; finally death by an unhandled SIGSEGV. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int mode; /* 0: longjmp out, 1: mprotect and resume */
static volatile int got_sig, got_code;
static void *volatile got_addr;
static char *page;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    if (mode == 1) {
        mprotect(page, 4096, PROT_READ | PROT_WRITE);
        return;
    }
    siglongjmp(jb, 1);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    volatile int *bad = (int *)0x10;
    if (sigsetjmp(jb, 1) == 0) {
        *bad = 1;
        printf("no fault\n");
    }
    printf("null write: sig=%d maperr=%d addr_ok=%d\n", got_sig, got_code == SEGV_MAPERR,
           got_addr == (void *)0x10);

    got_sig = 0;
    if (sigsetjmp(jb, 1) == 0) {
        int v = *(volatile int *)0x20;
        printf("no fault %d\n", v);
    }
    printf("null read: sig=%d maperr=%d addr_ok=%d\n", got_sig, got_code == SEGV_MAPERR,
           got_addr == (void *)0x20);

    page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    got_sig = 0;
    if (sigsetjmp(jb, 1) == 0) {
        page[100] = 1;
        printf("no fault\n");
    }
    printf("read-only write: sig=%d accerr=%d addr_ok=%d\n", got_sig, got_code == SEGV_ACCERR,
           got_addr == page + 100);

    /* The handler makes the page writable; the store is retried and every
     * value computed around it survives. */
    mode = 1;
    got_sig = 0;
    volatile long acc = 0;
    for (int i = 0; i < 100; i++) {
        acc += i * 3;
        if (i == 50)
            page[200] = (char)acc;
        acc ^= i;
    }
    printf("resumed: sig=%d accerr=%d stored=%d acc=%ld\n", got_sig, got_code == SEGV_ACCERR,
           (unsigned char)page[200], acc);
    mode = 0;

    /* A file mapping past the end of the file: SIGBUS. */
    char path[] = "/tmp/mimic-segv-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    if (ftruncate(fd, 100) != 0)
        return 1;
    char *m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
    got_sig = 0;
    if (sigsetjmp(jb, 1) == 0) {
        volatile char c = m[4096 + 8];
        (void)c;
        printf("no fault\n");
    }
    printf("past eof: sig=%d adrerr=%d addr_ok=%d first page ok=%d\n", got_sig,
           got_code == BUS_ADRERR, got_addr == m + 4096 + 8, m[8] == 0);
    close(fd);

    fflush(stdout);
    signal(SIGSEGV, SIG_DFL);
    *bad = 2;
    printf("survived\n");
    return 0;
}
