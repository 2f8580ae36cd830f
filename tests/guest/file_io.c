/* Files and directories in a private mkdtemp directory: open/creat,
 * read/write, pread/pwrite, readv/writev, lseek (SEEK_SET/CUR/END, holes),
 * fstat/stat/lstat, ftruncate, rename, link/symlink/readlink, unlink,
 * mkdir/rmdir, opendir/readdir (names sorted before printing), access,
 * fcntl, stdio fopen/fgets/fseek/ftell, and error cases via errno names. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/uio.h>

static char dir[64];
/* P(name): dir/name, in one of several rotating buffers so that two P()
 * results can be used in one call */
static const char *P(const char *name)
{
    static char bufs[4][256];
    static unsigned k;
    char *b = bufs[k++ % 4];
    snprintf(b, 256, "%s/%s", dir, name);
    return b;
}

static const char *err(void)
{
    switch (errno) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    default: return "other";
    }
}

/* evaluate first, then print: argument evaluation order is unspecified */
#define SHOW(label, expr) do { \
    errno = 0; \
    long r_ = (long)(expr); \
    printf("%s=%ld%s%s\n", label, r_, r_ < 0 ? " " : "", r_ < 0 ? err() : ""); \
} while (0)

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list_dir(const char *d)
{
    DIR *dp = opendir(d);
    if (!dp) { printf("opendir failed: %s\n", err()); return; }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL && n < 64) {
        const char *t = e->d_type == DT_DIR ? "/" : e->d_type == DT_LNK ? "@" : e->d_type == DT_REG ? "" : "?";
        char *s = malloc(strlen(e->d_name) + 2);
        sprintf(s, "%s%s", e->d_name, t);
        names[n++] = s;
    }
    closedir(dp);
    qsort(names, (size_t)n, sizeof names[0], cmpstr);
    printf("dir:");
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

