// Built by tests/cli_options.rs: prints what -seed, -s, -R and -0 change,
// one "key=value" per line: the AT_RANDOM bytes, 16 getrandom bytes, the
// [stack] mapping of /proc/self/maps (start, end), a stack address, argv[0].
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>

int main(int argc, char **argv)
{
    unsigned char *r = (unsigned char *)getauxval(AT_RANDOM);
    printf("at_random=");
    for (int i = 0; i < 16; i++)
        printf("%02x", r[i]);
    unsigned char g[16];
    if (getrandom(g, sizeof g, 0) != sizeof g)
        return 2;
    printf("\ngetrandom=");
    for (int i = 0; i < 16; i++)
        printf("%02x", g[i]);
    printf("\n");
    FILE *m = fopen("/proc/self/maps", "r");
    char line[512];
    while (m && fgets(line, sizeof line, m)) {
        unsigned long lo, hi;
        if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
            printf("stack=%lx-%lx\n", lo, hi);
    }
    int local;
    printf("local=%lx\n", (unsigned long)&local);
    printf("argv0=%s\n", argv[0]);
    // A call that fails, for -strace's errno column.
    printf("enoent=%d\n", fopen("/nonexistent/mimic-probe", "r") == NULL);
    return argc == 1 ? 0 : 1;
}
