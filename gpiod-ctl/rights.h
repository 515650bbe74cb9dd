/*
 * rights.h -- which caller may drive which line.
 *
 * gpiod-ctl's socket is shared: the front door (nginx) presses the
 * target's buttons for a person, while capd and hidd are in the socket's
 * group only to pulse their own reset line.  The socket's mode cannot tell
 * them apart, so every request that drives a line is checked against the
 * caller's user, as the kernel reports it for the connection (SO_PEERCRED).
 *
 * Callers are named in [gpiod-ctl] as "caller.USER = all | none | LINE
 * ...": "all" may drive every line and use /atx, a list only those lines
 * (and /atx only for the button its action presses).  Built in, and
 * replaced by a caller.USER of the same name: kaputtkvm-capd may pulse
 * capture-reset, kaputtkvm-hidd hid-reset, the front door's users
 * (kaputtkvm-www, and www-data of earlier installs) everything.  root and
 * gpiod-ctl's own user may always do everything (they could drive the
 * chip directly anyway).  Any other caller may read, not drive.  User
 * names are looked up once, at start.
 */
#ifndef GPIOD_CTL_RIGHTS_H
#define GPIOD_CTL_RIGHTS_H

#include <sys/types.h>

struct rights;
struct lines;

/* With the built-in callers. */
struct rights *rights_new(void);
void rights_free(struct rights *); /* NULL is fine */
/* A "caller.USER" key: 0 taken, -ENOENT not a caller key, -EINVAL with
 * error_set() when the value is bad. */
int rights_config_key(struct rights *, const char *key, const char *value);
/* Checks the configured callers against the lines (a typo in a line name
 * is an error naming the key) and looks their users up. */
int rights_check(struct rights *, struct lines *);
/* 0 when uid may drive the line; else -EPERM with error_set() saying which
 * lines this caller may use. */
int rights_allow(const struct rights *, uid_t uid, const char *line);

#endif
