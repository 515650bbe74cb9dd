/*
 * xmalloc.h -- allocation that never returns NULL.
 * Out of memory on internal sizes is fatal (systemd restarts us); sizes a
 * peer chooses are bounded and checked before they reach these.
 */
#ifndef KVM_XMALLOC_H
#define KVM_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
int xasprintf(char **, const char *, ...) __attribute__((format(printf, 2, 3)));

#endif
