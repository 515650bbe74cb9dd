/*
 * linespec.c -- parse one line of [gpiod-ctl]: which line, on which chip,
 * which way, with which electrical flags.
 *
 * The grammar is small on purpose: whitespace-separated tokens, the first
 * CHIP:OFFSET, the rest flags.  Every refusal names the key, the value and
 * the token at fault, because the person reading it is editing a config
 * file with the board's pinout in the other hand.  The parser reads config
 * text only, but is fuzzed all the same.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "linespec.h"

#define LINESPEC_VALUE_MAX 256

static const char *const role_names[] = {
    [LINESPEC_POWER_BUTTON] = "power-button",
    [LINESPEC_RESET_BUTTON] = "reset-button",
    [LINESPEC_POWER_LED] = "power-led",
    [LINESPEC_HDD_LED] = "hdd-led",
    [LINESPEC_CAPTURE_RESET] = "capture-reset",
    [LINESPEC_HID_RESET] = "hid-reset",
    [LINESPEC_USER] = "user",
};

static const enum linespec_dir role_dirs[] = {
    [LINESPEC_POWER_BUTTON] = LINESPEC_OUTPUT,
    [LINESPEC_RESET_BUTTON] = LINESPEC_OUTPUT,
    [LINESPEC_POWER_LED] = LINESPEC_INPUT,
    [LINESPEC_HDD_LED] = LINESPEC_INPUT,
    [LINESPEC_CAPTURE_RESET] = LINESPEC_OUTPUT,
    [LINESPEC_HID_RESET] = LINESPEC_OUTPUT,
    [LINESPEC_USER] = LINESPEC_DIR_UNSET,
};

#define FLAGS_KNOWN                                                            \
	"input, output, active-low, active-high, pull-up, pull-down, "         \
	"bias-disable, open-drain, open-source, push-pull, debounce=MS, poll"

/* Sets the error message for a bad entry and returns -EINVAL. */
static int __attribute__((format(printf, 3, 4)))
bad(const char *key, const char *value, const char *fmt, ...)
{
	char why[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return error_set(
	    -EINVAL, "%s = \"%.*s\": %s", key, LINESPEC_VALUE_MAX, value, why);
}

/* Returns the role's config key ("power-led"), or "user". */
const char *
linespec_role_name(enum linespec_role role)
{
	if ((unsigned int)role > LINESPEC_USER)
		return "?";
	return role_names[role];
}

/* Returns the direction a role implies; UNSET for user lines. */
enum linespec_dir
linespec_role_dir(enum linespec_role role)
{
	if ((unsigned int)role > LINESPEC_USER)
		return LINESPEC_DIR_UNSET;
	return role_dirs[role];
}

/* Returns "input", "output" or "unset". */
const char *
linespec_dir_name(enum linespec_dir dir)
{
	switch (dir) {
	case LINESPEC_INPUT:
		return "input";
	case LINESPEC_OUTPUT:
		return "output";
	default:
		return "unset";
	}
}

/* Returns the flag that selects a bias ("as-is" for none). */
const char *
linespec_bias_name(enum linespec_bias bias)
{
	switch (bias) {
	case LINESPEC_BIAS_DISABLE:
		return "bias-disable";
	case LINESPEC_BIAS_PULL_UP:
		return "pull-up";
	case LINESPEC_BIAS_PULL_DOWN:
		return "pull-down";
	default:
		return "as-is";
	}
}

/* Returns the flag that selects a drive. */
const char *
linespec_drive_name(enum linespec_drive drive)
{
	switch (drive) {
	case LINESPEC_OPEN_DRAIN:
		return "open-drain";
	case LINESPEC_OPEN_SOURCE:
		return "open-source";
	default:
		return "push-pull";
	}
}

/* A user line name: lower-case letters, digits, '-' and '_', starting with a
 * letter. */
static int
name_valid(const char *s)
{
	size_t i;

	if (s[0] < 'a' || s[0] > 'z')
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= LINESPEC_NAME_MAX)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
			s[i] == '_'))
			return 0;
	}
	return 1;
}

/* Tells whether a config key names a line, and which role it has. */
int
linespec_key(const char *key, enum linespec_role *ret_role)
{
	unsigned int i;
	const char *name;

	for (i = 0; i < LINESPEC_USER; i++) {
		if (strcmp(key, role_names[i]) == 0) {
			*ret_role = i;
			return 0;
		}
	}
	if (strncmp(key, "line.", 5) != 0)
		return -ENOENT;
	name = key + 5;
	if (!name_valid(name))
		return error_set(-EINVAL,
		    "%.*s: a user line is written line.NAME, NAME being 1-%d lower-case letters, digits, '-' or '_', starting with a letter",
		    LINESPEC_VALUE_MAX, key, LINESPEC_NAME_MAX);
	for (i = 0; i < LINESPEC_USER; i++)
		if (strcmp(name, role_names[i]) == 0)
			return error_set(-EINVAL,
			    "%s: '%s' is a role; write %s = CHIP:OFFSET instead",
			    key, name, name);
	*ret_role = LINESPEC_USER;
	return 0;
}

