/*
 * xmalloc.h -- allocation that never returns NULL.
 * Out of memory on internal sizes is fatal (systemd restarts us); sizes a
 * peer chooses are bounded and checked before they reach these.  Every
 * out-of-memory in common/ and the daemons ends in xmalloc_fatal(), also
 * for what a library failed to allocate (an event, an evbuffer, a hash
 * context): one message, one exit, never a bare abort().
 */
#ifndef KVM_XMALLOC_H
#define KVM_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
/* Logs "out of memory allocating <what>" and exits 1: what is a format
 * ("%zu bytes", "an event"). */
void xmalloc_fatal(const char *what, ...)
    __attribute__((format(printf, 1, 2), noreturn));
int xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));

#endif
