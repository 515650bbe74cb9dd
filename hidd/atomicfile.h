/*
 * atomicfile.h -- a small file written whole or not at all: a temporary
 * file beside it, fsync, rename over it, fsync of the directory.  A crash
 * leaves the old file or the new one, never half of one.  It waits for the
 * disk: call it from a worker thread, never from the event loop.
 */
#ifndef HIDD_ATOMICFILE_H
#define HIDD_ATOMICFILE_H

#include <stddef.h>

/* 0, or -errno (nothing of the new text is left behind then).  Sets no
 * error text: it runs on worker threads. */
int atomicfile_write(const char *path, const char *text, size_t len);

#endif
