/*
 * test_rights.c -- who may drive which line: the caller.USER syntax, the
 * built-in callers and their replacement, the checks against the lines,
 * and what a refusal says.  Users "daemon" and "bin" (in every Debian's
 * base-passwd) stand in for the packaged ones.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "lines.h"
#include "rights.h"
#include "tap.h"

static const struct lines_config cfg = {
    .backend = "test",
    .debounce_ms = 20,
    .poll_ms = 10,
    .consumer = "test",
};

static uid_t uid_daemon, uid_bin;

/* The lines every case uses. */
static struct lines *
make_lines(void)
{
	struct lines *ls = lines_new();

	if (lines_add(ls, "power-button", "gpiochip0:0") < 0 ||
	    lines_add(ls, "capture-reset", "gpiochip0:4") < 0 ||
	    lines_add(ls, "hid-reset", "gpiochip0:5") < 0 ||
	    lines_add(ls, "line.fan", "gpiochip0:6 output") < 0 ||
	    lines_check(ls, &cfg) < 0)
		diag("lines: %s", error_get());
	return ls;
}

/* Rights from caller keys (key, value, ..., NULL), checked. */
static struct rights *
make(struct lines *ls, const char *const *kv, int *ret)
{
	struct rights *rs = rights_new();
	int r = 0;

	error_clear();
	for (; kv[0] != NULL && r == 0; kv += 2)
		r = rights_config_key(rs, kv[0], kv[1]);
	if (r == 0)
		r = rights_check(rs, ls);
	*ret = r;
	return rs;
}

/* The caller may not drive line, and the message holds want. */
static void
refused(const struct rights *rs, uid_t uid, const char *line, const char *want,
    const char *what)
{
	const char *msg;

	error_clear();
	is_int(rights_allow(rs, uid, line), -EPERM, "%s is refused", what);
	msg = error_get();
	ok(msg != NULL && strstr(msg, want) != NULL, "  message has \"%s\"",
	    want);
	if (msg != NULL && strstr(msg, want) == NULL)
		diag("  message: %s", msg);
}

static void
test_defaults(struct lines *ls)
{
	static const char *const none[] = {NULL};
	struct rights *rs;
	int r;

	rs = make(ls, none, &r);
	is_int(r, 0, "the built-in callers check without their users");
	is_int(rights_allow(rs, 0, "power-button"), 0, "root may press power");
	is_int(rights_allow(rs, geteuid(), "power-button"), 0,
	    "gpiod-ctl's own user may press power");
	refused(rs, 4242, "capture-reset",
	    "uid 4242 may not drive "
	    "capture-reset",
	    "a user nobody named");
	refused(rs, 4242, "capture-reset", "may use: no line",
	    "  and it may use nothing");
	rights_free(rs);
}

static void
test_callers(struct lines *ls)
{
	static const char *const kv[] = {"caller.daemon", "capture-reset",
	    "caller.bin", "hid-reset, fan", NULL};
	static const char *const all[] = {"caller.daemon", "all", NULL};
	static const char *const nothing[] = {"caller.daemon", "none", NULL};
	struct rights *rs;
	int r;

	rs = make(ls, kv, &r);
	is_int(r, 0, "caller keys load: %s", r ? error_get() : "ok");
	is_int(rights_allow(rs, uid_daemon, "capture-reset"), 0,
	    "daemon may pulse capture-reset");
	refused(rs, uid_daemon, "power-button",
	    "may not drive power-button; this caller may use: capture-reset.",
	    "daemon pressing power");
	refused(rs, uid_daemon, "power-button", "user daemon (uid ",
	    "  named by its user");
	refused(rs, uid_daemon, "hid-reset", "may use: capture-reset.",
	    "daemon pulsing hid-reset");
	is_int(rights_allow(rs, uid_bin, "hid-reset"), 0,
	    "bin may pulse hid-reset");
	is_int(rights_allow(rs, uid_bin, "fan"), 0, "  and fan (a comma list)");
	refused(rs, uid_bin, "capture-reset", "may use: hid-reset, fan.",
	    "bin pulsing capture-reset");
	rights_free(rs);

	rs = make(ls, all, &r);
	is_int(r, 0, "all loads");
	is_int(rights_allow(rs, uid_daemon, "power-button"), 0,
	    "all may press power");
	rights_free(rs);

	rs = make(ls, nothing, &r);
	is_int(r, 0, "none loads");
	refused(rs, uid_daemon, "capture-reset", "may use: no line",
	    "none drives nothing");
	rights_free(rs);

	/* A later key of the same user replaces the earlier one, as a
	 * caller.kaputtkvm-capd replaces the built-in one. */
	{
		static const char *const twice[] = {
		    "caller.daemon", "all", "caller.daemon", "fan", NULL};

		rs = make(ls, twice, &r);
		is_int(r, 0, "a user given twice loads");
		refused(rs, uid_daemon, "power-button", "may use: fan.",
		    "  the last one counts");
		rights_free(rs);
	}
}

static void
test_bad(struct lines *ls)
{
	static const struct {
		const char *key, *value, *want, *what;
		int at_check;
	} bads[] = {
	    {"caller.daemon", "all fan", "write \"all\", \"none\"",
		"all with lines", 0},
	    {"caller.daemon", "", "write \"all\", \"none\"", "an empty list",
		0},
	    {"caller.daemon", " , ", "write \"all\", \"none\"",
		"only separators", 0},
	    {"caller.", "all", "caller.USER", "no user", 0},
	    {"caller.da/mon", "all", "caller.USER", "a slash in the user", 0},
	    {"caller.daemon", "capture-rest",
		"caller.daemon: no line named \"capture-rest\"",
		"a line that is not configured", 1},
	    {"caller.no-such-user-kvm", "all",
		"caller.no-such-user-kvm: no such user", "an unknown user", 1},
	};
	struct rights *rs;
	const char *msg;
	size_t i;
	int r;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		rs = rights_new();
		error_clear();
		r = rights_config_key(rs, bads[i].key, bads[i].value);
		if (bads[i].at_check) {
			is_int(r, 0, "%s parses", bads[i].what);
			error_clear();
			r = rights_check(rs, ls);
		}
		is_int(r, -EINVAL, "%s is refused", bads[i].what);
		msg = error_get();
		ok(msg != NULL && strstr(msg, bads[i].want) != NULL,
		    "  message has \"%s\"", bads[i].want);
		if (msg != NULL && strstr(msg, bads[i].want) == NULL)
			diag("  message: %s", msg);
		rights_free(rs);
	}
	rs = rights_new();
	is_int(rights_config_key(rs, "power-button", "gpiochip0:1"), -ENOENT,
	    "a line key is not a caller key");
	rights_free(rs);
}

int
main(void)
{
	struct passwd *pw;
	struct lines *ls;

	if ((pw = getpwnam("daemon")) == NULL) {
		printf("1..0 # SKIP no user daemon on this system\n");
		return 0;
	}
	uid_daemon = pw->pw_uid;
	if ((pw = getpwnam("bin")) == NULL) {
		printf("1..0 # SKIP no user bin on this system\n");
		return 0;
	}
	uid_bin = pw->pw_uid;
	ls = make_lines();
	test_defaults(ls);
	test_callers(ls);
	test_bad(ls);
	lines_free(ls);
	return tap_done();
}
