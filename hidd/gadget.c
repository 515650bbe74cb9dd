/*
 * gadget.c -- the USB gadget backend (see gadget.h).
 *
 * A gadget rebuilt underneath us (kaputtkvm-gadget teardown + setup)
 * removes the /dev/hidgN we hold and creates new ones; the old descriptors
 * answer ESHUTDOWN for ever.  So each device remembers the node it opened
 * (device and inode), and the once-a-second timer -- and a write that fails
 * with ESHUTDOWN or ENODEV -- stat()s the path (devtmpfs: never blocks) and
 * reopens when the node is another one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event2/event.h>

#include "backend.h"
#include "error.h"
#include "gadget.h"
#include "log.h"
#include "report.h"
#include "xmalloc.h"

#define GADGET_QUEUE 32

enum { DEV_KBD, DEV_ABS, DEV_REL, DEV_N };

static const char *const gadget_dev_names[DEV_N] = {
    "keyboard", "mouse-abs", "mouse-rel"};

struct gadget_dev {
	const char *what;
	char *path; /* NULL: not configured */
	int fd;
	int is_chr;
	dev_t node_dev; /* the node opened, to see it replaced */
	ino_t node_ino;
	size_t len; /* report length */
	uint8_t queue[GADGET_QUEUE][8];
	unsigned int qn;
	struct event *ev_write;
	int stalled; /* waited past the timeout */
	int err;     /* last errno, 0 if none */
	uint64_t written, dropped;
	struct log_once lo;
	struct gadget *g;
};

struct gadget {
	struct backend b;
	struct event_base *base;
	struct gadget_dev dev[DEV_N];
	char *leds_path;
	char *leds_state; /* NULL, or where the LEDs are kept (tmpfs) */
	int leds_warned;  /* keeping them failed once: said so */
	int leds_fd;	  /* -1, or a separate fd */
	struct event *ev_leds;
	char *udc_path;
	char udc_state[64];
	int shutdown; /* ESHUTDOWN seen */
	struct timeval timeout;
	struct event *ev_timer;
	uint8_t leds;
	int leds_known;
	int last_online;
	uint8_t last_leds;
};

static void gadget_leds_cb(evutil_socket_t, short, void *);
static void gadget_leds_watch(struct gadget *);
static void gadget_write_cb(evutil_socket_t, short, void *);

/* Tells the core when online or LEDs changed. */
static void
gadget_notify(struct gadget *g)
{
	struct backend_status st;

	g->b.ops->status(&g->b, &st);
	if (st.online == g->last_online && g->leds == g->last_leds)
		return;
	g->last_online = st.online;
	g->last_leds = g->leds;
	if (g->b.changed != NULL)
		g->b.changed(&g->b, g->b.changed_arg);
}

/* Opens one device if it is not open; quiet about repeated failures. */
static void
gadget_dev_open(struct gadget_dev *d)
{
	struct stat st;
	int flags = O_NONBLOCK | O_CLOEXEC | O_NOCTTY;

	if (d->path == NULL || d->fd >= 0)
		return;
	if (stat(d->path, &st) == 0 && S_ISCHR(st.st_mode)) {
		d->is_chr = 1;
		/* The keyboard's hidg also carries the LED output report. */
		flags |= &d->g->dev[DEV_KBD] == d ? O_RDWR : O_WRONLY;
	} else
		flags |= O_WRONLY | O_APPEND;
	if ((d->fd = open(d->path, flags)) < 0) {
		d->err = errno;
		log_once_warnx(&d->lo, "%s: cannot open %s: %s", d->what,
		    d->path, strerror(errno));
		return;
	}
	d->err = 0;
	if (fstat(d->fd, &st) == 0) {
		d->node_dev = st.st_dev;
		d->node_ino = st.st_ino;
	}
	log_once_reset(&d->lo);
	log_info("%s: opened %s", d->what, d->path);
	d->ev_write =
	    event_new(d->g->base, d->fd, EV_WRITE, gadget_write_cb, d);
}

