/* argv and the environment. The test runner passes the arguments listed
 * in env_argv.args (one per line; argv[0] differs between runners, so it
 * is not printed). Environment: only variables this program sets itself
 * are printed. Also getopt over argv. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=[%s] len=%zu\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc]==NULL: %d\n", argv[argc] == NULL);
    printf("argv[0] nonempty: %d\n", argv[0] != NULL && argv[0][0] != 0);
    /* environ follows argv on the initial stack */
    int nenv = 0;
    for (char **e = environ; *e; e++) nenv++;
    printf("environ well-formed: %d\n", nenv >= 0);
    int all_have_eq = 1;
    for (char **e = environ; *e; e++) if (!strchr(*e, '=')) all_have_eq = 0;
    printf("all entries have '=': %d\n", all_have_eq);

    printf("setenv=%d\n", setenv("GUESTPROG_VAR_A", "alpha", 1));
    printf("getenv=%s\n", getenv("GUESTPROG_VAR_A"));
    int r = setenv("GUESTPROG_VAR_A", "beta", 0);
    printf("setenv no-overwrite=%d value=%s\n", r, getenv("GUESTPROG_VAR_A"));
    setenv("GUESTPROG_VAR_A", "gamma", 1);
    printf("overwritten=%s\n", getenv("GUESTPROG_VAR_A"));
    static char pe[] = "GUESTPROG_VAR_B=from putenv";
    r = putenv(pe);
    printf("putenv=%d value=%s\n", r, getenv("GUESTPROG_VAR_B"));
    int found = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "GUESTPROG_VAR_", 14) == 0) { found++; printf("environ has %s\n", *e); }
    printf("found=%d\n", found);
    unsetenv("GUESTPROG_VAR_A");
    printf("after unsetenv=%s\n", getenv("GUESTPROG_VAR_A") ? getenv("GUESTPROG_VAR_A") : "(null)");
    printf("missing=%s\n", getenv("GUESTPROG_SURELY_NOT_SET_12345") ? "set" : "(null)");
    r = clearenv();
    printf("clearenv=%d environ empty=%d\n", r, environ == NULL || environ[0] == NULL);

    /* getopt over the arguments */
    int opt, aflag = 0;
    const char *bval = "(none)";
    optind = 1;
    opterr = 0;
    while ((opt = getopt(argc, argv, "ab:")) != -1) {
        if (opt == 'a') aflag++;
        else if (opt == 'b') bval = optarg;
        else printf("getopt unknown -%c\n", optopt);
    }
    printf("getopt a=%d b=%s rest=%d\n", aflag, bval, argc - optind);
    for (int i = optind; i < argc; i++) printf("  operand [%s]\n", argv[i]);
    return 0;
}
