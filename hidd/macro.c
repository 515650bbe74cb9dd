/*
 * macro.c -- checking and compiling macros (macro.h).
 *
 * The JSON is walked once: each step is checked (unknown fields refused,
 * the one action it holds of the right type and in range) and appended to
 * a growing array of operations.  The keys the macro holds are followed as
 * it compiles, so a text step can first let them up, and the end lets up
 * whatever is still down.  The first error stops the walk and names its
 * step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "keymap.h"
#include "macro.h"
#include "paste.h"
#include "utf8.h"
#include "xmalloc.h"

struct macro_build {
	struct macro_op *ops;
	size_t n, cap;
	uint8_t held[32]; /* bit per usage */
	size_t nheld;
	struct paste *p;
	const char *layout; /* the macro's or the default */
	size_t step;	    /* from 1, for messages */
};

/* A name for the store and the URL. */
int
macro_name_check(const char *name)
{
	size_t i, len;
	char q[40];

	if (name == NULL || *name == '\0')
		return error_set(-EINVAL,
		    "a macro needs a name: 1 to %d letters, digits, spaces or \"-_.+\"",
		    MACRO_NAME_MAX);
	len = strlen(name);
	if (len > MACRO_NAME_MAX)
		return error_set(-EINVAL,
		    "the macro name is %zu bytes long; at most %d are allowed",
		    len, MACRO_NAME_MAX);
	if (name[0] == ' ' || name[0] == '.')
		return error_set(-EINVAL,
		    "the macro name \"%s\" starts with a space or a dot; start it with a letter or digit",
		    utf8_quote(name, len, q, sizeof(q)));
	for (i = 0; i < len; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == ' ' || c == '-' ||
		    c == '_' || c == '.' || c == '+')
			continue;
		return error_set(-EINVAL,
		    "the macro name \"%s\" holds a character other than letters, digits, spaces and \"-_.+\"",
		    utf8_quote(name, len, q, sizeof(q)));
	}
	return 0;
}

/* Appends one operation, bounded. */
static int
macro_add(struct macro_build *mb, uint8_t kind, uint8_t usage, uint8_t dm,
    uint32_t ms)
{
	if (mb->n == MACRO_MAX_OPS)
		return error_set(-EMSGSIZE,
		    "step %zu: the macro is longer than %d reports and pauses in all; split it",
		    mb->step, MACRO_MAX_OPS);
	if (mb->n == mb->cap) {
		mb->cap = mb->cap ? mb->cap * 2 : 64;
		mb->ops = xreallocarray(mb->ops, mb->cap, sizeof(*mb->ops));
	}
	mb->ops[mb->n].kind = kind;
	mb->ops[mb->n].usage = usage;
	mb->ops[mb->n].down_mods = dm;
	mb->ops[mb->n].ms = ms;
	mb->n++;
	return 0;
}

/* A key down or up, following what is held. */
static int
macro_key(struct macro_build *mb, uint8_t usage, int down)
{
	uint8_t bit = (uint8_t)(1u << (usage & 7));
	int was = (mb->held[usage >> 3] & bit) != 0;

	if (was == down)
		return 0; /* nothing would change on the wire */
	if (down) {
		mb->held[usage >> 3] |= bit;
		mb->nheld++;
	} else {
		mb->held[usage >> 3] &= (uint8_t)~bit;
		mb->nheld--;
	}
	return macro_add(mb, MACRO_OP_KEY, usage, down ? 1 : 0, 0);
}

/* Lets every held key up in one report. */
static int
macro_all_up(struct macro_build *mb)
{
	if (mb->nheld == 0)
		return 0;
	memset(mb->held, 0, sizeof(mb->held));
	mb->nheld = 0;
	return macro_add(mb, MACRO_OP_REPORT, 0, 0, 0);
}

/* A key code of a step, to its usage. */
static int
macro_usage(struct macro_build *mb, json_t *v, const char *field, uint8_t *ret)
{
	if (!json_is_string(v))
		return error_set(-EINVAL,
		    "step %zu: \"%s\" must be a key name (a KeyboardEvent.code like \"KeyA\")",
		    mb->step, field);
	if (keymap_usage(json_string_value(v), ret) < 0)
		return error_set(
		    -EINVAL, "step %zu: %s", mb->step, error_get());
	return 0;
}

