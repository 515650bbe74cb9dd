/*
 * slowopen.c -- an LD_PRELOAD test stand-in for a wedged capture device.
 *
 * Opening any path under /kvmtest-slow/ sleeps KVMTEST_SLOW_MS (default
 * 3000) milliseconds and then fails with ENOENT, as a USB grabber that
 * hangs in its driver's timeouts.  Every other open goes to libc.
 */
#undef _FILE_OFFSET_BITS /* open and open64 are both defined here */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOW_PREFIX "/kvmtest-slow/"

typedef int openat_fn(int, const char *, int, ...);

/* Sleep and fail when path is a slow one; 0 otherwise. */
static int
slow(const char *path)
{
	const char *ms = getenv("KVMTEST_SLOW_MS");
	long n = ms != NULL ? atol(ms) : 3000;
	struct timespec ts = {n / 1000, (n % 1000) * 1000000L};

	if (path == NULL || strncmp(path, SLOW_PREFIX, strlen(SLOW_PREFIX)))
		return 0;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	errno = ENOENT;
	return -1;
}

/* Everything goes through libc's openat. */
static int
forward(int dirfd, const char *path, int flags, int mode)
{
	static openat_fn *real;

	if (slow(path) < 0)
		return -1;
	if (real == NULL)
		real = (openat_fn *)dlsym(RTLD_NEXT, "openat");
	return real(dirfd, path, flags, mode);
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int); /* garbage without O_CREAT: unused then */
	va_end(ap);
	return forward(AT_FDCWD, path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	return forward(dirfd, path, flags, mode);
}

/* The 64-bit names are the same functions. */
int open64(const char *, int, ...) __attribute__((alias("open")));
int openat64(int, const char *, int, ...) __attribute__((alias("openat")));
