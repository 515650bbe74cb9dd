/*
 * paste.c -- the character tables behind paste.h.
 *
 * For every key of the compiled keymap (first group only) and every level,
 * the keysym's character is recorded with the cheapest modifier set that
 * reaches that level (fewest modifiers, then lowest key code).  Then each
 * dead key on the layout is combined with every directly typeable base
 * character through the compose table; a result not typeable directly gets
 * the two-stroke sequence.  Lookups are a binary search over the sorted
 * table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xkbcommon/xkbcommon.h>
#include <xkbcommon/xkbcommon-compose.h>

#include "error.h"
#include "keymap.h"
#include "paste.h"
#include "xmalloc.h"
#include "utf8.h"

struct paste_entry {
	uint32_t cp;
	uint8_t n;    /* strokes: 1 or 2 */
	uint8_t cost; /* modifiers pressed in all */
	struct paste_stroke s[2];
	xkb_keysym_t sym; /* of a one-stroke entry */
};

struct paste_layout {
	char name[PASTE_LAYOUT_MAX];
	struct paste_entry *e;
	size_t n, cap;
	unsigned int last_used;
};

struct paste {
	struct xkb_context *ctx;
	struct xkb_compose_table *compose; /* NULL: no dead keys */
	struct paste_layout *cache[PASTE_MAX_CACHED];
	unsigned int clock;
};

/* Creates the xkb context and loads the compose table. */
int
paste_new(struct paste **ret)
{
	struct paste *p = xcalloc(1, sizeof(*p));

	p->ctx = xkb_context_new(XKB_CONTEXT_NO_ENVIRONMENT_NAMES);
	if (p->ctx == NULL) {
		free(p);
		return error_set(-ENOMEM, "cannot create an xkb context");
	}
	/* xkbcommon prints its own complaints otherwise. */
	xkb_context_set_log_level(p->ctx, XKB_LOG_LEVEL_CRITICAL);
	p->compose = xkb_compose_table_new_from_locale(
	    p->ctx, "en_US.UTF-8", XKB_COMPOSE_COMPILE_NO_FLAGS);
	*ret = p;
	return 0;
}

/* Frees a layout table. */
static void
paste_layout_free(struct paste_layout *l)
{
	if (l == NULL)
		return;
	free(l->e);
	free(l);
}

/* Frees everything; NULL is fine. */
void
paste_free(struct paste *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < PASTE_MAX_CACHED; i++)
		paste_layout_free(p->cache[i]);
	xkb_compose_table_unref(p->compose);
	xkb_context_unref(p->ctx);
	free(p);
}

/* Splits "de(nodeadkeys)" into layout and variant; checks characters. */
static int
paste_parse_name(const char *name, char *layout, char *variant)
{
	size_t len, i;
	const char *open;
	char q[48];

	if (name == NULL || *name == '\0')
		return error_set(-EINVAL, "a layout is required, e.g. \"us\"");
	len = strlen(name);
	if (len >= PASTE_LAYOUT_MAX)
		return error_set(-EINVAL, "layout name is longer than %d bytes",
		    PASTE_LAYOUT_MAX - 1);
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			(c >= '0' && c <= '9') || c == '_' || c == '-' ||
			c == '(' || c == ')')) {
			/* up to and with the whole character refused */
			size_t n = utf8_char(name + i, len - i);

			return error_set(-EINVAL,
			    "layout \"%s\" has a character that no XKB layout name has; write it like \"de\" or \"ch(fr)\"",
			    utf8_quote(name, i + (n ? n : 1), q, sizeof(q)));
		}
	}
	open = strchr(name, '(');
	if (open == NULL) {
		if (strchr(name, ')') != NULL)
			goto bad;
		strcpy(layout, name);
		*variant = '\0';
		return 0;
	}
	if (open == name || name[len - 1] != ')' || open + 2 >= name + len ||
	    strchr(open + 1, '(') != NULL ||
	    strchr(open, ')') != name + len - 1)
		goto bad;
	memcpy(layout, name, (size_t)(open - name));
	layout[open - name] = '\0';
	memcpy(variant, open + 1, (size_t)(name + len - 1 - open - 1));
	variant[name + len - 1 - open - 1] = '\0';
	return 0;
