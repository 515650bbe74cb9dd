/*
 * test-config.c -- options from the INI file and the command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "tap.h"

static char *source;
static long long fps = 30;
static int drop;
static struct config_list luns;
static int extra_seen;
static int once;

static int
extra_key(const char *key, const char *value, void *arg)
{
	if (strncmp(key, "line.", 5) != 0)
		return -ENOENT;
	if (strcmp(value, "bad") == 0)
		return error_set(-EINVAL, "\"bad\" is no line");
	extra_seen++;
	return 0;
}

static const struct config_option options[] = {
    {"source", 0, CONFIG_STRING, &source, 0, 0, "DEV", "device", NULL},
    {"fps", 'f', CONFIG_INT, &fps, 1, 120, "N", "frame rate", NULL},
    {"drop-same-frames", 0, CONFIG_BOOL, &drop, 0, 0, "BOOL", "drop", NULL},
    {"lun", 0, CONFIG_LIST, &luns, 0, 0, "DIR", "LUN", NULL},
    {"once", 0, CONFIG_ACTION, &once, 0, 0, NULL, "an action", NULL}, {NULL}};
static const struct config_spec spec = {
    "capd", "test", options, extra_key, NULL};

static void
reset(void)
{
	struct config_common c = {0};

	config_free(&spec, &c);
	source = NULL;
	fps = 30;
	drop = 0;
	extra_seen = 0;
	once = 0;
}

static int
load(const char *text)
{
	error_clear();
	return config_load_string(&spec, "test.conf", text, strlen(text));
}

static char *
write_file(const char *text)
{
	static char path[] = "/tmp/kvm-test-config-XXXXXX";
	int fd;

	strcpy(path, "/tmp/kvm-test-config-XXXXXX");
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return path;
}

static void
test_file(void)
{
	reset();
	ok(load("; comment\n[capd]\nsource = /dev/video0\nfps = 25\n"
		"drop-same-frames = yes\nlun = /a\nlun = /b\n\n[hidd]\n"
		"keyboard = /dev/hidg0\n[gpiod-ctl]\nanything = 1\n") == 0,
	    "a good file loads");
	is_str(source, "/dev/video0", "string value");
	is_int(fps, 25, "int value");
	is_int(drop, 1, "bool value");
	is_int(luns.n, 2, "list collects repeated keys");
	is_str(luns.items[1], "/b", "list order kept");

	reset();
	ok(load("[capd]\nfsp = 25\n") == -EINVAL, "an unknown key fails");
	ok(error_get() && strstr(error_get(), "test.conf:2:") &&
		strstr(error_get(), "unknown key \"fsp\""),
	    "the error names file, line and key: %s", error_get());

	reset();
	ok(load("[capd]\nsource = x\n\nfps = fast\n") == -EINVAL,
	    "a bad value fails");
	ok(error_get() && strstr(error_get(), "test.conf:4:") &&
		strstr(error_get(), "fps") && strstr(error_get(), "1 to 120"),
	    "the error names line, key and range: %s", error_get());

	reset();
	ok(load("[capd]\nfps = 500\n") == -EINVAL, "out of range fails");

	reset();
	ok(load("[capd]\ndrop-same-frames = perhaps\n") == -EINVAL,
	    "a bad bool fails");

	reset();
	ok(load("[capdd]\nfps = 5\n") == -EINVAL &&
		strstr(error_get(), "unknown section [capdd]"),
	    "an unknown section is a typo, not ignored");

	/* kaputtkvm-gadget documents [gadget] for the same file; its keys are
	 * its own, so a daemon skips them as it skips another daemon's. */
	reset();
	ok(load("[gadget]\nkeyboard = yes\nserial = KVM0001\n[capd]\n"
		"fps = 12\n") == 0,
	    "kaputtkvm-gadget's [gadget] section is skipped: %s",
	    error_get() ? error_get() : "loaded");
	is_int(fps, 12, "the daemon's own section after [gadget] is read");

	/* fetchd, redfishd and ocrd read the same file: every daemon skips
	 * their sections (a [redfishd] once made every daemon refuse it). */
	reset();
	ok(load("[redfishd]\ninsert-timeout = 3600\n[fetchd]\nca-file = /x\n"
		"[ocrd]\ntimeout = 20\n[capd]\nfps = 13\n") == 0,
	    "[redfishd], [fetchd] and [ocrd] are skipped: %s",
	    error_get() ? error_get() : "loaded");
	is_int(fps, 13, "the daemon's own section after theirs is read");

	reset();
	ok(load("[redfish]\nfps = 5\n") == -EINVAL &&
		strstr(error_get(), "[redfishd], [ocrd] and [gadget]"),
	    "the error lists every section: %s", error_get());

	reset();
	ok(load("[capd]\nfps = 12\n\n[gadgets]\nkeyboard = yes\n") == -EINVAL &&
		strstr(error_get(), "test.conf:5:") &&
		strstr(error_get(), "unknown section [gadgets]"),
	    "a section near [gadget] is still a typo naming file and line: %s",
	    error_get());

	reset();
	ok(load("fps = 5\n") == -EINVAL && strstr(error_get(), "outside"),
	    "a key outside any section is refused");

	reset();
	ok(load("[capd]\nthis is not a key value line\n") == -EINVAL &&
		strstr(error_get(), "test.conf:2:"),
	    "a garbage line is refused");

	reset();
	ok(load("[capd]\nline.power = chip:1\nline.reset = chip:2\n") == 0 &&
		extra_seen == 2,
	    "extra keys go to the daemon's handler");
	reset();
	ok(load("[capd]\nline.power = bad\n") == -EINVAL &&
		strstr(error_get(), "\"bad\" is no line"),
	    "the handler's message is passed on");

	reset();
	ok(load("[capd]\nconfig = /etc/other\n") == -EINVAL,
	    "--config cannot be set from the file");
	reset();
	ok(config_load_string(&spec, "n.conf", "[capd]\0x", 9) == -EINVAL,
	    "a NUL byte is refused");
}

