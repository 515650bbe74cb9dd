/*
 * name.c -- the image name validator.
 *
 * Every name a peer sends (URL path, mount request) passes here before it
 * touches the file system; the store also opens everything relative to its
 * directory with O_NOFOLLOW, so a name that passes can only ever mean one
 * entry of the store directory itself.
 */
#include <errno.h>
#include <stdint.h>

#include "error.h"
#include "name.h"

/* Length of the UTF-8 sequence at s (at most len bytes), or 0 when it is not
 * a valid, shortest-form encoding of a scalar value; *ret_cp gets it. */
static size_t
name_utf8(const unsigned char *s, size_t len, uint32_t *ret_cp)
{
	uint32_t cp, min;
	size_t n, i;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

/* Check one name; the messages say what to change. */
int
name_check(const char *name, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;
	uint32_t cp;
	size_t i, n;

	if (name == NULL || len == 0)
		return error_set(-EINVAL,
		    "the image name is empty: give a file name such as debian.iso");
	if (len > NAME_MAX_BYTES)
		return error_set(-EINVAL,
		    "the image name is %zu bytes long; at most %d bytes are allowed",
		    len, NAME_MAX_BYTES);
	if (s[0] == '.')
		return error_set(-EINVAL,
		    "the image name must not start with '.': such names are reserved (hidden files, '..')");
	for (i = 0; i < len; i += n) {
		if ((n = name_utf8(s + i, len - i, &cp)) == 0)
			return error_set(-EINVAL,
			    "the image name is not valid UTF-8 (at byte %zu)",
			    i);
		if (cp == '/')
			return error_set(-EINVAL,
			    "the image name must not contain '/': give a plain file name, not a path");
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			return error_set(-EINVAL,
			    "the image name contains a control character (U+%04X at byte %zu)",
			    (unsigned int)cp, i);
	}
	return 0;
}