bad:
	return error_set(-EINVAL,
	    "layout \"%s\" is malformed: write LAYOUT or LAYOUT(VARIANT), e.g. \"us(intl)\"",
	    name);
}

/* Adds or improves the entry for e->cp. */
static void
paste_add(struct paste_layout *l, const struct paste_entry *e)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->e[i].cp != e->cp)
			continue;
		if (e->n < l->e[i].n ||
		    (e->n == l->e[i].n && e->cost < l->e[i].cost))
			l->e[i] = *e;
		return;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->e = xreallocarray(l->e, l->cap, sizeof(*l->e));
	}
	l->e[l->n++] = *e;
}

/* Orders entries by code point. */
static int
paste_cmp(const void *a, const void *b)
{
	const struct paste_entry *x = a, *y = b;

	return x->cp < y->cp ? -1 : x->cp > y->cp;
}

/* Keys paste never uses: the keypad (its levels follow Num Lock). */
static int
paste_skip_usage(uint8_t usage)
{
	return usage == 0 || (usage >= 0x53 && usage <= 0x63) ||
	    usage == 0x67 || usage == 0x85 || usage == 0xb6 || usage == 0xb7 ||
	    KEYMAP_IS_MODIFIER(usage);
}

/* 1 when sym is a dead key. */
static int
paste_is_dead(xkb_keysym_t sym)
{
	char name[64];

	if (xkb_keysym_get_name(sym, name, sizeof(name)) < 0)
		return 0;
	return strncmp(name, "dead_", 5) == 0;
}

/* The keycode and real modifier mask of the level-3 shift key: the key
 * whose first level is ISO_Level3_Shift, preferring Right Alt. */
static void
paste_find_level3(
    struct xkb_keymap *km, xkb_mod_mask_t *ret_mask, uint8_t *ret_hid)
{
	xkb_keycode_t kc, found = XKB_KEYCODE_INVALID;
	const xkb_keysym_t *syms;
	struct xkb_state *st;
	uint8_t usage;

	*ret_mask = 0;
	*ret_hid = 0;
	for (kc = xkb_keymap_min_keycode(km); kc <= xkb_keymap_max_keycode(km);
	     kc++) {
		if (xkb_keymap_key_get_syms_by_level(km, kc, 0, 0, &syms) !=
			1 ||
		    syms[0] != XKB_KEY_ISO_Level3_Shift || kc < 8)
			continue;
		usage = keymap_usage_from_evdev(kc - 8);
		if (!KEYMAP_IS_MODIFIER(usage))
			continue;
		if (found == XKB_KEYCODE_INVALID || usage == 0xe6) {
			found = kc;
			*ret_hid = (uint8_t)KEYMAP_MOD_BIT(usage);
		}
	}
	if (found == XKB_KEYCODE_INVALID)
		return;
	if ((st = xkb_state_new(km)) == NULL)
		return;
	xkb_state_update_key(st, found, XKB_KEY_DOWN);
	*ret_mask =
	    xkb_state_serialize_mods(st, XKB_STATE_MODS_EFFECTIVE) & 0xff;
	xkb_state_unref(st);
	if (*ret_mask == 0)
		*ret_hid = 0;
}

/* Lists what each key types directly, and the dead keys. */
static void
paste_scan_keys(struct paste_layout *l, struct xkb_keymap *km,
    struct paste_entry **dead, size_t *ndead)
{
	xkb_mod_mask_t shift, l3, masks[16], m, best;
	xkb_keycode_t kc;
	xkb_level_index_t lv, nlv;
	const xkb_keysym_t *syms;
	struct paste_entry e;
	size_t nm, i;
	uint8_t usage, l3hid, mods;
	uint32_t cp;