/* Closes a device after an error; the timer reopens it. */
static void
gadget_dev_close(struct gadget_dev *d)
{
	struct gadget *g = d->g;

	if (d == &g->dev[DEV_KBD] && g->leds_path == NULL &&
	    g->ev_leds != NULL) {
		event_free(g->ev_leds);
		g->ev_leds = NULL;
	}
	if (d->ev_write != NULL)
		event_free(d->ev_write);
	d->ev_write = NULL;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->qn = 0;
	d->stalled = 0;
}

/* 1 when the path no longer names the node we hold open (the gadget was
 * rebuilt: removed, or removed and made again). */
static int
gadget_dev_replaced(const struct gadget_dev *d)
{
	struct stat st;

	if (d->fd < 0)
		return 0;
	if (stat(d->path, &st) == -1)
		return errno == ENOENT;
	return st.st_dev != d->node_dev || st.st_ino != d->node_ino;
}

/* Closes a device whose node was replaced; the caller or the timer opens
 * the new one.  1 when it did. */
static int
gadget_dev_check(struct gadget_dev *d)
{
	if (!gadget_dev_replaced(d))
		return 0;
	log_info("%s: %s was replaced (the gadget was rebuilt): reopening",
	    d->what, d->path);
	d->dropped += d->qn;
	gadget_dev_close(d);
	return 1;
}

/* Logs a written report in readable form (--log-reports). */
static void
gadget_log(struct gadget_dev *d, const uint8_t *r)
{
	char line[256];

	if (!d->g->b.log_reports)
		return;
	report_format(line, sizeof(line), d->what, r, d->len);
	log_info("report %s", line);
}

/* Writes one report now.  0 written, -EAGAIN not now, else an error
 * (the device is then closed or marked not attached). */
static int
gadget_dev_write_now(struct gadget_dev *d, const uint8_t *r)
{
	ssize_t n;

	n = write(d->fd, r, d->len);
	if (n == (ssize_t)d->len) {
		d->written++;
		d->stalled = 0;
		d->g->shutdown = 0;
		gadget_log(d, r);
		return 0;
	}
	if (n >= 0)
		errno = EIO; /* hidg writes whole reports or nothing */
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return -EAGAIN;
	d->err = errno;
	if ((errno == ESHUTDOWN || errno == ENODEV) && gadget_dev_check(d))
		return -ESTALE;
	if (errno == ESHUTDOWN) {
		d->g->shutdown = 1;
		return -ENODEV;
	}
	log_once_warnx(
	    &d->lo, "%s: write to %s: %s", d->what, d->path, strerror(errno));
	gadget_dev_close(d);
	return -EIO;
}

/* Adds a report to the wait queue: in order while the wait is short,
 * only the newest once the host has not been polling. */
static void
gadget_enqueue(struct gadget_dev *d, const uint8_t *r)
{
	if (d->stalled || d->qn == GADGET_QUEUE) {
		d->dropped += d->qn;
		d->qn = 0;
	}
	memcpy(d->queue[d->qn++], r, d->len);
}

/* Waits (in the loop) for the device to take the queue. */
static void
gadget_wait(struct gadget_dev *d)
{
	event_add(d->ev_write, &d->g->timeout);
}

/* Sends the queue as far as the device takes it. */
static void
gadget_flush(struct gadget_dev *d)
{
	unsigned int i;
	int r = 0;

	for (i = 0; i < d->qn; i++)
		if ((r = gadget_dev_write_now(d, d->queue[i])) < 0)
			break;
	if (d->fd < 0)
		return;
	if (r == -EAGAIN) {
		memmove(
		    d->queue, d->queue[i], (d->qn - i) * sizeof(d->queue[0]));
		d->qn -= i;
		gadget_wait(d);
		return;
	}
	if (r < 0)
		d->dropped += d->qn - i;
	d->qn = 0;
}

/* The device is writable again, or the bounded wait ran out. */
static void
gadget_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gadget_dev *d = arg;

	if (what & EV_TIMEOUT) {
		/* The host is not polling: keep only the newest report. */
		if (!d->stalled)
			log_warnx(
			    "%s: host is not reading reports; dropping all but the newest",
			    d->what);
		d->stalled = 1;
		if (d->qn > 1) {
			d->dropped += d->qn - 1;
			memmove(d->queue[0], d->queue[d->qn - 1], d->len);
			d->qn = 1;
		}
		gadget_wait(d);
		gadget_notify(d->g);
		return;
	}
	gadget_flush(d);
	gadget_notify(d->g);
}