/* Parses a decimal number made of digits only, at most max. */
static int
parse_uint(const char *s, size_t len, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -ERANGE;
	}
	*ret = v;
	return 0;
}

/* Parses the CHIP:OFFSET token. */
static int
parse_location(const char *key, const char *value, const char *tok, size_t len,
    struct linespec *spec)
{
	const char *colon = NULL;
	unsigned long off;
	size_t i, chiplen;
	int r;

	for (i = 0; i < len; i++)
		if (tok[i] == ':')
			colon = tok + i;
	if (colon == NULL)
		return bad(key, value,
		    "'%.*s' has no ':'; the line is CHIP:OFFSET first, "
		    "e.g. gpiochip0:23",
		    (int)len, tok);
	chiplen = (size_t)(colon - tok);
	if (chiplen == 0)
		return bad(key, value,
		    "no chip before ':'; write CHIP:OFFSET, e.g. gpiochip0:23");
	if (chiplen > LINESPEC_CHIP_MAX)
		return bad(key, value, "the chip name is longer than %d bytes",
		    LINESPEC_CHIP_MAX);
	for (i = 0; i < chiplen; i++)
		if ((unsigned char)tok[i] < 0x21 ||
		    (unsigned char)tok[i] > 0x7e)
			return bad(key, value,
			    "the chip name may hold printable ASCII only");
	r = parse_uint(colon + 1, len - chiplen - 1, LINESPEC_OFFSET_MAX, &off);
	if (r == -ERANGE)
		return bad(key, value, "the offset is larger than %d",
		    LINESPEC_OFFSET_MAX);
	if (r < 0)
		return bad(key, value,
		    "the offset '%.*s' is not a decimal number; write "
		    "CHIP:OFFSET, e.g. gpiochip0:23",
		    (int)(len - chiplen - 1), colon + 1);
	memcpy(spec->chip, tok, chiplen);
	spec->chip[chiplen] = '\0';
	spec->offset = (unsigned int)off;
	return 0;
}

/* Compares a token with a word. */
static int
tok_is(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(tok, word, len) == 0;
}

/* Applies one flag token; seen[] catches contradictions and repeats. */
static int
parse_flag(const char *key, const char *value, const char *tok, size_t len,
    struct linespec *spec, int seen[4])
{
	enum { DIR, POLARITY, BIAS, DRIVE };
	unsigned long ms;
	int kind, r;

	if (tok_is(tok, len, "input") || tok_is(tok, len, "output")) {
		kind = DIR;
		spec->dir = tok[0] == 'i' ? LINESPEC_INPUT : LINESPEC_OUTPUT;
	} else if (tok_is(tok, len, "active-low") ||
	    tok_is(tok, len, "active-high")) {
		kind = POLARITY;
		spec->active_low = tok[7] == 'l';
	} else if (tok_is(tok, len, "pull-up")) {
		kind = BIAS;
		spec->bias = LINESPEC_BIAS_PULL_UP;
	} else if (tok_is(tok, len, "pull-down")) {
		kind = BIAS;
		spec->bias = LINESPEC_BIAS_PULL_DOWN;
	} else if (tok_is(tok, len, "bias-disable")) {
		kind = BIAS;
		spec->bias = LINESPEC_BIAS_DISABLE;
	} else if (tok_is(tok, len, "open-drain")) {
		kind = DRIVE;
		spec->drive = LINESPEC_OPEN_DRAIN;
	} else if (tok_is(tok, len, "open-source")) {
		kind = DRIVE;
		spec->drive = LINESPEC_OPEN_SOURCE;
	} else if (tok_is(tok, len, "push-pull")) {
		kind = DRIVE;
		spec->drive = LINESPEC_PUSH_PULL;
	} else if (tok_is(tok, len, "poll")) {
		if (spec->poll)
			return bad(key, value, "poll is given twice");
		spec->poll = 1;
		return 0;
	} else if (len >= 9 && memcmp(tok, "debounce=", 9) == 0) {
		if (spec->debounce_ms >= 0)
			return bad(key, value, "debounce is given twice");
		r = parse_uint(tok + 9, len - 9, LINESPEC_DEBOUNCE_MAX, &ms);
		if (r < 0)
			return bad(key, value,
			    "debounce=%.*s: give milliseconds, 0-%d",
			    (int)(len - 9), tok + 9, LINESPEC_DEBOUNCE_MAX);
		spec->debounce_ms = (int)ms;
		return 0;
	} else
		return bad(key, value, "unknown flag '%.*s'; known: %s",
		    (int)len, tok, FLAGS_KNOWN);
	if (seen[kind])
		return bad(key, value,
		    "'%.*s' conflicts with or repeats an earlier flag",
		    (int)len, tok);
	seen[kind] = 1;
	return 0;
}

