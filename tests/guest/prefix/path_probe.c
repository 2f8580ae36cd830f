/* Path lookups as a guest sees them, for tests/prefix_symlinks.rs. Each
 * argument is OP:PATH; one line per argument: "OP PATH: RESULT", where a
 * failure prints the errno name. With argv[1] == "child" it only prints
 * "child ok" (the execve target). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(int e)
{
    switch (e) {
    case ENOENT: return "ENOENT";
    case ELOOP: return "ELOOP";
    case ENOTDIR: return "ENOTDIR";
    case EACCES: return "EACCES";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    default: return "E?";
    }
}

static const char *kind(mode_t m)
{
    if (S_ISREG(m)) return "file";
    if (S_ISDIR(m)) return "dir";
    if (S_ISLNK(m)) return "link";
    return "other";
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        printf("child ok\n");
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        char op[32];
        const char *colon = strchr(argv[i], ':');
        if (!colon || colon - argv[i] >= (long)sizeof op) {
            printf("bad argument %s\n", argv[i]);
            return 2;
        }
        memcpy(op, argv[i], colon - argv[i]);
        op[colon - argv[i]] = 0;
        const char *path = colon + 1;
        struct stat st;
        char buf[256];
        int r;
        printf("%s %s: ", op, path);
        fflush(stdout);
        if (!strcmp(op, "stat") || !strcmp(op, "lstat") || !strcmp(op, "nofollowat")) {
            if (!strcmp(op, "stat"))
                r = stat(path, &st);
            else if (!strcmp(op, "lstat"))
                r = lstat(path, &st);
            else
                r = fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
            if (r)
                printf("%s\n", ename(errno));
            else if (S_ISDIR(st.st_mode))
                printf("dir\n");
            else
                printf("%s %lld\n", kind(st.st_mode), (long long)st.st_size);
        } else if (!strcmp(op, "read") || !strcmp(op, "readnofollow")) {
            int fd = open(path, O_RDONLY | (op[4] ? O_NOFOLLOW : 0));
            if (fd < 0) {
                printf("%s\n", ename(errno));
                continue;
            }
            ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            buf[n > 0 ? n : 0] = 0;
            buf[strcspn(buf, "\n")] = 0;
            printf("\"%s\"\n", buf);
        } else if (!strcmp(op, "readlink")) {
            ssize_t n = readlink(path, buf, sizeof buf - 1);
            if (n < 0) {
                printf("%s\n", ename(errno));
                continue;
            }
            buf[n] = 0;
            printf("\"%s\"\n", buf);
        } else if (!strcmp(op, "access")) {
            printf("%s\n", access(path, R_OK) ? ename(errno) : "ok");
        } else if (!strcmp(op, "exec")) {
            pid_t pid = fork();
            if (pid == 0) {
                char *av[] = {(char *)path, "child", NULL};
                execv(path, av);
                printf("%s\n", ename(errno));
                fflush(stdout);
                _exit(1);
            }
            int status;
            waitpid(pid, &status, 0);
        } else {
            printf("unknown op\n");
            return 2;
        }
        fflush(stdout);
    }
    return 0;
}
