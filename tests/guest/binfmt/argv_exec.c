// The foreign program tests/binfmt.rs executes directly through
// binfmt_misc (built here by the test, static and dynamic): prints its
// argv, one per line; with argv[1] == "exec" it execs argv[2] with
// argv[2..] (a foreign program running another one).
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "exec") == 0) {
        fflush(stdout);
        execv(argv[2], argv + 2);
        perror("execv");
        return 127;
    }
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    return 0;
}