/* {"key": CODE} or {"key": CODE, "down": BOOL}. */
static int
macro_step_key(struct macro_build *mb, json_t *step)
{
	json_t *down = json_object_get(step, "down");
	uint8_t u;
	int r;

	if ((r = macro_usage(mb, json_object_get(step, "key"), "key", &u)) < 0)
		return r;
	if (down != NULL && !json_is_boolean(down))
		return error_set(-EINVAL,
		    "step %zu: \"down\" must be true (press) or false (release)",
		    mb->step);
	if (down != NULL)
		return macro_key(mb, u, json_is_true(down));
	if ((r = macro_key(mb, u, 1)) < 0)
		return r;
	return macro_key(mb, u, 0);
}

/* {"keys": [CODE, ...]}: pressed in order, released in reverse. */
static int
macro_step_keys(struct macro_build *mb, json_t *step)
{
	json_t *keys = json_object_get(step, "keys");
	uint8_t u[MACRO_MAX_COMBO];
	size_t i, n;
	int r;

	n = json_array_size(keys);
	if (!json_is_array(keys) || n == 0 || n > MACRO_MAX_COMBO)
		return error_set(-EINVAL,
		    "step %zu: \"keys\" must be a list of 1 to %d key names, e.g. [\"ControlLeft\", \"AltLeft\", \"Delete\"]",
		    mb->step, MACRO_MAX_COMBO);
	for (i = 0; i < n; i++)
		if ((r = macro_usage(
			 mb, json_array_get(keys, i), "keys", &u[i])) < 0)
			return r;
	for (i = 0; i < n; i++)
		if ((r = macro_key(mb, u[i], 1)) < 0)
			return r;
	while (n-- > 0)
		if ((r = macro_key(mb, u[n], 0)) < 0)
			return r;
	return 0;
}

/* The reports of a text, as paste types them. */
static int
macro_strokes(struct macro_build *mb, const struct paste_stroke *s, size_t n)
{
	struct paste_cursor cur;
	uint8_t rep[8];
	int r;

	memset(&cur, 0, sizeof(cur));
	while (paste_next_report(s, n, &cur, rep))
		if ((r = macro_add(mb, MACRO_OP_REPORT, rep[2], rep[0], 0)) < 0)
			return r;
	return 0;
}

/* {"text": TEXT, "layout": XKB}. */
static int
macro_step_text(struct macro_build *mb, json_t *step)
{
	json_t *text = json_object_get(step, "text"),
	       *layout = json_object_get(step, "layout");
	const struct paste_layout *l;
	struct paste_stroke *s;
	size_t n;
	int r;

	if (!json_is_string(text) || json_string_length(text) > MACRO_MAX_TEXT)
		return error_set(-EINVAL,
		    "step %zu: \"text\" must be a string of at most %d bytes",
		    mb->step, MACRO_MAX_TEXT);
	if (layout != NULL && !json_is_string(layout))
		return error_set(-EINVAL,
		    "step %zu: \"layout\" must be an XKB layout name like \"de\"",
		    mb->step);
	if (mb->p == NULL)
		return error_set(-EINVAL,
		    "step %zu: text cannot be typed: paste is not available (no xkb context)",
		    mb->step);
	if ((r = paste_layout(mb->p,
		 layout ? json_string_value(layout) : mb->layout, &l)) < 0 ||
	    (r = paste_map(l, json_string_value(text), json_string_length(text),
		 &s, &n)) < 0)
		return error_set(r, "step %zu: %s", mb->step, error_get());
	if ((r = macro_all_up(mb)) == 0)
		r = macro_strokes(mb, s, n);
	free(s);
	return r;
}

/* {"delay_ms": N}. */
static int
macro_step_delay(struct macro_build *mb, json_t *step)
{
	json_t *v = json_object_get(step, "delay_ms");
	json_int_t ms = json_integer_value(v);

	if (!json_is_integer(v) || ms < 0 || ms > MACRO_MAX_DELAY)
		return error_set(-EINVAL,
		    "step %zu: \"delay_ms\" must be a whole number of milliseconds from 0 to %d",
		    mb->step, MACRO_MAX_DELAY);
	return macro_add(mb, MACRO_OP_DELAY, 0, 0, (uint32_t)ms);
}

