/* Calls with 64-bit file offsets that 32-bit ABIs pass in register pairs
 * (sendfile with an off_t and a 64-bit offset past 4 GiB in a sparse
 * file, posix_fadvise, sync_file_range, readahead), vfork + _exit, and
 * pause() woken by a signal handler. */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void on_alarm(int s)
{
    got = s;
}

int main(void)
{
    char dir[] = "/tmp/mimic-hints-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char src[64], dst[64];
    snprintf(src, sizeof src, "%s/src", dir);
    snprintf(dst, sizeof dst, "%s/dst", dir);
    int in = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int out = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0600);
    const off_t far = 0x100000010LL; /* past 4 GiB: needs all 64 bits */
    int pw = pwrite(in, "far away data", 13, far) == 13;
    struct stat st;
    fstat(in, &st);
    printf("sparse write=%d size_ok=%d\n", pw, st.st_size == far + 13);

    off_t off = far + 4;
    ssize_t n = sendfile(out, in, &off, 5);
    char b[16] = {0};
    pread(out, b, 5, 0);
    printf("sendfile=%zd off_ok=%d [%s]\n", n, off == far + 9, b);

    printf("fadvise=%d bad_advice=%d\n", posix_fadvise(in, far, 4096, POSIX_FADV_WILLNEED),
           posix_fadvise(in, 0, 0, 12345) == EINVAL);
    printf("sync_file_range=%d bad_flags einval=%d\n", sync_file_range(in, far, 13, SYNC_FILE_RANGE_WRITE),
           sync_file_range(in, 0, 0, ~0u) == -1 && errno == EINVAL);
    printf("readahead=%d bad fd ebadf=%d\n", (int)readahead(in, far, 13),
           readahead(-1, 0, 1) == -1 && errno == EBADF);
    close(in);
    close(out);

    pid_t pid = vfork();
    if (pid == 0)
        _exit(42);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("vfork child exit=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    signal(SIGALRM, on_alarm);
    alarm(1);
    int r = pause();
    printf("pause=%d eintr=%d got=%d\n", r, errno == EINTR, got == SIGALRM);

    unlink(src);
    unlink(dst);
    rmdir(dir);
    return 0;
}
