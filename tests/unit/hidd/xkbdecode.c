/*
 * xkbdecode.c -- see xkbdecode.h.
 */
#include <stdlib.h>
#include <string.h>
#include <xkbcommon/xkbcommon.h>
#include <xkbcommon/xkbcommon-compose.h>

#include "keymap.h"
#include "xkbdecode.h"

struct xkbdecode {
	struct xkb_context *ctx;
	struct xkb_keymap *km;
	struct xkb_state *st;
	struct xkb_compose_table *ct;
	struct xkb_compose_state *cs;
	uint8_t prev[8];
	char *text;
	size_t len, cap;
};

struct xkbdecode *
xkbdecode_new(const char *layout, const char *variant)
{
	struct xkb_rule_names names = {"evdev", "pc105", layout, variant, ""};
	struct xkbdecode *d = calloc(1, sizeof(*d));

	d->ctx = xkb_context_new(XKB_CONTEXT_NO_ENVIRONMENT_NAMES);
	d->km = xkb_keymap_new_from_names(d->ctx, &names, 0);
	if (d->km == NULL) {
		xkb_context_unref(d->ctx);
		free(d);
		return NULL;
	}
	d->st = xkb_state_new(d->km);
	d->ct = xkb_compose_table_new_from_locale(d->ctx, "en_US.UTF-8", 0);
	d->cs = d->ct ? xkb_compose_state_new(d->ct, 0) : NULL;
	d->cap = 1024;
	d->text = calloc(1, d->cap);
	return d;
}

void
xkbdecode_free(struct xkbdecode *d)
{
	if (d == NULL)
		return;
	xkb_compose_state_unref(d->cs);
	xkb_compose_table_unref(d->ct);
	xkb_state_unref(d->st);
	xkb_keymap_unref(d->km);
	xkb_context_unref(d->ctx);
	free(d->text);
	free(d);
}

static void
xkbdecode_put(struct xkbdecode *d, const char *s, size_t n)
{
	while (d->len + n + 1 > d->cap) {
		d->cap *= 2;
		d->text = realloc(d->text, d->cap);
	}
	memcpy(d->text + d->len, s, n);
	d->len += n;
	d->text[d->len] = '\0';
}

/* One key event through xkb and compose. */
void
xkbdecode_evdev(struct xkbdecode *d, unsigned int code, int down)
{
	xkb_keycode_t kc = code + 8;
	xkb_keysym_t sym;
	char buf[64];
	int n;

	if (!down) {
		xkb_state_update_key(d->st, kc, XKB_KEY_UP);
		return;
	}
	sym = xkb_state_key_get_one_sym(d->st, kc);
	xkb_state_update_key(d->st, kc, XKB_KEY_DOWN);
	if (sym == XKB_KEY_Return) {
		xkbdecode_put(d, "\n", 1);
		return;
	}
	if (d->cs != NULL &&
	    xkb_compose_state_feed(d->cs, sym) == XKB_COMPOSE_FEED_ACCEPTED) {
		switch (xkb_compose_state_get_status(d->cs)) {
		case XKB_COMPOSE_COMPOSING:
			return;
		case XKB_COMPOSE_COMPOSED:
			n = xkb_compose_state_get_utf8(d->cs, buf, sizeof(buf));
			xkbdecode_put(d, buf, (size_t)n);
			xkb_compose_state_reset(d->cs);
			return;
		case XKB_COMPOSE_CANCELLED:
			xkb_compose_state_reset(d->cs);
			return;
		case XKB_COMPOSE_NOTHING:
			break;
		}
	}
	n = xkb_keysym_to_utf8(sym, buf, sizeof(buf));
	if (n > 1)
		xkbdecode_put(d, buf, (size_t)n - 1);
}

/* One key event by HID usage. */
static void
xkbdecode_key(struct xkbdecode *d, uint8_t usage, int down)
{
	const struct keymap_entry *e = keymap_by_usage(usage);

	if (e != NULL && e->evdev != 0)
		xkbdecode_evdev(d, e->evdev, down);
}

static int
xkbdecode_has(const uint8_t *r, uint8_t u)
{
	int i;

	for (i = 2; i < 8; i++)
		if (r[i] == u)
			return 1;
	return 0;
}

void
xkbdecode_report(struct xkbdecode *d, const uint8_t r[8])
{
	int i;

	for (i = 0; i < 8; i++)
		if ((d->prev[0] ^ r[0]) & (1 << i))
			xkbdecode_key(d, (uint8_t)(0xe0 + i), r[0] & (1 << i));
	for (i = 2; i < 8; i++)
		if (d->prev[i] > 3 && !xkbdecode_has(r, d->prev[i]))
			xkbdecode_key(d, d->prev[i], 0);
	for (i = 2; i < 8; i++)
		if (r[i] > 3 && !xkbdecode_has(d->prev, r[i]))
			xkbdecode_key(d, r[i], 1);
	memcpy(d->prev, r, 8);
}

const char *
xkbdecode_text(const struct xkbdecode *d, size_t *ret_len)
{
	if (ret_len != NULL)
		*ret_len = d->len;
	return d->text;
}
