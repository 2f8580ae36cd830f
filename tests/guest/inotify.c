/* inotify: watches on a fresh directory and a file; create, write, rename,
 * delete and attribute events read back as records with names; a
 * non-blocking empty read; removing a watch (IN_IGNORED); bad arguments. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/stat.h>

static char buf[4096] __attribute__((aligned(8)));

static void show(int fd, int wd_dir, int wd_file)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 2000) != 1) {
        printf("  no events\n");
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf);
    for (char *q = buf; q < buf + n;) {
        struct inotify_event *e = (struct inotify_event *)q;
        const char *who = e->wd == wd_dir ? "dir" : e->wd == wd_file ? "file" : "?";
        printf("  %s mask=%#x cookie=%d name=%s\n", who, e->mask, e->cookie != 0,
               e->len ? e->name : "-");
        q += sizeof *e + e->len;
    }
}

int main(void)
{
    char tmpl[] = "/tmp/mimic-inotify-XXXXXX";
    char *dir = mkdtemp(tmpl);
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    printf("init ok=%d cloexec=%d\n", fd >= 0, (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    ssize_t n = read(fd, buf, sizeof buf);
    printf("empty eagain=%d\n", n < 0 && errno == EAGAIN);
    int wd = inotify_add_watch(fd, dir, IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE);
    printf("watch dir ok=%d\n", wd >= 0);
    char path[256], path2[256];
    snprintf(path, sizeof path, "%s/alpha.txt", dir);
    snprintf(path2, sizeof path2, "%s/beta.txt", dir);
    int f = open(path, O_CREAT | O_WRONLY, 0644);
    write(f, "hello", 5);
    close(f);
    printf("create+write+close:\n");
    show(fd, wd, -1);
    int wf = inotify_add_watch(fd, path, IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF);
    printf("watch file ok=%d distinct=%d\n", wf >= 0, wf != wd);
    f = open(path, O_WRONLY | O_APPEND);
    write(f, "!", 1);
    close(f);
    chmod(path, 0600);
    printf("modify+chmod:\n");
    show(fd, wd, wf);
    rename(path, path2);
    printf("rename:\n");
    show(fd, wd, wf);
    printf("rm watch=%d\n", inotify_rm_watch(fd, wf));
    show(fd, wd, wf);
    unlink(path2);
    printf("unlink:\n");
    show(fd, wd, wf);
    int r = inotify_rm_watch(fd, 12345);
    printf("rm unknown einval=%d\n", r < 0 && errno == EINVAL);
    r = inotify_add_watch(fd, "/nonexistent/mimic", IN_CREATE);
    printf("missing path enoent=%d\n", r < 0 && errno == ENOENT);
    r = inotify_add_watch(fd, dir, 0);
    printf("empty mask einval=%d\n", r < 0 && errno == EINVAL);
    r = inotify_init1(0x7fff0000);
    printf("bad flags einval=%d\n", r < 0 && errno == EINVAL);
    rmdir(dir);
    close(fd);
    return 0;
}
