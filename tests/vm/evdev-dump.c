/*
 * evdev-dump.c -- print a Linux input device's events, one line each.
 *
 * A test tool for the VM scenarios (tests/vm/lib.sh, vm_input_record):
 * `evdev-dump /dev/input/eventN` prints "# ready" once the device is open,
 * then "EV_KEY KEY_A 1" style lines (SYN_REPORT left out), flushed at once,
 * until killed.  Names come from the installed linux/input-event-codes.h,
 * read at start (the VM sees the host's /usr/include); numbers stand in
 * when a name is unknown.  It exists because a Python interpreter takes
 * seconds to start under TCG.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EVDEV_HEADER   "/usr/include/linux/input-event-codes.h"
#define EVDEV_MAXNAMES 4096

struct evdev_name {
	unsigned int type; /* EV_* the name belongs to */
	unsigned int code;
	char *name;
};

static struct evdev_name names[EVDEV_MAXNAMES];
static size_t nnames;

/* The event type whose codes use this name prefix; -1 for none. */
static int
prefix_type(const char *name)
{
	static const struct {
		const char *prefix;
		int type;
	} prefixes[] = {
	    {"EV_", -2},
	    {"SYN_", EV_SYN},
	    {"KEY_", EV_KEY},
	    {"BTN_", EV_KEY},
	    {"REL_", EV_REL},
	    {"ABS_", EV_ABS},
	    {"MSC_", EV_MSC},
	    {"LED_", EV_LED},
	    {"REP_", EV_REP},
	    {"SW_", EV_SW},
	    {"SND_", EV_SND},
	};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(name, prefixes[i].prefix,
			strlen(prefixes[i].prefix)) == 0)
			return prefixes[i].type;
	return -1;
}

/* Remember NAME for (TYPE, CODE); a later definition of a code wins. */
static void
add_name(int type, unsigned int code, const char *name)
{
	size_t i;

	for (i = 0; i < nnames; i++) {
		if (names[i].type == (unsigned int)type &&
		    names[i].code == code) {
			free(names[i].name);
			names[i].name = strdup(name);
			return;
		}
	}
	if (nnames == EVDEV_MAXNAMES)
		return;
	names[nnames].type = (unsigned int)type;
	names[nnames].code = code;
	names[nnames].name = strdup(name);
	nnames++;
}

/* Read the numeric #defines of the header; silently none if it is absent. */
static void
load_names(void)
{
	char line[256], name[128], value[64];
	FILE *f;
	int type;
	size_t len;

	if ((f = fopen(EVDEV_HEADER, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "#define %127s %63s", name, value) != 2)
			continue;
		len = strlen(name);
		if (len > 4 &&
		    (strcmp(name + len - 4, "_MAX") == 0 ||
			strcmp(name + len - 4, "_CNT") == 0))
			continue;
		if (value[0] < '0' || value[0] > '9')
			continue; /* an alias of another name */
		if ((type = prefix_type(name)) == -1)
			continue;
		add_name(type, (unsigned int)strtoul(value, NULL, 0), name);
	}
	fclose(f);
}

/* The name of (TYPE, CODE), or NULL; types are looked up as type -2. */
static const char *
lookup(int type, unsigned int code)
{
	size_t i;

	for (i = 0; i < nnames; i++)
		if (names[i].type == (unsigned int)type &&
		    names[i].code == code)
			return names[i].name;
	return NULL;
}

int
main(int argc, char **argv)
{
	struct input_event ev[64];
	const char *tn, *cn;
	ssize_t n;
	size_t i;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: evdev-dump /dev/input/eventN\n");
		return 2;
	}
	load_names();
	if ((fd = open(argv[1], O_RDONLY)) == -1) {
		fprintf(
		    stderr, "evdev-dump: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# ready\n");
	for (;;) {
		n = read(fd, ev, sizeof(ev));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "evdev-dump: %s: %s\n", argv[1],
			    n == 0 ? "end of file" : strerror(errno));
			return 1;
		}
		for (i = 0; i < (size_t)n / sizeof(ev[0]); i++) {
			if (ev[i].type == EV_SYN && ev[i].code == SYN_REPORT)
				continue;
			tn = lookup(-2, ev[i].type);
			cn = lookup(ev[i].type, ev[i].code);
			if (tn != NULL)
				printf("%s ", tn);
			else
				printf("%u ", ev[i].type);
			if (cn != NULL)
				printf("%s %d\n", cn, ev[i].value);
			else
				printf("%u %d\n", ev[i].code, ev[i].value);
		}
	}
}
