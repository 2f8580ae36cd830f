/* /proc as the program sees itself: exe, maps (code, stack, heap), auxv
 * agreeing with getauxval, cmdline agreeing with argv, stat's pid and
 * name, the fd directory, and a readable cpuinfo. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

static char buf[1 << 16];

static long slurp(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    long n = 0, r;
    while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += r;
    close(fd);
    buf[n] = 0;
    return n;
}

/* The maps line whose range holds `a`, copied into `line`. */
static int maps_line(unsigned long a, char *line, size_t len)
{
    if (slurp("/proc/self/maps") <= 0)
        return 0;
    for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
        unsigned long s, e;
        if (sscanf(l, "%lx-%lx", &s, &e) == 2 && a >= s && a < e) {
            snprintf(line, len, "%s", l);
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    char exe[PATH_MAX], real[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    printf("exe matches argv[0]: %d\n", realpath(argv[0], real) && strcmp(exe, real) == 0);

    char line[512];
    int stackvar = 0;
    char *heap = malloc(100);
    printf("code mapped r-x: %d\n",
           maps_line((unsigned long)&main, line, sizeof line) && strstr(line, " r-x") != NULL);
    printf("stack named: %d\n",
           maps_line((unsigned long)&stackvar, line, sizeof line) && strstr(line, "[stack]") != NULL);
    printf("heap named: %d\n",
           maps_line((unsigned long)heap, line, sizeof line) && strstr(line, "[heap]") != NULL);
    free(heap);

    /* auxv entries are two unsigned longs (8 bytes on 32-bit ABIs) */
    long len = slurp("/proc/self/auxv");
    const long w = sizeof(unsigned long);
    int pagesz_ok = 0, entry_ok = 0;
    for (long i = 0; i + 2 * w <= len; i += 2 * w) {
        unsigned long t, v;
        memcpy(&t, buf + i, w);
        memcpy(&v, buf + i + w, w);
        if (t == AT_PAGESZ)
            pagesz_ok = v == getauxval(AT_PAGESZ);
        if (t == AT_ENTRY)
            entry_ok = v == getauxval(AT_ENTRY) && v != 0;
    }
    printf("auxv: pagesz %d entry %d ends with AT_NULL %d\n", pagesz_ok, entry_ok,
           len >= 2 * w && buf[len - 2 * w] == 0);

    len = slurp("/proc/self/cmdline");
    int ok = 1;
    long off = 0;
    for (int i = 0; i < argc; i++) {
        if (off >= len || strcmp(buf + off, argv[i]) != 0)
            ok = 0;
        off += strlen(argv[i]) + 1;
    }
    printf("cmdline matches argv (%d args): %d\n", argc, ok && off == len);

    slurp("/proc/self/stat");
    int pid = atoi(buf);
    char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    char comm[64] = "";
    if (open_paren && close_paren && close_paren - open_paren - 1 < 64)
        memcpy(comm, open_paren + 1, close_paren - open_paren - 1);
    char *base = basename(argv[0]);
    printf("stat: pid %d comm %d\n", pid == getpid(), strncmp(base, comm, strlen(comm)) == 0 && comm[0]);

    DIR *d = opendir("/proc/self/fd");
    int fds = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            fds++;
    if (d)
        closedir(d);
    printf("fd dir lists stdio: %d\n", fds >= 3);

    printf("cpuinfo: %d\n", slurp("/proc/cpuinfo") > 0 && strstr(buf, "processor") != NULL);
    return 0;
}
