/*
 * xkbdecode-tool.c -- the target side of the paste scenarios.
 *
 *   hidd-xkbdecode sample LAYOUT N
 *	prints a text of at least N characters that LAYOUT can type (every
 *	typeable character in turn, lines of 60), for POST /paste.
 *   hidd-xkbdecode decode DEVICE LAYOUT EXPECTED TIMEOUT_S
 *	reads key events from the target's /dev/input/eventN, decodes them
 *	through libxkbcommon with LAYOUT ("de", "us(intl)") and the compose
 *	table, until as many bytes as EXPECTED holds arrived or TIMEOUT_S
 *	passed.  Exit 0 when the text is exactly EXPECTED's, 1 (saying where
 *	it differs) otherwise.  Writes "ready" to stderr once reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "paste.h"
#include "xkbdecode.h"

/* Appends one code point as UTF-8. */
static size_t
put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

static int
sample(const char *layout, long n)
{
	struct paste *p;
	const struct paste_layout *l;
	struct paste_stroke s[2];
	uint32_t cp;
	long count = 0, col = 0;
	char buf[4];

	if (paste_new(&p) < 0 || paste_layout(p, layout, &l) < 0) {
		fprintf(stderr, "hidd-xkbdecode: no layout %s\n", layout);
		return 1;
	}
	while (count < n) {
		for (cp = 0x20; cp < 0x3000 && count < n; cp++) {
			if (paste_lookup(l, cp, s) == 0)
				continue;
			fwrite(buf, 1, put_utf8(buf, cp), stdout);
			count++;
			if (++col == 60) {
				putchar('\n');
				count++;
				col = 0;
			}
		}
	}
	putchar('\n');
	paste_free(p);
	return 0;
}

static int
decode(const char *dev, const char *layout, const char *expected_path,
    long timeout)
{
	char lay[64], *var, *want = NULL;
	const char *got;
	size_t wlen = 0, glen = 0, i;
	struct xkbdecode *d;
	struct input_event ev[64];
	struct pollfd pfd;
	FILE *f;
	time_t end = time(NULL) + timeout;
	ssize_t n;
	int fd, k;

	if ((f = fopen(expected_path, "rb")) == NULL) {
		perror(expected_path);
		return 2;
	}
	want = malloc(1 << 20);
	wlen = fread(want, 1, (1 << 20) - 1, f);
	fclose(f);
	snprintf(lay, sizeof(lay), "%s", layout);
	var = strchr(lay, '(');
	if (var != NULL) {
		*var++ = '\0';
		var[strcspn(var, ")")] = '\0';
	}
	if ((d = xkbdecode_new(lay, var ? var : "")) == NULL) {
		fprintf(stderr, "hidd-xkbdecode: no layout %s\n", layout);
		return 2;
	}
	if ((fd = open(dev, O_RDONLY | O_NONBLOCK)) < 0) {
		perror(dev);
		return 2;
	}
	fprintf(stderr, "ready\n");
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (glen < wlen && time(NULL) < end) {
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		n = read(fd, ev, sizeof(ev));
		for (k = 0; n > 0 && k < n / (ssize_t)sizeof(ev[0]); k++) {
			if (ev[k].type == EV_SYN && ev[k].code == SYN_DROPPED) {
				/* Not hidd's doing: this reader fell behind
				 * and the kernel dropped events for it. */
				fprintf(stderr,
				    "hidd-xkbdecode: the kernel dropped events (SYN_DROPPED): the decoder was too slow\n");
				return 3;
			}
			if (ev[k].type == EV_KEY && ev[k].value != 2)
				xkbdecode_evdev(d, ev[k].code, ev[k].value);
		}
		xkbdecode_text(d, &glen);
	}
	got = xkbdecode_text(d, &glen);
	fwrite(got, 1, glen, stdout);
	fflush(stdout);
	if (glen == wlen && memcmp(got, want, wlen) == 0)
		return 0;
	for (i = 0; i < glen && i < wlen && got[i] == want[i]; i++)
		;
	fprintf(stderr,
	    "hidd-xkbdecode: %s: %zu bytes decoded, %zu expected; first difference at byte %zu: want \"%.16s\" got \"%.16s\"\n",
	    layout, glen, wlen, i, want + i, got + (i < glen ? i : glen));
	return 1;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "sample") == 0)
		return sample(argv[2], atol(argv[3]));
	if (argc == 6 && strcmp(argv[1], "decode") == 0)
		return decode(argv[2], argv[3], argv[4], atol(argv[5]));
	fprintf(stderr,
	    "usage: hidd-xkbdecode sample LAYOUT N\n"
	    "       hidd-xkbdecode decode DEVICE LAYOUT EXPECTED TIMEOUT_S\n");
	return 2;
}
