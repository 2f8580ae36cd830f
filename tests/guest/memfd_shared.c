/* memfd_create and file-backed MAP_SHARED: two mappings of one memfd see
 * each other's stores; write()/pread() through the fd agree with the map;
 * a forked child's stores reach the parent through a shared file mapping;
 * msync to a real file; MAP_PRIVATE copies stay private; seals. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

int main(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    int fd = memfd_create("mimic-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    printf("memfd ok=%d cloexec=%d\n", fd >= 0, (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    printf("ftruncate=%d\n", ftruncate(fd, 2 * pg));
    char *a = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *b = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("maps ok=%d distinct=%d\n", a != MAP_FAILED && b != MAP_FAILED, a != b);
    strcpy(a + 100, "written through a");
    printf("b sees [%s]\n", b + 100);
    strcpy(b + pg + 7, "second page via b");
    printf("a sees [%s]\n", a + pg + 7);
    pwrite(fd, "FD", 2, 100);
    printf("after pwrite a=[%.6s]\n", a + 100);
    char rb[32] = {0};
    pread(fd, rb, 17, pg + 7);
    printf("pread [%s]\n", rb);
    char *priv = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    priv[100] = 'p';
    printf("private copy a=%c priv=%c\n", a[100], priv[100]);
    a[101] = 'X';
    munmap(priv, pg);

    pid_t c = fork();
    if (c == 0) {
        strcpy(a + 500, "from the child");
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("parent sees [%s] via b=[%s]\n", a + 500, b + 500);

    /* a real file */
    char tmpl[] = "/tmp/mimic-shm-XXXXXX";
    int f = mkstemp(tmpl);
    ftruncate(f, pg);
    char *m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
    memcpy(m, "file contents", 13);
    printf("msync=%d\n", msync(m, pg, MS_SYNC));
    char fb[16] = {0};
    int f2 = open(tmpl, O_RDONLY);
    read(f2, fb, 13);
    printf("file reads [%s]\n", fb);
    lseek(f, 0, SEEK_SET);
    write(f, "FILE", 4);
    printf("map sees [%.13s]\n", m);
    c = fork();
    if (c == 0) {
        m[20] = 'k';
        msync(m, pg, MS_SYNC);
        _exit(0);
    }
    waitpid(c, &st, 0);
    pread(f2, fb, 1, 20);
    printf("child store in file=%c in map=%c\n", fb[0], m[20]);
    munmap(m, pg);
    close(f2);
    close(f);
    unlink(tmpl);

    /* seals */
    printf("add seal=%d\n", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
    printf("seals=%#x\n", fcntl(fd, F_GET_SEALS));
    int r = ftruncate(fd, pg);
    printf("shrink eperm=%d\n", r < 0 && errno == EPERM);
    munmap(a, 2 * pg);
    printf("b after unmapping a [%s]\n", b + pg + 7);
    munmap(b, 2 * pg);
    r = memfd_create("bad", 0x7ff0);
    printf("bad flags einval=%d\n", r < 0 && errno == EINVAL);
    close(fd);
    return 0;
}
