/*
 * test_descriptors.c -- the report descriptors the gadget setup program
 * (gadget/kaputtkvm-gadget) writes declare exactly the report layouts hidd
 * encodes (report.h): field by field, the same usages, logical ranges,
 * sizes, counts and flags, and the report lengths it gives the kernel.
 * Physical ranges and item order within a field may differ.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tap.h"

struct field {
	int output;
	unsigned int page, umin, umax, nusages, usages[8];
	unsigned int size, count, flags;
	long lmin, lmax;
};

/* The Input and Output fields of a descriptor, in order. */
static size_t
fields(const uint8_t *d, size_t len, struct field *out, size_t max)
{
	struct field cur;
	size_t i = 0, n = 0, sz, j;
	unsigned long v;
	unsigned int type, tag;
	long sv;

	memset(&cur, 0, sizeof(cur));
	while (i < len && n < max) {
		sz = d[i] & 3;
		sz = sz == 3 ? 4 : sz;
		type = (d[i] >> 2) & 3;
		tag = d[i] >> 4;
		for (v = 0, j = 0; j < sz && i + 1 + j < len; j++)
			v |= (unsigned long)d[i + 1 + j] << (8 * j);
		sv = sz == 1  ? (long)(int8_t)v
		    : sz == 2 ? (long)(int16_t)v
			      : (long)(int32_t)v;
		if (type == 1 && tag == 0)
			cur.page = (unsigned int)v;
		else if (type == 1 && tag == 1)
			cur.lmin = sv;
		else if (type == 1 && tag == 2)
			cur.lmax = sz == 1 && cur.lmin >= 0 ? (long)v : sv;
		else if (type == 1 && tag == 7)
			cur.size = (unsigned int)v;
		else if (type == 1 && tag == 9)
			cur.count = (unsigned int)v;
		else if (type == 2 && tag == 0 && cur.nusages < 8)
			cur.usages[cur.nusages++] = (unsigned int)v;
		else if (type == 2 && tag == 1)
			cur.umin = (unsigned int)v;
		else if (type == 2 && tag == 2)
			cur.umax = (unsigned int)v;
		else if (type == 0 && (tag == 8 || tag == 9)) {
			out[n] = cur;
			out[n].output = tag == 9;
			out[n].flags = (unsigned int)v;
			if (v & 1) { /* constant: only its size matters */
				out[n].page = out[n].umin = out[n].umax = 0;
				out[n].nusages = 0;
				out[n].lmin = out[n].lmax = 0;
			}
			n++;
		}
		if (type == 0) { /* main items end the local state */
			cur.nusages = cur.umin = cur.umax = 0;
		}
		i += 1 + sz;
	}
	return n;
}

/* The hex bytes of VAR="..." in the gadget script. */
static size_t
script_desc(const char *script, const char *var, uint8_t *out, size_t max)
{
	char key[64];
	const char *p, *end;
	size_t n = 0;

	snprintf(key, sizeof(key), "\n%s=\"", var);
	if ((p = strstr(script, key)) == NULL)
		return 0;
	p += strlen(key);
	if ((end = strchr(p, '"')) == NULL)
		return 0;
	while (p < end && n < max) {
		if (isxdigit((unsigned char)p[0]) &&
		    isxdigit((unsigned char)p[1])) {
			out[n++] =
			    (uint8_t)strtoul((char[]){p[0], p[1], 0}, NULL, 16);
			p += 2;
		} else
			p++;
	}
	return n;
}

/* hid_function NAME SUBCLASS PROTOCOL LENGTH: the length given. */
static int
script_length(const char *script, const char *name)
{
	char key[64];
	const char *p;
	int sub, proto, len;

	snprintf(key, sizeof(key), "hid_function %s ", name);
	if ((p = strstr(script, key)) == NULL ||
	    sscanf(p + strlen(key), "%d %d %d", &sub, &proto, &len) != 3)
		return -1;
	return len;
}

static void
compare(const char *what, const uint8_t *ours, size_t olen,
    const uint8_t *theirs, size_t tlen, size_t want_in, int want_out)
{
	struct field a[32], b[32];
	size_t na, nb, i, in = 0, out = 0;
	int same;

	ok(tlen > 0, "%s: the gadget script has a descriptor", what);
	na = fields(ours, olen, a, 32);
	nb = fields(theirs, tlen, b, 32);
	same = na == nb;
	for (i = 0; same && i < na; i++) {
		same = a[i].output == b[i].output && a[i].page == b[i].page &&
		    a[i].umin == b[i].umin && a[i].umax == b[i].umax &&
		    a[i].nusages == b[i].nusages &&
		    memcmp(a[i].usages, b[i].usages,
			a[i].nusages * sizeof(a[i].usages[0])) == 0 &&
		    a[i].size == b[i].size && a[i].count == b[i].count &&
		    a[i].flags == b[i].flags && a[i].lmin == b[i].lmin &&
		    a[i].lmax == b[i].lmax;
		if (!same)
			diag(
			    "%s: field %zu differs: page %x/%x size %u/%u count %u/%u flags %x/%x range %ld..%ld/%ld..%ld",
			    what, i, a[i].page, b[i].page, a[i].size, b[i].size,
			    a[i].count, b[i].count, a[i].flags, b[i].flags,
			    a[i].lmin, a[i].lmax, b[i].lmin, b[i].lmax);
	}
	ok(same, "%s: %zu fields, the same layout as hidd's", what, na);
	same = report_desc_sizes(theirs, tlen, &in, &out) == 0;
	ok(same && in == want_in && (int)out == want_out,
	    "%s: %zu-byte input report, %zu-byte output report", what, in, out);
}

int
main(int argc, char **argv)
{
	FILE *f;
	char *script;
	size_t len, olen, tlen;
	uint8_t theirs[256];
	const uint8_t *ours;

	if (argc < 2 || (f = fopen(argv[1], "r")) == NULL) {
		printf("1..0 # SKIP no gadget setup script to compare with\n");
		return 0;
	}
	script = calloc(1, 1 << 20);
	len = fread(script, 1, (1 << 20) - 1, f);
	fclose(f);
	script[len] = '\0';

	ours = report_desc_keyboard(&olen);
	tlen = script_desc(script, "KEYBOARD_DESC", theirs, sizeof(theirs));
	compare("keyboard", ours, olen, theirs, tlen, REPORT_KBD_LEN, 1);
	is_int(script_length(script, "keyboard"), REPORT_KBD_LEN,
	    "keyboard report_length");

	ours = report_desc_abs_mouse(&olen);
	tlen = script_desc(script, "MOUSE_DESC", theirs, sizeof(theirs));
	compare("absolute mouse", ours, olen, theirs, tlen, REPORT_ABS_LEN, 0);
	is_int(script_length(script, "mouse"), REPORT_ABS_LEN,
	    "mouse report_length");

	ours = report_desc_rel_mouse(&olen);
	tlen = script_desc(script, "RELMOUSE_DESC", theirs, sizeof(theirs));
	compare("relative mouse", ours, olen, theirs, tlen, REPORT_REL_LEN, 0);
	is_int(script_length(script, "relmouse"), REPORT_REL_LEN,
	    "relmouse report_length");
	free(script);
	return tap_done();
}