/* Checks that the flags fit the role and the direction. */
static int
check_spec(const char *key, const char *value, struct linespec *spec)
{
	enum linespec_dir want = linespec_role_dir(spec->role);

	if (want != LINESPEC_DIR_UNSET && spec->dir != LINESPEC_DIR_UNSET &&
	    spec->dir != want)
		return bad(key, value,
		    "%s is an %s role; it cannot be an %s line", key,
		    linespec_dir_name(want), linespec_dir_name(spec->dir));
	if (spec->dir == LINESPEC_DIR_UNSET)
		spec->dir = want;
	if (spec->dir == LINESPEC_DIR_UNSET)
		return bad(
		    key, value, "a user line must say 'input' or 'output'");
	if (spec->dir == LINESPEC_OUTPUT && spec->bias != LINESPEC_BIAS_AS_IS)
		return bad(key, value, "%s applies to inputs only",
		    linespec_bias_name(spec->bias));
	if (spec->dir == LINESPEC_OUTPUT && spec->debounce_ms >= 0)
		return bad(key, value, "debounce applies to inputs only");
	if (spec->dir == LINESPEC_OUTPUT && spec->poll)
		return bad(key, value, "poll applies to inputs only");
	if (spec->dir == LINESPEC_INPUT && spec->drive != LINESPEC_PUSH_PULL)
		return bad(key, value, "%s applies to outputs only",
		    linespec_drive_name(spec->drive));
	return 0;
}

/* Parses one config entry into a line spec. */
int
linespec_parse(const char *key, const char *value, struct linespec *ret)
{
	struct linespec spec;
	const char *p, *tok;
	size_t len;
	int seen[4] = {0}, first = 1, r;

	memset(&spec, 0, sizeof(spec));
	spec.debounce_ms = -1;
	if ((r = linespec_key(key, &spec.role)) < 0) {
		if (r == -ENOENT)
			return error_set(-EINVAL,
			    "%.*s: not a line; lines are power-button, reset-button, power-led, hdd-led, capture-reset, hid-reset or line.NAME",
			    LINESPEC_VALUE_MAX, key);
		return r;
	}
	snprintf(spec.name, sizeof(spec.name), "%s",
	    spec.role == LINESPEC_USER ? key + 5 : key);
	if (strlen(value) > LINESPEC_VALUE_MAX)
		return bad(
		    key, value, "longer than %d bytes", LINESPEC_VALUE_MAX);
	p = value;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		tok = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - tok);
		if (first)
			r = parse_location(key, value, tok, len, &spec);
		else
			r = parse_flag(key, value, tok, len, &spec, seen);
		if (r < 0)
			return r;
		first = 0;
	}
	if (first)
		return bad(key, value,
		    "empty; write CHIP:OFFSET [flags], e.g. gpiochip0:23");
	if ((r = check_spec(key, value, &spec)) < 0)
		return r;
	*ret = spec;
	return 0;
}

/* Writes the canonical value text of a spec. */
int
linespec_format(const struct linespec *spec, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "%s:%u %s%s%s%s%s%s", spec->chip, spec->offset,
	    linespec_dir_name(spec->dir), spec->active_low ? " active-low" : "",
	    spec->bias != LINESPEC_BIAS_AS_IS ? " " : "",
	    spec->bias != LINESPEC_BIAS_AS_IS ? linespec_bias_name(spec->bias)
					      : "",
	    spec->drive != LINESPEC_PUSH_PULL ? " " : "",
	    spec->drive != LINESPEC_PUSH_PULL ? linespec_drive_name(spec->drive)
					      : "");
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	if (spec->debounce_ms >= 0) {
		n += snprintf(buf + n, len - (size_t)n, " debounce=%d",
		    spec->debounce_ms);
		if ((size_t)n >= len)
			return -ENOSPC;
	}
	if (spec->poll) {
		n += snprintf(buf + n, len - (size_t)n, " poll");
		if ((size_t)n >= len)
			return -ENOSPC;
	}
	return 0;
}
