/*
 * release.c -- the idle reports, once, without the daemon (see release.h).
 *
 * No event loop: the process does one thing and ends.  All gadget devices
 * are opened non-blocking and written at once; those the host has not
 * taken yet (EAGAIN: the previous report, the key down, is still waiting
 * for the host's poll) are retried on POLLOUT until one shared deadline.
 * On the serial line the frames go out the same way and the step waits,
 * again until the deadline, for the line to send them; what is still
 * unsent then is dropped, so close() never waits for a stuck line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ch9329.h"
#include "error.h"
#include "log.h"
#include "mcu.h"
#include "release.h"
#include "report.h"
#include "uart.h"

enum { RELEASE_KBD, RELEASE_ABS, RELEASE_REL, RELEASE_N };

struct release_dev {
	const char *what;
	const char *path;
	uint8_t report[8];
	size_t len;
	int fd;
	int pending; /* opened, report not taken yet */
};

/* Milliseconds on the monotonic clock. */
static long long
release_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What is not there, or not attached to a host, holds no key. */
static int
release_absent(int err)
{
	return err == ENOENT || err == ENXIO || err == ENODEV ||
	    err == ESHUTDOWN;
}

/* One try: 1 written, 2 nothing held, 0 not now, else -errno. */
static int
release_try(struct release_dev *d)
{
	ssize_t n;

	n = write(d->fd, d->report, d->len);
	if (n == (ssize_t)d->len) {
		log_info("%s: idle report written to %s", d->what, d->path);
		return 1;
	}
	if (n >= 0)
		errno = EIO; /* hidg takes whole reports or nothing */
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	if (release_absent(errno)) {
		log_info(
		    "%s: %s is not attached to a host (%s); nothing is held",
		    d->what, d->path, strerror(errno));
		return 2;
	}
	return error_set(-errno, "%s: cannot write the idle report to %s: %s",
	    d->what, d->path, strerror(errno));
}

/* Opens one device; 1 opened, 0 nothing to release, -errno. */
static int
release_open(struct release_dev *d)
{
	struct stat st;
	int flags = O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;

	if (stat(d->path, &st) == 0 && S_ISREG(st.st_mode))
		flags |= O_APPEND; /* a stand-in file, as hidd writes it */
	if ((d->fd = open(d->path, flags)) >= 0)
		return 1;
	if (release_absent(errno)) {
		log_info(
		    "%s: %s is absent or not attached (%s); nothing is held",
		    d->what, d->path, strerror(errno));
		return 0;
	}
	return error_set(-errno, "%s: cannot open %s: %s", d->what, d->path,
	    strerror(errno));
}

/* The idle reports, and the first try on each device; *ret_done counts
 * the reports written, *ret the first error. */
static void
release_gadget_start(const struct release_gadget *cfg,
    struct release_dev dev[RELEASE_N], int *ret_done, int *ret)
{
	struct report_kbd kbd;
	struct report_mouse centre = {0};
	const char *paths[RELEASE_N] = {
	    cfg->keyboard, cfg->mouse, cfg->mouse_rel};
	static const char *const names[RELEASE_N] = {
	    "keyboard", "mouse-abs", "mouse-rel"};
	int i, r;

	memset(dev, 0, sizeof(*dev) * RELEASE_N);
	report_kbd_clear(&kbd);
	report_kbd_encode(&kbd, dev[RELEASE_KBD].report);
	dev[RELEASE_KBD].len = REPORT_KBD_LEN;
	/* Buttons up where hidd's start puts the pointer. */
	centre.x = centre.y = (REPORT_ABS_MAX + 1) / 2;
	report_abs_encode(&centre, 0, 0, dev[RELEASE_ABS].report);
	dev[RELEASE_ABS].len = REPORT_ABS_LEN;
	report_rel_encode(0, 0, 0, 0, dev[RELEASE_REL].report);
	dev[RELEASE_REL].len = REPORT_REL_LEN;
	for (i = 0; i < RELEASE_N; i++) {
		dev[i].what = names[i];
		dev[i].path = paths[i];
		dev[i].fd = -1;
		if (paths[i] == NULL || paths[i][0] == '\0')
			continue;
		if ((r = release_open(&dev[i])) <= 0) {
			if (r < 0 && *ret == 0)
				*ret = r;
			continue;
		}
		if ((r = release_try(&dev[i])) == 0)
			dev[i].pending = 1;
		else if (r == 1)
			(*ret_done)++;
		else if (*ret == 0)
			*ret = r;
	}
}

/* Retries the devices that were not ready, as each becomes writable, until
 * none is left or the deadline. */