/* The one action a step holds; -EINVAL for none or several. */
static int
macro_action(struct macro_build *mb, json_t *step, size_t *ret)
{
	static const char *const actions[] = {
	    "key", "keys", "text", "delay_ms"};
	size_t i, n = 0;

	for (i = 0; i < 4; i++)
		if (json_object_get(step, actions[i]) != NULL) {
			if (n++ > 0)
				return error_set(-EINVAL,
				    "step %zu: holds both \"%s\" and \"%s\"; give one action per step",
				    mb->step, actions[*ret], actions[i]);
			*ret = i;
		}
	if (n == 0)
		return error_set(-EINVAL,
		    "step %zu: holds no action: give \"key\", \"keys\", \"text\" or \"delay_ms\"",
		    mb->step);
	return 0;
}

/* One step: its action, and no field that action does not take. */
static int
macro_step(struct macro_build *mb, json_t *step)
{
	static const char *const extra[] = {"down", NULL, "layout", NULL};
	static const char *const names[] = {"key", "keys", "text", "delay_ms"};
	const char *key;
	json_t *v;
	size_t a = 0;
	char q[40];
	int r;

	if (!json_is_object(step))
		return error_set(-EINVAL,
		    "step %zu: a step is an object like {\"key\": \"KeyA\"}, {\"keys\": [...]}, {\"text\": \"...\"} or {\"delay_ms\": 100}",
		    mb->step);
	if ((r = macro_action(mb, step, &a)) < 0)
		return r;
	json_object_foreach(step, key, v)
	{
		if (strcmp(key, names[a]) == 0 ||
		    (extra[a] != NULL && strcmp(key, extra[a]) == 0))
			continue;
		return error_set(-EINVAL,
		    "step %zu: unknown field \"%s\" in a \"%s\" step", mb->step,
		    utf8_quote(key, strlen(key), q, sizeof(q)), names[a]);
	}
	switch (a) {
	case 0:
		return macro_step_key(mb, step);
	case 1:
		return macro_step_keys(mb, step);
	case 2:
		return macro_step_text(mb, step);
	default:
		return macro_step_delay(mb, step);
	}
}

/* The macro's own fields. */
static int
macro_check_top(json_t *macro, json_t **ret_steps, const char **ret_layout)
{
	json_t *steps, *layout, *v;
	const char *key;
	char q[40];

	if (!json_is_object(macro))
		return error_set(
		    -EINVAL, "a macro is a JSON object: {\"steps\": [...]}");
	json_object_foreach(macro, key, v)
	{
		if (strcmp(key, "steps") == 0 || strcmp(key, "layout") == 0 ||
		    strcmp(key, "name") == 0)
			continue;
		return error_set(-EINVAL,
		    "unknown field \"%s\": a macro holds \"steps\" and optionally \"layout\" and \"name\"",
		    utf8_quote(key, strlen(key), q, sizeof(q)));
	}
	steps = json_object_get(macro, "steps");
	if (!json_is_array(steps) || json_array_size(steps) == 0 ||
	    json_array_size(steps) > MACRO_MAX_STEPS)
		return error_set(-EINVAL,
		    "\"steps\" must be a list of 1 to %d steps",
		    MACRO_MAX_STEPS);
	layout = json_object_get(macro, "layout");
	if (layout != NULL && !json_is_string(layout))
		return error_set(-EINVAL,
		    "\"layout\" must be an XKB layout name like \"de\"");
	*ret_steps = steps;
	*ret_layout = layout ? json_string_value(layout) : NULL;
	return 0;
}

/* Checks and compiles a macro. */
int
macro_compile(json_t *macro, struct paste *p, const char *layout,
    struct macro_op **ret, size_t *ret_n)
{
	struct macro_build mb;
	const char *own = NULL;
	json_t *steps = NULL;
	size_t i;
	int r;

	if ((r = macro_check_top(macro, &steps, &own)) < 0)
		return r;
	memset(&mb, 0, sizeof(mb));
	mb.p = p;
	mb.layout = own ? own : layout ? layout : "us";
	for (i = 0; i < json_array_size(steps) && r == 0; i++) {
		mb.step = i + 1;
		r = macro_step(&mb, json_array_get(steps, i));
	}
	if (r == 0)
		r = macro_all_up(&mb);
	if (r < 0 || ret == NULL) {
		free(mb.ops);
		return r;
	}
	*ret = mb.ops;
	*ret_n = mb.n;
	return 0;
}