/* One report for a device: written, queued for a short while, or dropped
 * when the target is not attached. */
static int
gadget_send(struct gadget *g, int which, const uint8_t *r)
{
	struct gadget_dev *d = &g->dev[which];
	int res;

	if (d->path == NULL)
		return error_set(
		    -EOPNOTSUPP, "no %s device is configured", d->what);
	if (g->udc_path != NULL && g->udc_state[0] != '\0' &&
	    strcmp(g->udc_state, "configured") != 0 &&
	    strcmp(g->udc_state, "suspended") != 0) {
		d->dropped++;
		return error_set(-ENODEV,
		    "target not attached (UDC %s): input dropped",
		    g->udc_state);
	}
	if (d->fd < 0)
		gadget_dev_open(d);
	if (d->fd < 0) {
		d->dropped++;
		return error_set(-ENODEV,
		    "%s: %s is not open (%s): input dropped", d->what, d->path,
		    strerror(d->err));
	}
	if (d->qn > 0) {
		gadget_enqueue(d, r);
		return 0;
	}
	res = gadget_dev_write_now(d, r);
	if (res == -ESTALE) {
		/* the node was replaced: once more on the new one */
		gadget_dev_open(d);
		gadget_leds_watch(g);
		res = d->fd >= 0 ? gadget_dev_write_now(d, r) : -ENODEV;
		if (res == -ESTALE)
			res = -ENODEV;
	}
	if (res == -EAGAIN) {
		gadget_enqueue(d, r);
		gadget_wait(d);
		return 0;
	}
	gadget_notify(g);
	if (res == -ENODEV) {
		d->dropped++;
		return error_set(-ENODEV,
		    "target not attached (USB cable out or UDC unbound): input dropped");
	}
	if (res < 0) {
		d->dropped++;
		return error_set(res, "%s: cannot write to %s: %s", d->what,
		    d->path, strerror(d->err));
	}
	return 0;
}

/* Keyboard: the full boot report of the new state. */
static int
gadget_keyboard(struct backend *b, const struct report_kbd *old,
    const struct report_kbd *now)
{
	uint8_t r[REPORT_KBD_LEN];

	report_kbd_encode(now, r);
	return gadget_send((struct gadget *)b, DEV_KBD, r);
}

/* Mouse: to the absolute or the relative device. */
static int
gadget_mouse(struct backend *b, const struct backend_mouse *m)
{
	struct report_mouse rm;
	uint8_t r[8];

	if (m->kind == BACKEND_MOUSE_ABS) {
		rm.buttons = m->buttons;
		rm.x = (uint16_t)m->x;
		rm.y = (uint16_t)m->y;
		report_abs_encode(&rm, m->wheel, m->hwheel, r);
		return gadget_send((struct gadget *)b, DEV_ABS, r);
	}
	report_rel_encode(m->buttons, m->dx, m->dy, m->wheel, r);
	return gadget_send((struct gadget *)b, DEV_REL, r);
}

/* Online, and why not. */
static void
gadget_status(struct backend *b, struct backend_status *st)
{
	struct gadget *g = (struct gadget *)b;
	int i;

	memset(st, 0, sizeof(*st));
	st->leds = g->leds;
	st->leds_known = g->leds_known;
	if (g->udc_path != NULL && g->udc_state[0] != '\0' &&
	    strcmp(g->udc_state, "configured") != 0) {
		st->reason = strcmp(g->udc_state, "suspended") == 0
		    ? "target suspended (asleep)"
		    : "target not attached (UDC not configured)";
		return;
	}
	if (g->shutdown) {
		st->reason = "target not attached (USB cable out or UDC "
			     "unbound)";
		return;
	}
	for (i = 0; i < DEV_N; i++) {
		if (g->dev[i].path == NULL)
			continue;
		if (g->dev[i].fd < 0) {
			st->reason = "a HID device cannot be opened";
			return;
		}
		if (g->dev[i].stalled) {
			st->reason = "the target is not reading reports (off, "
				     "asleep, or no driver)";
			return;
		}
	}
	st->online = 1;
}