	shift = 1u << xkb_keymap_mod_get_index(km, XKB_MOD_NAME_SHIFT);
	paste_find_level3(km, &l3, &l3hid);
	for (kc = xkb_keymap_min_keycode(km); kc <= xkb_keymap_max_keycode(km);
	     kc++) {
		if (kc < 8 || kc - 8 > 0xffff)
			continue;
		usage = keymap_usage_from_evdev(kc - 8);
		if (paste_skip_usage(usage))
			continue;
		nlv = xkb_keymap_num_levels_for_key(km, kc, 0);
		for (lv = 0; lv < nlv; lv++) {
			if (xkb_keymap_key_get_syms_by_level(
				km, kc, 0, lv, &syms) != 1)
				continue;
			nm = xkb_keymap_key_get_mods_for_level(
			    km, kc, 0, lv, masks, 16);
			best = ~0u;
			for (i = 0; i < nm; i++) {
				m = masks[i];
				if (m & ~(shift | l3))
					continue;
				if (best == ~0u ||
				    __builtin_popcount(m) <
					__builtin_popcount(best))
					best = m;
			}
			if (best == ~0u)
				continue;
			mods =
			    (uint8_t)((best & shift ? KEYMAP_MOD_LSHIFT : 0) |
				(best & l3 ? l3hid : 0));
			memset(&e, 0, sizeof(e));
			e.n = 1;
			/* Shift is cheaper than AltGr: every host has it. */
			e.cost = (uint8_t)((mods & KEYMAP_MOD_LSHIFT ? 1 : 0) +
			    (mods & ~KEYMAP_MOD_LSHIFT ? 2 : 0));
			e.s[0].mods = mods;
			e.s[0].usage = usage;
			e.sym = syms[0];
			if (paste_is_dead(syms[0])) {
				*dead = xreallocarray(
				    *dead, *ndead + 1, sizeof(**dead));
				(*dead)[(*ndead)++] = e;
				continue;
			}
			cp = xkb_keysym_to_utf32(syms[0]);
			if (cp < 0x20 || cp == 0x7f ||
			    (cp >= 0x80 && cp < 0xa0))
				continue;
			e.cp = cp;
			paste_add(l, &e);
		}
	}
}

/* Adds what dead key + base character compose to. */
static void
paste_scan_dead(struct paste_layout *l, struct xkb_compose_table *table,
    const struct paste_entry *dead, size_t ndead)
{
	struct xkb_compose_state *cs;
	struct paste_entry e;
	size_t d, b, nbase = l->n;
	char utf8[16];
	uint32_t cp;
	int len;

	if (table == NULL || ndead == 0)
		return;
	if ((cs = xkb_compose_state_new(table, XKB_COMPOSE_STATE_NO_FLAGS)) ==
	    NULL)
		return;
	for (d = 0; d < ndead; d++) {
		for (b = 0; b < nbase; b++) {
			if (l->e[b].n != 1)
				continue;
			xkb_compose_state_reset(cs);
			xkb_compose_state_feed(cs, dead[d].sym);
			xkb_compose_state_feed(cs, l->e[b].sym);
			if (xkb_compose_state_get_status(cs) !=
			    XKB_COMPOSE_COMPOSED)
				continue;
			len =
			    xkb_compose_state_get_utf8(cs, utf8, sizeof(utf8));
			if (len <= 0 || len >= (int)sizeof(utf8) ||
			    paste_utf8_decode(
				(const uint8_t *)utf8, (size_t)len, &cp) != len)
				continue;
			if (cp < 0x20 || cp == 0x7f)
				continue;
			memset(&e, 0, sizeof(e));
			e.cp = cp;
			e.n = 2;
			e.s[0] = dead[d].s[0];
			e.s[1] = l->e[b].s[0];
			e.cost = (uint8_t)(dead[d].cost + l->e[b].cost);
			paste_add(l, &e);
		}
	}
	xkb_compose_state_unref(cs);
}

/* Compiles a layout into its table. */
static int
paste_compile(struct paste *p, const char *name, struct paste_layout **ret)
{
	char layout[PASTE_LAYOUT_MAX], variant[PASTE_LAYOUT_MAX];
	struct xkb_rule_names rmlvo;
	struct xkb_keymap *km;
	struct paste_layout *l;
	struct paste_entry *dead = NULL;
	size_t ndead = 0;
	int r;

	if ((r = paste_parse_name(name, layout, variant)) < 0)
		return r;
	memset(&rmlvo, 0, sizeof(rmlvo));
	rmlvo.rules = "evdev";
	rmlvo.model = "pc105";
	rmlvo.layout = layout;
	rmlvo.variant = variant;
	rmlvo.options = "";
	km = xkb_keymap_new_from_names(
	    p->ctx, &rmlvo, XKB_KEYMAP_COMPILE_NO_FLAGS);
	if (km == NULL)
		return error_set(-EINVAL,
		    "layout \"%s\" is not in the system's XKB data: use a name listed by GET /layouts, e.g. \"us\", \"de\", \"fr\", \"ch(fr)\", \"us(intl)\"",
		    name);
	l = xcalloc(1, sizeof(*l));
	snprintf(l->name, sizeof(l->name), "%s", name);
	paste_scan_keys(l, km, &dead, &ndead);
	paste_scan_dead(l, p->compose, dead, ndead);
	qsort(l->e, l->n, sizeof(*l->e), paste_cmp);
	free(dead);
	xkb_keymap_unref(km);
	*ret = l;
	return 0;
}