int main(void)
{
    strcpy(dir, "/tmp/mimic-fileio-XXXXXX");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    umask(022);

    int fd = open(P("a.txt"), O_CREAT | O_EXCL | O_RDWR, 0644);
    printf("open=%d\n", fd >= 0);
    const char *msg = "The quick brown fox jumps over the lazy dog\n";
    ssize_t w = write(fd, msg, strlen(msg));
    printf("write=%zd\n", w);
    SHOW("lseek cur", lseek(fd, 0, SEEK_CUR));
    SHOW("lseek set", lseek(fd, 4, SEEK_SET));
    SHOW("lseek end", lseek(fd, -4, SEEK_END));
    char buf[256];
    lseek(fd, 4, SEEK_SET);
    ssize_t r = read(fd, buf, 5);
    printf("read=%zd [%.5s]\n", r, buf);
    r = pread(fd, buf, 3, 40);
    printf("pread=%zd [%.3s]\n", r, buf);
    SHOW("pos", lseek(fd, 0, SEEK_CUR));
    w = pwrite(fd, "QUICK", 5, 4);
    printf("pwrite=%zd\n", w);
    SHOW("pos", lseek(fd, 0, SEEK_CUR));
    struct iovec iov[3] = { { "one,", 4 }, { "two,", 4 }, { "three\n", 6 } };
    lseek(fd, 0, SEEK_END);
    SHOW("writev", writev(fd, iov, 3));
    char b1[10], b2[20];
    struct iovec riov[2] = { { b1, sizeof b1 }, { b2, sizeof b2 } };
    lseek(fd, 0, SEEK_SET);
    r = readv(fd, riov, 2);
    printf("readv=%zd [%.10s|%.20s]\n", r, b1, b2);
    struct stat st;
    fstat(fd, &st);
    printf("fstat size=%lld reg=%d mode=%o nlink=%lu\n", (long long)st.st_size, S_ISREG(st.st_mode),
           st.st_mode & 07777, (unsigned long)st.st_nlink);
    SHOW("ftruncate", ftruncate(fd, 10));
    fstat(fd, &st);
    printf("after truncate size=%lld\n", (long long)st.st_size);
    /* a hole: seek past the end and write */
    lseek(fd, 100000, SEEK_SET);
    write(fd, "end", 3);
    fstat(fd, &st);
    memset(buf, 'x', sizeof buf);
    pread(fd, buf, 16, 50000);
    int zeros = 0;
    for (int i = 0; i < 16; i++) zeros += buf[i] == 0;
    printf("hole size=%lld zeros=%d\n", (long long)st.st_size, zeros);
    SHOW("fsync", fsync(fd));
    SHOW("fdatasync", fdatasync(fd));
    int fl = fcntl(fd, F_GETFL);
    printf("fcntl accmode rdwr=%d\n", (fl & O_ACCMODE) == O_RDWR);
    int fd2 = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    printf("dupfd>=10=%d cloexec=%d\n", fd2 >= 10, (fcntl(fd2, F_GETFD) & FD_CLOEXEC) != 0);
    close(fd2);
    close(fd);
    SHOW("close again", close(fd));
    SHOW("open excl again", open(P("a.txt"), O_CREAT | O_EXCL | O_WRONLY, 0644));
    SHOW("open missing", open(P("missing"), O_RDONLY));
    SHOW("open dir for writing", open(dir, O_WRONLY));
    SHOW("mkdir", mkdir(P("sub"), 0755));
    SHOW("mkdir again", mkdir(P("sub"), 0755));
    SHOW("mkdir under file", mkdir(P("a.txt/x"), 0755));
    SHOW("rename", rename(P("a.txt"), P("sub/b.txt")));
    SHOW("rename missing", rename(P("a.txt"), P("c.txt")));
    char p2[256];
    strcpy(p2, P("sub/b.txt"));
    SHOW("stat renamed", stat(p2, &st));
    printf("size=%lld\n", (long long)st.st_size);
    SHOW("link", link(p2, P("hard")));
    stat(p2, &st);
    printf("nlink=%lu\n", (unsigned long)st.st_nlink);
    SHOW("symlink", symlink("sub/b.txt", P("soft")));
    char target[64];
    ssize_t tl = readlink(P("soft"), target, sizeof target);
    printf("readlink=%zd [%.*s]\n", tl, (int)tl, target);
    SHOW("readlink regular", readlink(p2, target, sizeof target));
    SHOW("lstat", lstat(P("soft"), &st));
    printf("islnk=%d\n", S_ISLNK(st.st_mode));
    SHOW("stat through link", stat(P("soft"), &st));
    printf("isreg=%d\n", S_ISREG(st.st_mode));
    SHOW("access R", access(p2, R_OK));
    SHOW("access X", access(P("sub"), X_OK));
    SHOW("access missing", access(P("nope"), F_OK));
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "file%d", 4 - i);
        int f = creat(P(name), 0600);
        dprintf(f, "content %d\n", i);
        close(f);
    }
    list_dir(dir);
    list_dir(P("sub"));
    SHOW("rmdir nonempty", rmdir(P("sub")));
    SHOW("unlink dir", unlink(P("sub")) < 0 ? -1 : 0);

    FILE *fp = fopen(P("file2"), "r+");
    char line[64];
    if (fgets(line, sizeof line, fp)) printf("fgets=[%s]", line);
    fseek(fp, 0, SEEK_END);
    printf("ftell=%ld\n", ftell(fp));
    fprintf(fp, "appended %d\n", 99);
    rewind(fp);
    int lines = 0;
    while (fgets(line, sizeof line, fp)) lines++;
    printf("lines=%d eof=%d\n", lines, feof(fp) != 0);
    fclose(fp);

    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    printf("openat=%d\n", (fd = openat(dfd, "file3", O_RDONLY)) >= 0);
    close(fd);
    SHOW("fstatat", fstatat(dfd, "sub", &st, 0));
    printf("isdir=%d\n", S_ISDIR(st.st_mode));
    SHOW("unlinkat", unlinkat(dfd, "file3", 0));
    SHOW("renameat", renameat(dfd, "file4", dfd, "file4b"));
    SHOW("mkdirat", mkdirat(dfd, "d2", 0700));
    SHOW("unlinkat dir", unlinkat(dfd, "d2", AT_REMOVEDIR));
    close(dfd);

    /* clean up everything */
    const char *files[] = { "sub/b.txt", "hard", "soft", "file0", "file1", "file2", "file4b" };
    int bad = 0;
    for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) bad += unlink(P(files[i])) != 0;
    bad += rmdir(P("sub")) != 0;
    list_dir(dir);
    bad += rmdir(dir) != 0;
    printf("cleanup bad=%d gone=%d\n", bad, access(dir, F_OK) != 0);
    return 0;
}