/* Reports waiting for the host, all devices. */
static unsigned int
gadget_pending(struct backend *b)
{
	struct gadget *g = (struct gadget *)b;
	unsigned int n = 0;
	int i;

	for (i = 0; i < DEV_N; i++)
		n += g->dev[i].qn;
	return n;
}

/* Per-device counters for GET /state. */
static json_t *
gadget_details(struct backend *b)
{
	struct gadget *g = (struct gadget *)b;
	json_t *o = json_object(), *dev;
	int i;

	for (i = 0; i < DEV_N; i++) {
		struct gadget_dev *d = &g->dev[i];

		if (d->path == NULL)
			continue;
		dev = json_pack("{s:s, s:b, s:I, s:I, s:b, s:i}", "path",
		    d->path, "open", d->fd >= 0, "written",
		    (json_int_t)d->written, "dropped", (json_int_t)d->dropped,
		    "stalled", d->stalled, "queued", (int)d->qn);
		if (d->err != 0)
			json_object_set_new(
			    dev, "error", json_string(strerror(d->err)));
		json_object_set_new(o, d->what, dev);
	}
	if (g->udc_path != NULL)
		json_object_set_new(o, "udc_state",
		    json_string(g->udc_state[0] ? g->udc_state : "unknown"));
	return o;
}

/*
 * At stop the loop no longer runs, so a report still waiting for the host
 * (the release, typically) would be lost and leave a key held on the
 * target.  Wait for the device once more, bounded, and write the newest.
 */
static void
gadget_final_flush(struct gadget_dev *d, const struct timeval *tv)
{
	struct pollfd pfd;
	int ms = (int)(tv->tv_sec * 1000 + tv->tv_usec / 1000);

	if (d->fd < 0 || d->qn == 0)
		return;
	pfd.fd = d->fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, ms > 500 ? 500 : ms) == 1 &&
	    write(d->fd, d->queue[d->qn - 1], d->len) == (ssize_t)d->len)
		gadget_log(d, d->queue[d->qn - 1]);
	else
		log_warnx(
		    "%s: the host took no report at stop; the target may still see keys held",
		    d->what);
	d->qn = 0;
}

/* Closes everything. */
static void
gadget_free(struct backend *b)
{
	struct gadget *g = (struct gadget *)b;
	int i;

	if (g == NULL)
		return;
	for (i = 0; i < DEV_N; i++) {
		gadget_final_flush(&g->dev[i], &g->timeout);
		gadget_dev_close(&g->dev[i]);
		free(g->dev[i].path);
	}
	if (g->ev_leds != NULL)
		event_free(g->ev_leds);
	if (g->leds_fd >= 0)
		close(g->leds_fd);
	if (g->ev_timer != NULL)
		event_free(g->ev_timer);
	free(g->leds_path);
	free(g->leds_state);
	free(g->udc_path);
	free(g);
}

static const struct backend_ops gadget_ops = {
    .name = "gadget",
    .keyboard = gadget_keyboard,
    .mouse = gadget_mouse,
    .release = NULL, /* the core's empty reports do it */
    .status = gadget_status,
    .pending = gadget_pending,
    .details = gadget_details,
    .free = gadget_free,
};

/*
 * The target sends its LEDs only when they change, so a hidd started anew
 * would not know them: they are kept in a file on tmpfs (one line, "0x02"),
 * written whole and renamed into place.  tmpfs never waits for a disk, so
 * this is done on the loop; a failure costs only the memory, and says so.
 */
static void
gadget_leds_keep(struct gadget *g)
{
	char tmp[PATH_MAX], line[8];
	int fd, n, ok = 0;

	if (g->leds_state == NULL)
		return;
	n = snprintf(tmp, sizeof(tmp), "%s.tmp", g->leds_state);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return;
	n = snprintf(line, sizeof(line), "0x%02x\n", g->leds);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ok = write(fd, line, (size_t)n) == n;
		ok = close(fd) == 0 && ok && rename(tmp, g->leds_state) == 0;
		if (!ok)
			unlink(tmp);
	}
	if (!ok && !g->leds_warned++)
		log_warn(
		    "cannot keep the keyboard LEDs in %s (a restart will not know them until the target changes them)",
		    g->leds_state);
}