static void
release_gadget_wait(struct release_dev dev[RELEASE_N], long long deadline,
    int *ret_done, int *ret)
{
	struct pollfd pfd[RELEASE_N];
	long long left;
	int i, n, r;

	for (;;) {
		for (i = 0, n = 0; i < RELEASE_N; i++) {
			if (!dev[i].pending)
				continue;
			pfd[n].fd = dev[i].fd;
			pfd[n].events = POLLOUT;
			pfd[n].revents = 0;
			n++;
		}
		left = deadline - release_now_ms();
		if (n == 0 || left <= 0)
			return;
		if (poll(pfd, (nfds_t)n, (int)left) < 0 && errno != EINTR)
			return;
		for (i = 0, n = 0; i < RELEASE_N; i++) {
			if (!dev[i].pending)
				continue;
			if (pfd[n++].revents == 0)
				continue;
			if ((r = release_try(&dev[i])) == 0)
				continue;
			dev[i].pending = 0;
			if (r == 1)
				(*ret_done)++;
			else if (*ret == 0)
				*ret = r;
		}
	}
}

int
release_gadget(
    const struct release_gadget *cfg, unsigned int timeout_ms, int *ret_done)
{
	struct release_dev dev[RELEASE_N];
	long long deadline = release_now_ms() + timeout_ms;
	int i, ret = 0, done = 0;

	release_gadget_start(cfg, dev, &done, &ret);
	release_gadget_wait(dev, deadline, &done, &ret);
	for (i = 0; i < RELEASE_N; i++) {
		if (dev[i].pending && ret == 0)
			ret = error_set(-ETIMEDOUT,
			    "%s: the host took no report from %s within %u ms (it has not polled the device since hidd's last report); the target may still see keys or buttons held",
			    dev[i].what, dev[i].path, timeout_ms);
		if (dev[i].fd >= 0)
			close(dev[i].fd);
	}
	if (ret_done != NULL)
		*ret_done = done;
	return ret;
}

/* Writes all of buf by the deadline; 0 or -errno. */
static int
release_write_all(int fd, const uint8_t *buf, size_t len, long long deadline)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	long long left;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			return -errno;
		if ((left = deadline - release_now_ms()) <= 0)
			return -ETIMEDOUT;
		(void)poll(&pfd, 1, (int)left);
	}
	return 0;
}

int
release_uart(const char *path, enum uart_protocol protocol, unsigned int baud,
    unsigned int timeout_ms)
{
	uint8_t buf[3 * CH9329_MAX_FRAME], zero[REPORT_KBD_LEN] = {0};
	long long deadline = release_now_ms() + timeout_ms;
	speed_t speed;
	size_t len = 0;
	int fd, queued, r;

	if (baud == 0)
		baud = protocol == UART_CH9329 ? 9600 : 115200;
	if (uart_speed(baud, &speed) < 0)
		return -EINVAL;
	if ((fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (release_absent(errno)) {
			log_info("uart: %s is not there (%s); nothing is held",
			    path, strerror(errno));
			return 0;
		}
		return error_set(
		    -errno, "uart: cannot open %s: %s", path, strerror(errno));
	}
	/* The line as hidd sets it up (a pty in tests has no speed). */
	(void)uart_setup_line(fd, speed);
	if (protocol == UART_CRC16) {
		mcu_frame(buf, MCU_CMD_CLEAR, 0, 0, 0, 0);
		len = MCU_FRAME_LEN;
	} else {
		/* The chip has no "clear": keys up, buttons up at the
		 * centre, as hidd's start sends them. */
		len = ch9329_frame_kbd(buf, zero);
		len += ch9329_frame_abs(buf + len, 0, (REPORT_ABS_MAX + 1) / 2,
		    (REPORT_ABS_MAX + 1) / 2, 0);
	}
	if ((r = release_write_all(fd, buf, len, deadline)) < 0) {
		tcflush(fd, TCOFLUSH);
		close(fd);
		return error_set(r, "uart: cannot send the release to %s: %s",
		    path,
		    r == -ETIMEDOUT ? "the line took nothing in time"
				    : strerror(-r));
	}
	/* Sent into the kernel's buffer; wait for the wire. */
	while (ioctl(fd, TIOCOUTQ, &queued) == 0 && queued > 0 &&
	    release_now_ms() < deadline)
		(void)poll(NULL, 0, 2);
	r = ioctl(fd, TIOCOUTQ, &queued) == 0 && queued > 0 ? -ETIMEDOUT : 0;
	if (r < 0) /* close() must not wait for a stuck line */
		tcflush(fd, TCOFLUSH);
	close(fd);
	if (r < 0)
		return error_set(r,
		    "uart: %s did not send the release within %u ms", path,
		    timeout_ms);
	log_info("uart: release sent to %s", path);
	return 0;
}
