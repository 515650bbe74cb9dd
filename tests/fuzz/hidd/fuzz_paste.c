/*
 * fuzz_paste.c -- text for POST /paste (a peer chooses it) mapped to
 * keystrokes with the "de" layout: either refused with a message or every
 * stroke is a real key, and walking the strokes ends with nothing held.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "paste.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct paste *p;
	static const struct paste_layout *l;
	struct paste_stroke *s;
	struct paste_cursor c = {0};
	uint8_t r[8] = {0};
	size_t n, i, reports = 0;

	if (p == NULL && (paste_new(&p) < 0 || paste_layout(p, "de", &l) < 0))
		abort();
	if (len > 4096)
		return 0;
	if (paste_map(l, (const char *)data, len, &s, &n) < 0) {
		assert(error_get() != NULL);
		return 0;
	}
	for (i = 0; i < n; i++)
		assert(s[i].usage > 3);
	while (paste_next_report(s, n, &c, r))
		reports++;
	assert(reports >= 2 * n);
	assert(r[0] == 0 && r[2] == 0);
	free(s);
	return 0;
}
