/* blk_zeroout DEVICE OFFSET LENGTH: BLKZEROOUT on a block device (busybox
 * has no `blkdiscard -z`); tests/system_virtio.rs builds it with the cross
 * compiler and runs it in the guest to make Linux send virtio-blk
 * WRITE_ZEROES requests. */
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s DEVICE OFFSET LENGTH\n", argv[0]);
        return 2;
    }
    int fd = open(argv[1], O_WRONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    uint64_t range[2] = { strtoull(argv[2], 0, 0), strtoull(argv[3], 0, 0) };
    if (ioctl(fd, BLKZEROOUT, range) != 0) {
        perror("BLKZEROOUT");
        return 1;
    }
    close(fd);
    return 0;
}
