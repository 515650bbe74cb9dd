/*
 * testbackend.h -- the test-only GPIO backend ("--backend test").
 *
 * Lines are simulated in memory, for host tests and the hardware-free demo;
 * it never touches a device.  Two chips exist: gpiochip0 (label "kvmtest0",
 * 32 lines, with edge events) and gpiochip1 (label "kvmtest1", 8 lines,
 * without edge events, so inputs there are polled).  Tests drive an input's
 * physical level (like gpio-sim's "pull") and read back every level an
 * output was driven to, with monotonic timestamps.
 */
#ifndef GPIOD_CTL_TESTBACKEND_H
#define GPIOD_CTL_TESTBACKEND_H

#include <stddef.h>

struct lines_backend;

#define TESTBACKEND_HISTORY 256 /* samples kept per line */

struct testbackend_sample {
	double t_ms; /* lines_now_ms() */
	int value;   /* logical: 1 active */
	int level;   /* physical */
};

/* Sets the physical level an input reads (0/1); -ENODEV for no such line,
 * -EINVAL for a line requested as an output. */
int testbackend_drive(
    struct lines_backend *, const char *chip, unsigned int offset, int level);
/* Makes the next n sets of a line fail with -EIO (a device gone). */
int testbackend_fail_sets(struct lines_backend *, const char *chip,
    unsigned int offset, unsigned int n);
/* The physical level of a line now. */
int testbackend_level(struct lines_backend *, const char *chip,
    unsigned int offset, int *ret_level);
/* The levels an output was driven to, oldest first; *ret_n samples. */
int testbackend_history(struct lines_backend *, const char *chip,
    unsigned int offset, const struct testbackend_sample **ret, size_t *ret_n);

#endif
