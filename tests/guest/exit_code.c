/* Exit status: main returns 3 after writing to stdout (which must be
 * flushed at exit). The runner checks the status is exactly 3. */
#include <stdio.h>

int main(void)
{
    printf("exiting with status 3");
    printf(" (no newline before this point)\n");
    printf("buffered tail without newline");
    return 3;
}