/* The LEDs as the last hidd kept them, if it did. */
static void
gadget_leds_restore(struct gadget *g)
{
	char line[16];
	unsigned int v;
	ssize_t n;
	int fd;

	if (g->leds_state == NULL)
		return;
	if ((fd = open(g->leds_state, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return;
	line[n] = '\0';
	if (sscanf(line, "0x%x", &v) != 1 || v > 0x1f) {
		log_warnx("%s: not an LED state, ignored", g->leds_state);
		return;
	}
	g->leds = (uint8_t)v;
	g->leds_known = 1;
	log_info("keyboard LEDs 0x%02x, as kept before the restart", g->leds);
}

/* The LED output report arrived. */
static void
gadget_leds_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gadget *g = arg;
	uint8_t buf[8];
	ssize_t n;

	n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* ESHUTDOWN on an unbound gadget: stop watching until the
		 * timer reopens things.  While the UDC says "configured" it
		 * is a read left over from before a rebind, not a verdict:
		 * nothing would clear it again (input is refused while not
		 * attached), so only a write's ESHUTDOWN counts then. */
		if (n < 0 && errno == ESHUTDOWN &&
		    strcmp(g->udc_state, "configured") != 0)
			g->shutdown = 1;
		event_del(g->ev_leds);
		event_free(g->ev_leds);
		g->ev_leds = NULL;
		gadget_notify(g);
		return;
	}
	g->leds = buf[n - 1] & 0x1f;
	g->leds_known = 1;
	log_debug("keyboard LEDs now 0x%02x", g->leds);
	gadget_leds_keep(g);
	gadget_notify(g);
}

/* Watches the LED source: --leds, or the keyboard's hidg itself. */
static void
gadget_leds_watch(struct gadget *g)
{
	int fd = -1;

	if (g->ev_leds != NULL)
		return;
	if (g->leds_path != NULL) {
		if (g->leds_fd < 0)
			g->leds_fd =
			    open(g->leds_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		fd = g->leds_fd;
	} else if (g->dev[DEV_KBD].is_chr)
		fd = g->dev[DEV_KBD].fd;
	if (fd < 0)
		return;
	g->ev_leds =
	    event_new(g->base, fd, EV_READ | EV_PERSIST, gadget_leds_cb, g);
	event_add(g->ev_leds, NULL);
}

/* Reads a one-line sysfs file; -1 when it cannot be read. */
static int
gadget_read_line(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * Reads the UDC's state.  Unbinding the gadget does not always change
 * "state" (it can stay "configured"), but the UDC's "function" file beside
 * it empties: that is "unbound".
 */
static void
gadget_read_udc(struct gadget *g)
{
	char buf[64], func[64], *fpath = NULL;
	size_t len;

	if (g->udc_path == NULL)
		return;
	if (gadget_read_line(g->udc_path, buf, sizeof(buf)) < 0 ||
	    buf[0] == '\0')
		snprintf(buf, sizeof(buf), "%s", "unreadable");
	len = strlen(g->udc_path);
	if (len > 6 && strcmp(g->udc_path + len - 6, "/state") == 0) {
		xasprintf(&fpath, "%.*sfunction", (int)(len - 5), g->udc_path);
		if (gadget_read_line(fpath, func, sizeof(func)) == 0 &&
		    func[0] == '\0')
			snprintf(buf, sizeof(buf), "%s", "unbound");
		free(fpath);
	}
	if (strcmp(buf, g->udc_state) != 0) {
		log_info("UDC state: %s", buf);
		snprintf(g->udc_state, sizeof(g->udc_state), "%s", buf);
		if (strcmp(buf, "configured") == 0)
			g->shutdown = 0;
	}
}

/*
 * ESHUTDOWN while the UDC says "configured": a write raced the host's
 * enumeration after a rebind (hidg has no endpoint for a moment), and no
 * UDC state change follows to clear it.  Try again with a report that
 * changes nothing on the target: the keyboard's or the relative mouse's
 * idle one (nothing pressed, no motion).  An absolute mouse's idle report
 * would move the pointer, so with that alone the next input tries.
 */
static void
gadget_probe(struct gadget *g)
{
	static const uint8_t idle[64];
	struct gadget_dev *d = NULL;

	if (g->dev[DEV_KBD].path != NULL)
		d = &g->dev[DEV_KBD];
	else if (g->dev[DEV_REL].path != NULL)
		d = &g->dev[DEV_REL];
	if (d == NULL) {
		g->shutdown = 0;
		return;
	}
	if (d->fd < 0 || d->qn > 0 || d->len > sizeof(idle))
		return;
	(void)gadget_dev_write_now(d, idle); /* clears shutdown on success */
}

/* Every second: reopen missing devices, reread the UDC state. */
static void
gadget_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gadget *g = arg;
	int i;

	for (i = 0; i < DEV_N; i++) {
		gadget_dev_check(&g->dev[i]);
		gadget_dev_open(&g->dev[i]);
	}
	if (g->dev[DEV_KBD].fd >= 0 || g->leds_path != NULL)
		gadget_leds_watch(g);
	gadget_read_udc(g);
	if (g->shutdown && strcmp(g->udc_state, "configured") == 0)
		gadget_probe(g);
	gadget_notify(g);
}

/* The state file of the only UDC, if there is exactly one. */
static char *
gadget_find_udc(void)
{
	DIR *dir;
	struct dirent *de;
	char *path = NULL;
	int n = 0;

	if ((dir = opendir("/sys/class/udc")) == NULL)
		return NULL;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		free(path);
		xasprintf(&path, "/sys/class/udc/%s/state", de->d_name);
		n++;
	}
	closedir(dir);
	if (n != 1) {
		free(path);
		return NULL;
	}
	return path;
}

/* Sets up the devices and the once-a-second timer. */
int
gadget_open(struct event_base *base, const struct gadget_config *cfg,
    struct backend **ret)
{
	struct gadget *g = xcalloc(1, sizeof(*g));
	const char *paths[DEV_N] = {cfg->keyboard, cfg->mouse, cfg->mouse_rel};
	static const size_t lens[DEV_N] = {
	    REPORT_KBD_LEN, REPORT_ABS_LEN, REPORT_REL_LEN};
	struct timeval sec = {1, 0};
	int i, any = 0;

	g->b.ops = &gadget_ops;
	g->base = base;
	g->leds_fd = -1;
	g->last_online = -1;
	g->timeout.tv_sec = cfg->write_timeout_ms / 1000;
	g->timeout.tv_usec = (cfg->write_timeout_ms % 1000) * 1000;
	for (i = 0; i < DEV_N; i++) {
		struct gadget_dev *d = &g->dev[i];

		d->what = gadget_dev_names[i];
		d->fd = -1;
		d->len = lens[i];
		d->g = g;
		if (paths[i] != NULL && paths[i][0] != '\0') {
			d->path = xstrdup(paths[i]);
			any = 1;
		}
	}
	if (!any) {
		free(g);
		return error_set(-EINVAL,
		    "the gadget backend needs at least one of --keyboard, --mouse, --mouse-rel");
	}
	if (cfg->leds != NULL && cfg->leds[0] != '\0')
		g->leds_path = xstrdup(cfg->leds);
	if (cfg->leds_state != NULL && cfg->leds_state[0] != '\0')
		g->leds_state = xstrdup(cfg->leds_state);
	gadget_leds_restore(g);
	if (cfg->udc_state == NULL)
		g->udc_path = gadget_find_udc();
	else if (cfg->udc_state[0] != '\0')
		g->udc_path = xstrdup(cfg->udc_state);
	for (i = 0; i < DEV_N; i++)
		gadget_dev_open(&g->dev[i]);
	gadget_leds_watch(g);
	gadget_read_udc(g);
	g->ev_timer = event_new(base, -1, EV_PERSIST, gadget_timer_cb, g);
	event_add(g->ev_timer, &sec);
	*ret = &g->b;
	return 0;
}
