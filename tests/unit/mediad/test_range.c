/*
 * test_range.c -- the Range header of downloads.
 */
#include <errno.h>
#include <stdint.h>

#include "range.h"
#include "tap.h"

struct range_case {
	const char *hdr;
	uint64_t size;
	int want;
	uint64_t start, len;
};

static const struct range_case cases[] = {
    {NULL, 100, 1, 0, 0},
    {"bytes=0-9", 100, 0, 0, 10},
    {"bytes=10-", 100, 0, 10, 90},
    {"bytes=-10", 100, 0, 90, 10},
    {"bytes=-1000", 100, 0, 0, 100},
    {"bytes=90-1000", 100, 0, 90, 10},
    {"bytes=99-99", 100, 0, 99, 1},
    {" bytes = 5-6 ", 100, 0, 5, 2},
    {"BYTES=5-6", 100, 0, 5, 2},
    {"bytes=100-", 100, -ERANGE, 0, 0},
    {"bytes=200-300", 100, -ERANGE, 0, 0},
    {"bytes=-0", 100, -ERANGE, 0, 0},
    {"bytes=0-0", 0, -ERANGE, 0, 0},
    {"bytes=0-1,5-6", 100, 1, 0, 0},
    {"bytes=9-5", 100, 1, 0, 0},
    {"bytes=-", 100, 1, 0, 0},
    {"bytes=a-b", 100, 1, 0, 0},
    {"items=0-5", 100, 1, 0, 0},
    {"bytes=99999999999999999999999-", 100, 1, 0, 0},
    {"bytes=18446744073709551615-", 100, -ERANGE, 0, 0},
};

int
main(void)
{
	uint64_t start, len;
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		start = len = 12345;
		r = range_parse(cases[i].hdr, cases[i].size, &start, &len);
		is_int(r, cases[i].want, "'%s' of %llu",
		    cases[i].hdr ? cases[i].hdr : "(none)",
		    (unsigned long long)cases[i].size);
		if (cases[i].want == 0) {
			is_int(start, cases[i].start, "  start");
			is_int(len, cases[i].len, "  length");
		} else
			ok(start == 12345 && len == 12345, "  untouched");
	}
	return tap_done();
}
