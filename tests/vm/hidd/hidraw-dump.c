/*
 * hidraw-dump.c -- print the raw input reports of a Linux hidraw device,
 * one line each, with the time they were read.
 *
 * A test tool for the VM scenarios (tests/vm/hidd/hidraw.sh): `hidraw-dump
 * /dev/hidrawN` prints "# ready" once the device is open, then one line per
 * report, "MS XX XX ...": MS the CLOCK_MONOTONIC milliseconds at which the
 * report was read, then its bytes in hex, flushed at once, until killed.
 * The target side of the gadget sees exactly these bytes (hidraw hands on
 * every interrupt-IN report as the device sent it).  It exists because a
 * Python interpreter takes seconds to start under TCG.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	unsigned char buf[4096]; /* HID_MAX_BUFFER_SIZE */
	struct timespec ts;
	ssize_t n, i;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: hidraw-dump /dev/hidrawN\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY)) == -1) {
		fprintf(
		    stderr, "hidraw-dump: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# ready\n");
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "hidraw-dump: %s: %s\n", argv[1],
			    n == 0 ? "end of file" : strerror(errno));
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		printf(
		    "%lld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		for (i = 0; i < n; i++)
			printf(" %02x", buf[i]);
		printf("\n");
	}
}
