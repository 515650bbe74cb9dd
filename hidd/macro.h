/*
 * macro.h -- a macro: a named list of steps (keys, text, delays) written as
 * JSON, checked whole, and compiled into the operations hid.c plays one per
 * timer tick, through the same job as paste.
 *
 *   {"layout": "de",                        (optional: the text steps')
 *    "steps": [
 *      {"keys": ["ControlLeft", "AltLeft", "Delete"]},   a combination tap
 *      {"key": "KeyA"},                                  a tap
 *      {"key": "ShiftLeft", "down": true},               a press (or release)
 *      {"text": "hello", "layout": "us"},                typed as paste does
 *      {"delay_ms": 500}]}                               a pause
 *
 * A step holds exactly one of key, keys, text and delay_ms.  A text step
 * types with every key up first (as a paste does); the macro ends with
 * every key up.  Pure code: no event loop, no I/O; fuzzed
 * (tests/fuzz/hidd/fuzz_macro.c).
 */
#ifndef HIDD_MACRO_H
#define HIDD_MACRO_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct paste;

#define MACRO_NAME_MAX	64     /* bytes of a name */
#define MACRO_MAX_STEPS 512    /* steps of one macro */
#define MACRO_MAX_COMBO 8      /* keys of one "keys" step */
#define MACRO_MAX_TEXT	4096   /* bytes of one text step */
#define MACRO_MAX_DELAY 60000  /* ms of one delay step */
#define MACRO_MAX_OPS	200000 /* operations a macro compiles to */
#define MACRO_MAX_BYTES 65536  /* of a macro's JSON */

enum macro_op_kind {
	MACRO_OP_KEY,	 /* usage down or up, on top of what is held */
	MACRO_OP_REPORT, /* exactly mods + usage (0: none) held: text */
	MACRO_OP_DELAY,	 /* a pause of ms */
};

struct macro_op {
	uint8_t kind; /* enum macro_op_kind */
	uint8_t usage;
	uint8_t down_mods; /* KEY: 1 down, 0 up; REPORT: the modifiers */
	uint32_t ms;	   /* DELAY */
};

/*
 * A name for the store and the URL: 1 to MACRO_NAME_MAX bytes of letters,
 * digits, space and "-_.+", not starting with a space or a dot.  0, or
 * -EINVAL with error_set() saying what is wrong.
 */
int macro_name_check(const char *name);

/*
 * Checks a macro (a JSON object, above) and compiles it.  layout is the
 * text steps' layout when neither the step nor the macro names one; p may
 * be NULL (a text step is then refused).  -EINVAL with error_set() naming
 * the step ("step 3: ...", counting from 1) and what it must be;
 * -EMSGSIZE past MACRO_MAX_OPS.  ret may be NULL (only check); otherwise
 * *ret is xmalloc'ed.
 */
int macro_compile(json_t *macro, struct paste *p, const char *layout,
    struct macro_op **ret, size_t *ret_n);

#endif
