/*
 * name.h -- what may be an image name in the store.
 *
 * A name is a plain file name: 1..255 bytes of valid UTF-8, no '/', no
 * control characters (C0, DEL, C1), and no leading '.' (so ".", "..", the
 * store's own dot-files and hidden files are out of reach).  Names arrive
 * percent-decoded from URLs, so the length is explicit: an embedded NUL is
 * a control character like any other.
 */
#ifndef MEDIAD_NAME_H
#define MEDIAD_NAME_H

#include <stddef.h>

#define NAME_MAX_BYTES 255

/* 0, or -EINVAL with error_set() saying what is wrong with the name. */
int name_check(const char *name, size_t len);

#endif