/* A cached layout, or a freshly compiled one (evicting the oldest). */
int
paste_layout(struct paste *p, const char *name, const struct paste_layout **ret)
{
	struct paste_layout *l;
	size_t i, slot = 0;
	int r;

	for (i = 0; i < PASTE_MAX_CACHED; i++) {
		l = p->cache[i];
		if (l != NULL && name != NULL && strcmp(l->name, name) == 0) {
			l->last_used = ++p->clock;
			*ret = l;
			return 0;
		}
	}
	if ((r = paste_compile(p, name, &l)) < 0)
		return r;
	for (i = 0; i < PASTE_MAX_CACHED; i++) {
		if (p->cache[i] == NULL) {
			slot = i;
			break;
		}
		if (p->cache[i]->last_used < p->cache[slot]->last_used)
			slot = i;
	}
	paste_layout_free(p->cache[slot]);
	p->cache[slot] = l;
	l->last_used = ++p->clock;
	*ret = l;
	return 0;
}

/* The layout's name as asked for. */
const char *
paste_layout_name(const struct paste_layout *l)
{
	return l->name;
}

/* Number of typeable characters. */
size_t
paste_layout_size(const struct paste_layout *l)
{
	return l->n;
}

/* Strokes for one code point. */
int
paste_lookup(
    const struct paste_layout *l, uint32_t cp, struct paste_stroke out[2])
{
	struct paste_entry key, *e;

	if (cp == '\n' || cp == '\r' || cp == '\t') {
		out[0].mods = 0;
		out[0].usage = cp == '\t' ? 0x2b : 0x28;
		return 1;
	}
	key.cp = cp;
	e = bsearch(&key, l->e, l->n, sizeof(*l->e), paste_cmp);
	if (e == NULL)
		return 0;
	memcpy(out, e->s, sizeof(e->s[0]) * e->n);
	return e->n;
}

/* One UTF-8 sequence (no overlongs, surrogates or values past U+10FFFF). */
int
paste_utf8_decode(const uint8_t *s, size_t len, uint32_t *ret_cp)
{
	uint32_t cp, min;
	int n, i;

	if (len == 0)
		return -1;
	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	} else
		return -1;
	if (len < (size_t)n)
		return -1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*ret_cp = cp;
	return n;
}

/* Appends "'x' (U+0078) at 3" for a refused character. */
static void
paste_describe(char *buf, size_t size, size_t *off, const uint8_t *s, int n,
    uint32_t cp, size_t pos)
{
	char shown[8];
	int w;

	if (*off >= size)
		return;
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		snprintf(shown, sizeof(shown), "%s", "");
	else
		snprintf(shown, sizeof(shown), "%.*s", n, (const char *)s);
	w = snprintf(buf + *off, size - *off, "%s\"%s\" (U+%04X) at %zu",
	    *off > 0 ? ", " : "", shown, cp, pos);
	if (w > 0)
		*off += (size_t)w;
}

/* Maps a whole text, or refuses it whole. */
int
paste_map(const struct paste_layout *l, const char *text, size_t len,
    struct paste_stroke **ret_strokes, size_t *ret_n)
{
	const uint8_t *s = (const uint8_t *)text;
	struct paste_stroke *out = NULL, st[2];
	size_t i = 0, n = 0, cap = 0, pos = 0, bad = 0;
	size_t off = 0;
	char list[360];
	uint32_t cp;
	int k, m;

