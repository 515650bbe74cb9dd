/*
 * atomicfile.c -- a small file replaced whole (atomicfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "atomicfile.h"
#include "xmalloc.h"

/* Writes all of text to fd, then fsyncs it: 0 or -errno. */
static int
atomicfile_fill(int fd, const char *text, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, text, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		text += w;
		len -= (size_t)w;
	}
	return fsync(fd) < 0 ? -errno : 0;
}

int
atomicfile_write(const char *path, const char *text, size_t len)
{
	char *tmp, *dir;
	int fd, r;

	xasprintf(&tmp, "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) <
	    0) {
		r = -errno;
		free(tmp);
		return r;
	}
	r = atomicfile_fill(fd, text, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	free(tmp);
	if (r == 0) {
		/* the rename itself, on disk */
		dir = xstrdup(path);
		if ((fd = open(dirname(dir),
			 O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(fd);
			close(fd);
		}
		free(dir);
	}
	return r;
}