/* The command line over the file; a list on it replaces the file's. */
static void
test_argv_over_file(void)
{
	struct config_common c = {0};
	char *path;
	int r;

	reset();
	path = write_file("[capd]\nsource = /dev/video1\nfps = 10\n"
			  "lun = /file\nsocket = /tmp/from-file.sock\n");
	{
		char *argv[] = {"capd", "--config", path, "--fps", "60",
		    "--lun", "/cli", NULL};

		r = config_load(&spec, &c, 7, argv);
	}
	is_int(r, 0, "file plus command line loads");
	is_int(fps, 60, "the command line wins");
	is_str(source, "/dev/video1", "the file fills the rest");
	is_int(luns.n, 1, "a list on the command line replaces the file's");
	is_str(luns.items[0], "/cli", "command-line list item");
	is_str(c.socket_path, "/tmp/from-file.sock", "common option from file");
	is_int(c.socket_mode, 0660, "socket mode default");
	config_free(&spec, &c);
	unlink(path);
}

/*
 * Command-line errors: a missing explicit file, a bad value, an unknown
 * option.
 */
static void
test_argv_errors(void)
{
	struct config_common c = {0};
	int r;

	memset(&c, 0, sizeof(c));
	reset();
	{
		char *argv[] = {
		    "capd", "--config", "/nonexistent/x.conf", NULL};

		r = config_load(&spec, &c, 3, argv);
	}
	is_int(r, -EINVAL, "an explicit missing config file is an error");
	config_free(&spec, &c);

	memset(&c, 0, sizeof(c));
	reset();
	{
		char *argv[] = {
		    "capd", "--config", "/dev/null", "-f", "0", NULL};

		r = config_load(&spec, &c, 5, argv);
	}
	is_int(r, -EINVAL, "a bad value on the command line is an error");
	config_free(&spec, &c);

	memset(&c, 0, sizeof(c));
	reset();
	{
		char *argv[] = {
		    "capd", "--config", "/dev/null", "--nope", NULL};

		r = config_load(&spec, &c, 4, argv);
	}
	is_int(r, -EINVAL, "an unknown option is an error");
	config_free(&spec, &c);
}

/* The common flags every daemon takes. */
static void
test_argv_common_flags(void)
{
	struct config_common c = {0};
	int r;

	memset(&c, 0, sizeof(c));
	reset();
	{
		char *argv[] = {"capd", "--config", "/dev/null",
		    "--check-config", "--socket-mode", "0600", "-v", NULL};

		r = config_load(&spec, &c, 7, argv);
	}
	is_int(r, 0, "common flags load");
	is_int(c.check_config, 1, "--check-config set");
	is_int(c.socket_mode, 0600, "socket mode parsed as octal");
	is_int(c.verbose, 1, "-v set");
	config_free(&spec, &c);
}

/* Actions run from the command line only. */
static void
test_argv_actions(void)
{
	struct config_common c = {0};
	int r;

	/* An action (hidd --release) runs from the command line only: a
	 * line in the file must not turn every start into it. */
	memset(&c, 0, sizeof(c));
	reset();
	{
		char *argv[] = {
		    "capd", "--config", "/dev/null", "--once", NULL};

		r = config_load(&spec, &c, 4, argv);
	}
	is_int(r, 0, "an action on the command line loads");
	is_int(once, 1, "the action is set, with no value");
	config_free(&spec, &c);
	reset();
	ok(load("[capd]\nonce = yes\n") == -EINVAL &&
		strstr(error_get(), "test.conf:2:") &&
		strstr(error_get(), "command line"),
	    "an action in the file is refused, naming the line: %s",
	    error_get() ? error_get() : "loaded");
	is_int(once, 0, "and not set");
}

/* A socket mode that is not octal. */
static void
test_argv_bad_mode(void)
{
	struct config_common c = {0};
	int r;

	memset(&c, 0, sizeof(c));
	reset();
	{
		char *argv[] = {"capd", "--config", "/dev/null",
		    "--socket-mode", "999", NULL};

		r = config_load(&spec, &c, 5, argv);
	}
	is_int(r, -EINVAL, "a non-octal mode is an error");
	config_free(&spec, &c);
}

int
main(void)
{
	test_file();
	test_argv_over_file();
	test_argv_errors();
	test_argv_common_flags();
	test_argv_actions();
	test_argv_bad_mode();
	reset();
	return tap_done();
}
