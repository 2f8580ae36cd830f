/* hello.c: a static glibc "hello" for AArch64 (see Makefile to rebuild). */
#include <stdio.h>

int main(int argc, char **argv)
{
    printf("Hello from AArch64 (glibc)! argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    return 0;
}
