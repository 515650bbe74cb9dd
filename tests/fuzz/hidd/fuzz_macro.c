/*
 * fuzz_macro.c -- the body of PUT /macros/NAME (a peer chooses it), parsed
 * as hidd parses it and checked by macro_compile(): either refused with a
 * message or compiled into operations that are all real keys or bounded
 * pauses, which end with nothing held.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "error.h"
#include "macro.h"
#include "paste.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct paste *p;
	struct macro_op *ops;
	json_error_t jerr;
	json_t *m;
	size_t n, i, held = 0;

	if (p == NULL && paste_new(&p) < 0)
		abort();
	if (len > MACRO_MAX_BYTES)
		return 0;
	m = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (m == NULL)
		return 0;
	if (macro_compile(m, p, "us", &ops, &n) < 0) {
		assert(error_get() != NULL);
		json_decref(m);
		return 0;
	}
	assert(n <= MACRO_MAX_OPS);
	for (i = 0; i < n; i++) {
		if (ops[i].kind == MACRO_OP_DELAY)
			assert(ops[i].ms <= MACRO_MAX_DELAY);
		else if (ops[i].kind == MACRO_OP_KEY) {
			assert(ops[i].usage > 3);
			held = ops[i].down_mods ? held + 1 : held - 1;
		} else {
			assert(ops[i].kind == MACRO_OP_REPORT);
			held = ops[i].usage != 0 || ops[i].down_mods != 0;
		}
	}
	assert(held == 0);
	free(ops);
	json_decref(m);
	return 0;
}
