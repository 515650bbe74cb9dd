/*
 * rights.c -- which caller may drive which line (see rights.h).
 *
 * A small table of callers by user name, resolved to uids once at start
 * so a request never waits for a user database (NSS may be on the
 * network).  A request is allowed when the caller's uid has an entry that
 * says "all" or lists the line; a uid with no entry may read only.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "lines.h"
#include "linespec.h"
#include "rights.h"
#include "xmalloc.h"

#define RIGHTS_PREFIX "caller."

struct rights_caller {
	char *user;
	int all;      /* every line, and /atx */
	char **lines; /* the lines it may drive, unless all */
	size_t nlines;
	int configured; /* from the config: a typo is an error */
	int known;	/* the user exists; uid is valid */
	uid_t uid;
};

struct rights {
	struct rights_caller *c;
	size_t n;
};

/* The packaged users (systemd/sysusers-kaputtkvm.conf). */
static const struct {
	const char *user, *value;
} rights_defaults[] = {
    {"kaputtkvm-capd", "capture-reset"}, {"kaputtkvm-hidd", "hid-reset"},
    {"kaputtkvm-www", "all"}, /* the front door */
    /* Redfish's ComputerSystem.Reset (redfishd/README.md) */
    {"kaputtkvm-redfishd", "power-button reset-button"},
    {"www-data", "all"}, /* the front door of earlier installs */
};

/* Empties a caller's rights. */
static void
rights_caller_clear(struct rights_caller *c)
{
	size_t i;

	for (i = 0; i < c->nlines; i++)
		free(c->lines[i]);
	free(c->lines);
	c->lines = NULL;
	c->nlines = 0;
	c->all = 0;
}

/* Parses "all", "none" or line names separated by blanks or commas. */
static int
rights_parse(struct rights_caller *c, const char *value)
{
	static const char sep[] = " \t,";
	char *copy, *tok, *save = NULL;

	rights_caller_clear(c);
	if (strcmp(value, "all") == 0) {
		c->all = 1;
		return 0;
	}
	if (strcmp(value, "none") == 0)
		return 0;
	copy = xstrdup(value);
	for (tok = strtok_r(copy, sep, &save); tok != NULL;
	     tok = strtok_r(NULL, sep, &save)) {
		if (strlen(tok) > LINESPEC_NAME_MAX ||
		    strcmp(tok, "all") == 0 || strcmp(tok, "none") == 0) {
			free(copy);
			rights_caller_clear(c);
			return error_set(-EINVAL,
			    "write \"all\", \"none\" or the names of lines, such as \"capture-reset\"");
		}
		c->lines =
		    xreallocarray(c->lines, c->nlines + 1, sizeof(*c->lines));
		c->lines[c->nlines++] = xstrdup(tok);
	}
	free(copy);
	if (c->nlines == 0)
		return error_set(-EINVAL,
		    "write \"all\", \"none\" or the names of lines, such as \"capture-reset\"");
	return 0;
}

/* The caller named user, added if new. */
static struct rights_caller *
rights_caller(struct rights *rs, const char *user)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->c[i].user, user) == 0)
			return &rs->c[i];
	rs->c = xreallocarray(rs->c, rs->n + 1, sizeof(*rs->c));
	memset(&rs->c[rs->n], 0, sizeof(rs->c[rs->n]));
	rs->c[rs->n].user = xstrdup(user);
	return &rs->c[rs->n++];
}

struct rights *
rights_new(void)
{
	struct rights *rs = xcalloc(1, sizeof(*rs));
	size_t i;

	for (i = 0; i < sizeof(rights_defaults) / sizeof(rights_defaults[0]);
	     i++)
		if (rights_parse(rights_caller(rs, rights_defaults[i].user),
			rights_defaults[i].value) < 0)
			abort();
	return rs;
}

void
rights_free(struct rights *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++) {
		rights_caller_clear(&rs->c[i]);
		free(rs->c[i].user);
	}
	free(rs->c);
	free(rs);
}

int
rights_config_key(struct rights *rs, const char *key, const char *value)
{
	struct rights_caller *c;
	const char *user;

	if (strncmp(key, RIGHTS_PREFIX, strlen(RIGHTS_PREFIX)) != 0)
		return -ENOENT;
	user = key + strlen(RIGHTS_PREFIX);
	if (*user == '\0' || strlen(user) > 64 ||
	    strspn(user,
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"0123456789._-") != strlen(user))
		return error_set(-EINVAL,
		    "write caller.USER with a user name, such as caller.kaputtkvm-capd");
	c = rights_caller(rs, user);
	c->configured = 1;
	return rights_parse(c, value);
}

int
rights_check(struct rights *rs, struct lines *ls)
{
	struct rights_caller *c;
	struct passwd pw, *res;
	char buf[4096];
	size_t i, j;

	for (i = 0; i < rs->n; i++) {
		c = &rs->c[i];
		for (j = 0; c->configured && j < c->nlines; j++)
			if (lines_find(ls, c->lines[j]) == NULL)
				return error_set(-EINVAL,
				    "caller.%s: no line named \"%s\" is configured",
				    c->user, c->lines[j]);
		res = NULL;
		if (getpwnam_r(c->user, &pw, buf, sizeof(buf), &res) == 0 &&
		    res != NULL) {
			c->known = 1;
			c->uid = pw.pw_uid;
		} else if (c->configured)
			return error_set(
			    -EINVAL, "caller.%s: no such user", c->user);
	}
	return 0;
}

/* Appends what c may drive to buf. */
static void
rights_describe(const struct rights_caller *c, char *buf, size_t len)
{
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	if (c == NULL || (!c->all && c->nlines == 0)) {
		snprintf(buf, len, "no line (it may read /state and /metrics)");
		return;
	}
	for (i = 0; i < c->nlines && off < len; i++) {
		n = snprintf(
		    buf + off, len - off, "%s%s", i ? ", " : "", c->lines[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

int
rights_allow(const struct rights *rs, uid_t uid, const char *line)
{
	const struct rights_caller *c = NULL;
	char may[256], who[96];
	size_t i, j;

	if (uid == 0 || uid == geteuid())
		return 0;
	for (i = 0; i < rs->n; i++) {
		if (!rs->c[i].known || rs->c[i].uid != uid)
			continue;
		c = &rs->c[i];
		if (c->all)
			return 0;
		for (j = 0; j < c->nlines; j++)
			if (strcmp(c->lines[j], line) == 0)
				return 0;
	}
	if (c != NULL)
		snprintf(who, sizeof(who), "user %s (uid %u)", c->user,
		    (unsigned int)uid);
	else
		snprintf(who, sizeof(who), "uid %u", (unsigned int)uid);
	rights_describe(c, may, sizeof(may));
	return error_set(-EPERM,
	    "%s may not drive %s; this caller may use: %s. A person's presses come through the web console; caller.USER in [gpiod-ctl] grants more",
	    who, line, may);
}