	list[0] = '\0';
	while (i < len) {
		if ((k = paste_utf8_decode(s + i, len - i, &cp)) < 0) {
			free(out);
			return error_set(
			    -EINVAL, "text is not valid UTF-8 at byte %zu", i);
		}
		pos++;
		if (cp == '\r' && i + 1 < len && s[i + 1] == '\n') {
			i++; /* "\r\n" is one Enter */
			k = 1;
		}
		if ((m = paste_lookup(l, cp, st)) == 0) {
			if (bad < 10)
				paste_describe(list, sizeof(list), &off, s + i,
				    k, cp, pos);
			bad++;
		} else if (bad == 0) {
			if (n + 2 > cap) {
				cap = cap ? cap * 2 : 64;
				out = xreallocarray(out, cap, sizeof(*out));
			}
			memcpy(out + n, st, sizeof(st[0]) * (size_t)m);
			n += (size_t)m;
		}
		i += (size_t)k;
	}
	if (bad > 0) {
		free(out);
		return error_set(-EINVAL,
		    "layout \"%s\" cannot type %zu character%s of this text, so nothing was typed: %s%s; check the target's layout or remove them",
		    l->name, bad, bad == 1 ? "" : "s", list,
		    bad > 10 ? ", ..." : "");
	}
	*ret_strokes = out;
	*ret_n = n;
	return 0;
}

/* The next report of a stroke sequence; see paste.h. */
int
paste_next_report(const struct paste_stroke *s, size_t n,
    struct paste_cursor *c, uint8_t out[8])
{
	memset(out, 0, 8);
	while (c->i < n) {
		switch (c->phase) {
		case 0:
			c->phase = 1;
			if (c->mods == s[c->i].mods)
				break;
			c->mods = s[c->i].mods;
			out[0] = c->mods;
			return 1;
		case 1:
			c->phase = 2;
			out[0] = c->mods;
			out[2] = s[c->i].usage;
			return 1;
		default:
			c->phase = 0;
			c->i++;
			out[0] = c->mods;
			return 1;
		}
	}
	if (c->mods != 0) {
		c->mods = 0;
		return 1;
	}
	return 0;
}

/* Reads rules/evdev.lst from the first include path holding it. */
json_t *
paste_list_layouts(struct paste *p)
{
	json_t *arr = json_array();
	char line[512], *path = NULL, *name, *desc, *colon;
	unsigned int i, n = xkb_context_num_include_paths(p->ctx);
	FILE *f = NULL;
	int section = 0; /* 1 layout, 2 variant */

	for (i = 0; i < n && f == NULL; i++) {
		free(path);
		xasprintf(&path, "%s/rules/evdev.lst",
		    xkb_context_include_path_get(p->ctx, i));
		f = fopen(path, "re");
	}
	free(path);
	if (f == NULL)
		return arr;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '!') {
			section = strcmp(line, "! layout") == 0 ? 1
			    : strcmp(line, "! variant") == 0	? 2
								: 0;
			continue;
		}
		if (section == 0)
			continue;
		name = line + strspn(line, " ");
		if (*name == '\0')
			continue;
		desc = name + strcspn(name, " ");
		if (*desc != '\0')
			*desc++ = '\0';
		desc += strspn(desc, " ");
		if (section == 2) {
			/* "  intl   us: English (US, intl., ...)" */
			char *full;

			if ((colon = strchr(desc, ':')) == NULL)
				continue;
			*colon = '\0';
			xasprintf(&full, "%s(%s)", desc, name);
			desc = colon + 1 + strspn(colon + 1, " ");
			json_array_append_new(arr,
			    json_pack("{s:s, s:s}", "name", full, "description",
				desc));
			free(full);
		} else
			json_array_append_new(arr,
			    json_pack("{s:s, s:s}", "name", name, "description",
				desc));
	}
	fclose(f);
	return arr;
}

/* Names of the compiled layouts, most recently used first. */
json_t *
paste_cached_layouts(const struct paste *p)
{
	const struct paste_layout *order[PASTE_MAX_CACHED], *t;
	json_t *arr = json_array();
	size_t i, j, n = 0;

	for (i = 0; i < PASTE_MAX_CACHED; i++)
		if (p->cache[i] != NULL)
			order[n++] = p->cache[i];
	for (i = 1; i < n; i++)
		for (j = i;
		     j > 0 && order[j]->last_used > order[j - 1]->last_used;
		     j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(order[i]->name));
	return arr;
}
