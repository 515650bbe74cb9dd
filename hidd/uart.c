/*
 * uart.c -- the UART backend (see uart.h).
 *
 * Both protocols share one engine: a bounded queue of frames, one frame in
 * flight with a reply timeout, and a reply parser that says whether the
 * command was done, must be sent again, or the microcontroller lost its
 * state.  The backend keeps its own copy of the keyboard and mouse state so
 * it can send it all again after a reboot or an outage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "backend.h"
#include "ch9329.h"
#include "client.h"
#include "error.h"
#include "keymap.h"
#include "log.h"
#include "mcu.h"
#include "report.h"
#include "uart.h"
#include "xmalloc.h"

#define UART_QUEUE	    256
#define UART_MAX_ATTEMPTS   4 /* sends of one frame */
#define UART_FAIL_OFFLINE   5 /* failures in a row: offline */
#define UART_RESET_EVERY_NS (10ull * 1000000000u)

struct uart_frame {
	uint8_t len;
	uint8_t b[CH9329_MAX_FRAME];
};

struct uart {
	struct backend b;
	struct event_base *base;
	struct uart_config cfg;
	char *path, *gpiod_socket, *reset_line;
	int fd;
	struct event *ev_read, *ev_timeout, *ev_ping;
	uint8_t in[512];
	size_t inlen;
	struct uart_frame q[UART_QUEUE];
	size_t qhead, qn;
	struct uart_frame cur;
	int busy, asked_repeat;
	unsigned int attempts, failures;
	int offline, need_resync;
	uint8_t leds;
	int leds_known, target_offline;
	struct report_kbd kbd;
	struct report_mouse mouse;
	int mouse_known;
	uint64_t last_reset;
	int last_online;
	uint8_t last_leds;
	struct log_once lo;
	uint64_t n_sent, n_replies, n_bad_replies;
	uint64_t n_resent, n_timeouts, n_reboots, n_resets;
	uint64_t n_dropped;
};

static void uart_kick(struct uart *);
static void uart_resync(struct uart *);

/* Monotonic ns. */
static uint64_t
uart_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The termios speed of a rate. */
int
uart_speed(long long baud, speed_t *ret)
{
	static const struct {
		long long baud;
		speed_t speed;
	} rates[] = {
	    {1200, B1200},
	    {2400, B2400},
	    {4800, B4800},
	    {9600, B9600},
	    {19200, B19200},
	    {38400, B38400},
	    {57600, B57600},
	    {115200, B115200},
	    {230400, B230400},
	    {460800, B460800},
	    {500000, B500000},
	    {921600, B921600},
	    {1000000, B1000000},
	    {2000000, B2000000},
	};
	size_t i;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (rates[i].baud == baud) {
			*ret = rates[i].speed;
			return 0;
		}
	return error_set(-EINVAL, "%lld baud is not a standard rate", baud);
}

/* 0 for a rate termios knows. */
int
uart_baud_supported(long long baud)
{
	speed_t s;

	return uart_speed(baud, &s);
}

/* Tells the core when online or LEDs changed. */
static void
uart_notify(struct uart *u)
{
	struct backend_status st;

	u->b.ops->status(&u->b, &st);
	if (st.online == u->last_online && u->leds == u->last_leds)
		return;
	u->last_online = st.online;
	u->last_leds = u->leds;
	if (u->b.changed != NULL)
		u->b.changed(&u->b, u->b.changed_arg);
}

/* Writes the frame in flight and starts its reply timeout. */
static void
uart_transmit(struct uart *u, const struct uart_frame *f)
{
	struct timeval tv;
	ssize_t n;

	tv.tv_sec = u->cfg.timeout_ms / 1000;
	tv.tv_usec = (u->cfg.timeout_ms % 1000) * 1000;
	if (u->fd >= 0) {
		n = write(u->fd, f->b, f->len);
		if (n != (ssize_t)f->len)
			log_once_warnx(&u->lo, "uart: write to %s: %s", u->path,
			    n < 0 ? strerror(errno) : "short write");
		else
			u->n_sent++;
	}
	evtimer_add(u->ev_timeout, &tv);
}

/* Appends a frame; drops input while the microcontroller is offline. */
static int
uart_enqueue(struct uart *u, const uint8_t *b, size_t len)
{
	struct uart_frame *f;

	if (u->offline || u->fd < 0) {
		u->n_dropped++;
		return error_set(-ENODEV,
		    "the HID microcontroller on %s is not answering: input dropped",
		    u->path);
	}
	if (u->qn == UART_QUEUE) {
		u->n_dropped++;
		return error_set(-EAGAIN,
		    "the serial line to the HID microcontroller is backed up: input dropped");
	}
	f = &u->q[(u->qhead + u->qn++) % UART_QUEUE];
	f->len = (uint8_t)len;
	memcpy(f->b, b, len);
	uart_kick(u);
	return 0;
}

/* Sends the next queued frame when nothing is in flight. */
static void
uart_kick(struct uart *u)
{
	if (u->busy || u->qn == 0)
		return;
	u->cur = u->q[u->qhead];
	u->qhead = (u->qhead + 1) % UART_QUEUE;
	u->qn--;
	u->busy = 1;
	u->attempts = 1;
	u->asked_repeat = 0;
	uart_transmit(u, &u->cur);
}

/* The frame in flight is done (or given up). */
static void
uart_done(struct uart *u)
{
	evtimer_del(u->ev_timeout);
	u->busy = 0;
	uart_kick(u);
}

/* gpiod-ctl answered the reset pulse; only logged. */
static void
uart_reset_cb(int result, struct client_reply *rep, void *arg)
{
	if (result < 0)
		log_warnx(
		    "uart: cannot reach gpiod-ctl to reset the HID microcontroller (%s)",
		    strerror(-result));
	else if (rep->status != 200)
		log_warnx("uart: gpiod-ctl refused the reset pulse (HTTP %d)",
		    rep->status);
	else
		log_info("uart: reset line pulsed");
}

/* Asks gpiod-ctl to pulse the reset line, at most every 10 s. */
static void
uart_pulse_reset(struct uart *u)
{
	uint64_t now = uart_now();
	json_t *body;

	if (u->cfg.reset_after == 0 || u->gpiod_socket == NULL ||
	    u->reset_line == NULL ||
	    (u->last_reset != 0 && now - u->last_reset < UART_RESET_EVERY_NS))
		return;
	u->last_reset = now;
	u->n_resets++;
	log_warnx("uart: asking gpiod-ctl to pulse %s", u->reset_line);
	body = json_pack("{s:s, s:i}", "line", u->reset_line, "ms", 100);
	if (client_call_async(u->base, u->gpiod_socket, "POST", "/pulse", body,
		2000, uart_reset_cb, NULL) < 0)
		log_warnx("uart: reset request failed: %s", error_get());
	json_decref(body);
}

/* A failed exchange: send again, or give up and go offline. */
static void
uart_fail(struct uart *u, const char *why)
{
	u->failures++;
	if (u->cfg.reset_after > 0 && u->failures >= u->cfg.reset_after)
		uart_pulse_reset(u);
	if (u->failures >= UART_FAIL_OFFLINE && !u->offline) {
		log_warnx(
		    "uart: microcontroller on %s not answering (%s); input is dropped until it is back",
		    u->path, why);
		u->offline = 1;
		u->n_dropped += u->qn;
		u->qn = 0;
		u->need_resync = 1;
		uart_notify(u);
	}
	if (!u->busy)
		return;
	if (u->offline || u->attempts >= UART_MAX_ATTEMPTS) {
		uart_done(u);
		return;
	}
	u->attempts++;
	u->n_resent++;
	u->asked_repeat = 0;
	uart_transmit(u, &u->cur);
}

/* The microcontroller answered: it is there. */
static void
uart_alive(struct uart *u)
{
	u->failures = 0;
	if (u->offline || u->need_resync) {
		if (u->offline)
			log_info("uart: microcontroller on %s answers again",
			    u->path);
		u->offline = 0;
		uart_resync(u);
	}
}

/* One reply of the CRC-16 protocol. */
static void
uart_reply_crc16(struct uart *u, const struct mcu_reply *r)
{
	u->n_replies++;
	if (r->code == MCU_REPLY_NONE) {
		/* "Nothing to repeat": it rebooted and lost our state. */
		log_warnx(
		    "uart: microcontroller rebooted; sending the state again");
		u->n_reboots++;
		u->failures = 0;
		u->need_resync = 1;
		u->qn = 0;
		if (u->busy)
			uart_done(u);
		uart_alive(u);
		return;
	}
	if (r->code & MCU_REPLY_OK) {
		u->leds = mcu_reply_leds(r->code);
		u->leds_known = 1;
		u->target_offline = (r->code & MCU_FLAG_KBD_OFFLINE) != 0;
		uart_alive(u);
		if (u->busy)
			uart_done(u);
		uart_notify(u);
		return;
	}
	if (!u->busy)
		return;
	if (r->code == MCU_REPLY_BAD_CRC || r->code == MCU_REPLY_TIMEOUT) {
		/* Our frame arrived damaged or incomplete: send it again. */
		u->failures = 0;
		evtimer_del(u->ev_timeout);
		uart_fail(u, "damaged frame");
		return;
	}
	log_once_warnx(&u->lo,
	    "uart: microcontroller refused command 0x%02x (code 0x%02x)",
	    u->cur.b[1], r->code);
	u->failures = 0;
	uart_done(u);
}

/* One reply of the CH9329. */
static void
uart_reply_ch9329(struct uart *u, const struct ch9329_reply *r)
{
	u->n_replies++;
	if (r->cmd == CH9329_CMD_INFO && !r->error && r->len >= 3) {
		u->leds = r->data[2] & 0x07;
		u->leds_known = 1;
		u->target_offline = r->data[1] == 0;
	}
	if (!u->busy || r->cmd != (u->cur.b[3] & 0x3f)) {
		uart_notify(u);
		return;
	}
	if (r->error) {
		evtimer_del(u->ev_timeout);
		uart_fail(u, "the chip reported an error");
		return;
	}
	uart_alive(u);
	uart_done(u);
	uart_notify(u);
}

/* A reply that failed its check: ask again (CRC-16) or resend. */
static void
uart_bad_reply(struct uart *u)
{
	uint8_t f[MCU_FRAME_LEN];

	u->n_bad_replies++;
	if (!u->busy)
		return;
	evtimer_del(u->ev_timeout);
	if (u->cfg.protocol == UART_CRC16 && !u->asked_repeat &&
	    u->attempts < UART_MAX_ATTEMPTS) {
		struct timeval tv = {0, u->cfg.timeout_ms * 1000};

		u->asked_repeat = 1;
		u->attempts++;
		mcu_frame(f, MCU_CMD_REPEAT, 0, 0, 0, 0);
		if (write(u->fd, f, sizeof(f)) == (ssize_t)sizeof(f))
			u->n_sent++;
		evtimer_add(u->ev_timeout, &tv);
		return;
	}
	uart_fail(u, "bad replies");
}

/* Bytes from the line. */
static void
uart_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct uart *u = arg;
	struct mcu_reply mr;
	struct ch9329_reply cr;
	size_t used;
	ssize_t n;
	int r;

	n = read(fd, u->in + u->inlen, sizeof(u->in) - u->inlen);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		log_warnx("uart: %s: %s", u->path,
		    n == 0 ? "end of file" : strerror(errno));
		event_del(u->ev_read);
		close(u->fd);
		u->fd = -1;
		u->offline = 1;
		u->need_resync = 1;
		uart_notify(u);
		return;
	}
	u->inlen += (size_t)n;
	for (;;) {
		if (u->cfg.protocol == UART_CRC16)
			r = mcu_reply_parse(u->in, u->inlen, &mr, &used);
		else
			r = ch9329_reply_parse(u->in, u->inlen, &cr, &used);
		memmove(u->in, u->in + used, u->inlen - used);
		u->inlen -= used;
		if (r == 0 && used == 0)
			break;
		if (r < 0)
			uart_bad_reply(u);
		else if (r == 1 && u->cfg.protocol == UART_CRC16)
			uart_reply_crc16(u, &mr);
		else if (r == 1)
			uart_reply_ch9329(u, &cr);
	}
	if (u->inlen == sizeof(u->in))
		u->inlen = 0; /* only garbage: start over */
}

/* No reply in time. */
static void
uart_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct uart *u = arg;

	u->n_timeouts++;
	u->need_resync = 1; /* it may have rebooted meanwhile */
	uart_fail(u, "no reply");
}

/* Raw 8N1 at speed, no flow control, reads that never wait.  A tty that
 * is not a serial line (a pty in tests) keeps its settings: 0.  Else 0 or
 * -errno. */
int
uart_setup_line(int fd, speed_t speed)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return 0;
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	cfsetispeed(&t, speed);
	cfsetospeed(&t, speed);
	return tcsetattr(fd, TCSANOW, &t) < 0 ? -errno : 0;
}

/* Opens and sets up the serial line. */
static int
uart_open_line(struct uart *u)
{
	speed_t speed = B115200;
	int fd, r;

	if (uart_speed(u->cfg.baud, &speed) < 0)
		return -EINVAL;
	if ((fd = open(u->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) <
	    0)
		return error_set(
		    -errno, "cannot open %s: %s", u->path, strerror(errno));
	if ((r = uart_setup_line(fd, speed)) < 0) {
		close(fd);
		return error_set(
		    r, "cannot set up %s: %s", u->path, strerror(-r));
	}
	tcflush(fd, TCIOFLUSH);
	u->fd = fd;
	u->inlen = 0;
	if (u->ev_read != NULL)
		event_free(u->ev_read);
	u->ev_read =
	    event_new(u->base, fd, EV_READ | EV_PERSIST, uart_read_cb, u);
	event_add(u->ev_read, NULL);
	log_info("uart: %s open at %u baud (%s)", u->path, u->cfg.baud,
	    u->cfg.protocol == UART_CRC16 ? "crc16" : "ch9329");
	return 0;
}

/* Ping for LEDs (and to notice the microcontroller coming back). */
static void
uart_ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct uart *u = arg;
	uint8_t f[CH9329_MAX_FRAME];
	size_t n;

	if (u->fd < 0 && uart_open_line(u) < 0)
		return;
	if (u->busy || u->qn > 0)
		return;
	if (u->cfg.protocol == UART_CRC16) {
		mcu_frame(f, MCU_CMD_PING, 0, 0, 0, 0);
		n = MCU_FRAME_LEN;
	} else
		n = ch9329_frame(f, CH9329_CMD_INFO, NULL, 0);
	/* Pings go out even when offline: that is how recovery is seen. */
	u->q[(u->qhead + u->qn++) % UART_QUEUE].len = (uint8_t)n;
	memcpy(u->q[(u->qhead + u->qn - 1) % UART_QUEUE].b, f, n);
	uart_kick(u);
}

/* Keyboard frames for the change old -> now. */
static int
uart_keys(
    struct uart *u, const struct report_kbd *old, const struct report_kbd *now)
{
	uint8_t f[CH9329_MAX_FRAME], r[REPORT_KBD_LEN], idx;
	unsigned int i, pass;
	int res = 0;

	if (u->cfg.protocol == UART_CH9329) {
		report_kbd_encode(now, r);
		return uart_enqueue(u, f, ch9329_frame_kbd(f, r));
	}
	for (i = 0; i < 8 && res == 0; i++) {
		if (!((old->mods ^ now->mods) & (1u << i)))
			continue;
		mcu_frame_key(f, keymap_mcu_code(KEYMAP_USAGE_MOD_FIRST + i),
		    (now->mods >> i) & 1);
		res = uart_enqueue(u, f, MCU_FRAME_LEN);
	}
	/* Releases first, then presses. */
	for (pass = 0; pass < 2 && res == 0; pass++) {
		const struct report_kbd *a = pass ? now : old;
		const struct report_kbd *b = pass ? old : now;

		for (i = 0; i < a->n && res == 0; i++) {
			if (report_kbd_is_held(b, a->keys[i]))
				continue;
			if ((idx = keymap_mcu_code(a->keys[i])) == 0) {
				const struct keymap_entry *e =
				    keymap_by_usage(a->keys[i]);

				res = error_set(-EINVAL,
				    "key %s is not supported by the serial HID firmware",
				    e ? e->code : "?");
				break;
			}
			mcu_frame_key(f, idx, pass);
			res = uart_enqueue(u, f, MCU_FRAME_LEN);
		}
	}
	return res;
}

/* Backend op: the keyboard changed. */
static int
uart_keyboard(struct backend *b, const struct report_kbd *old,
    const struct report_kbd *now)
{
	struct uart *u = (struct uart *)b;

	u->kbd = *now;
	if (u->offline || u->fd < 0)
		return uart_enqueue(u, NULL, 0); /* the drop error */
	return uart_keys(u, old, now);
}

/* Backend op: a mouse event. */
static int
uart_mouse(struct backend *b, const struct backend_mouse *m)
{
	struct uart *u = (struct uart *)b;
	uint8_t f[CH9329_MAX_FRAME];
	int moved, res = 0;

	if (m->hwheel != 0)
		return error_set(-EOPNOTSUPP,
		    "the serial HID firmware has no horizontal wheel");
	if (u->cfg.protocol == UART_CH9329 &&
	    (m->changed & (REPORT_BTN_BACK | REPORT_BTN_FORWARD)))
		return error_set(-EOPNOTSUPP,
		    "the CH9329 mouse has only left, right and middle buttons");
	moved = m->kind == BACKEND_MOUSE_ABS &&
	    (!u->mouse_known || m->x != u->mouse.x || m->y != u->mouse.y);
	if (m->kind == BACKEND_MOUSE_ABS) {
		u->mouse.x = (uint16_t)m->x;
		u->mouse.y = (uint16_t)m->y;
		u->mouse_known = 1;
	}
	u->mouse.buttons = m->buttons;
	if (u->cfg.protocol == UART_CH9329) {
		if (m->kind == BACKEND_MOUSE_ABS)
			return uart_enqueue(u, f,
			    ch9329_frame_abs(
				f, m->buttons, m->x, m->y, m->wheel));
		return uart_enqueue(u, f,
		    ch9329_frame_rel(f, m->buttons, m->dx, m->dy, m->wheel));
	}
	if (moved) {
		mcu_frame_move(f, m->x, m->y);
		res = uart_enqueue(u, f, MCU_FRAME_LEN);
	}
	if (res == 0 && (m->dx != 0 || m->dy != 0)) {
		mcu_frame_relative(f, m->dx, m->dy);
		res = uart_enqueue(u, f, MCU_FRAME_LEN);
	}
	if (res == 0 && m->changed != 0) {
		mcu_frame_buttons(f, m->changed, m->buttons);
		res = uart_enqueue(u, f, MCU_FRAME_LEN);
	}
	if (res == 0 && m->wheel != 0) {
		mcu_frame_wheel(f, m->wheel);
		res = uart_enqueue(u, f, MCU_FRAME_LEN);
	}
	return res;
}

/* Backend op: the firmware's "clear everything". */
static int
uart_release(struct backend *b)
{
	struct uart *u = (struct uart *)b;
	uint8_t f[MCU_FRAME_LEN];

	if (u->cfg.protocol != UART_CRC16)
		return 0;
	mcu_frame(f, MCU_CMD_CLEAR, 0, 0, 0, 0);
	return uart_enqueue(u, f, MCU_FRAME_LEN);
}

/* Everything again, after a reboot or an outage. */
static void
uart_resync(struct uart *u)
{
	struct report_kbd empty;
	struct backend_mouse m;
	uint8_t f[MCU_FRAME_LEN];

	u->need_resync = 0;
	log_info("uart: sending the keyboard and mouse state again");
	memset(&empty, 0, sizeof(empty));
	if (u->cfg.protocol == UART_CRC16) {
		mcu_frame(f, MCU_CMD_CLEAR, 0, 0, 0, 0);
		uart_enqueue(u, f, MCU_FRAME_LEN);
	}
	uart_keys(u, &empty, &u->kbd);
	if (u->mouse_known) {
		memset(&m, 0, sizeof(m));
		m.kind = BACKEND_MOUSE_ABS;
		m.x = u->mouse.x;
		m.y = u->mouse.y;
		m.buttons = u->mouse.buttons;
		m.changed = u->mouse.buttons;
		u->mouse_known = 0; /* force the move */
		uart_mouse(&u->b, &m);
	}
	uart_notify(u);
}

/* Backend op: online and why not. */
static void
uart_status(struct backend *b, struct backend_status *st)
{
	struct uart *u = (struct uart *)b;

	memset(st, 0, sizeof(*st));
	st->leds = u->leds;
	st->leds_known = u->leds_known;
	if (u->fd < 0)
		st->reason = "the serial device cannot be opened";
	else if (u->offline)
		st->reason = "the HID microcontroller is not answering";
	else if (u->target_offline)
		st->reason = "the microcontroller's USB keyboard is not "
			     "attached to the target";
	else
		st->online = 1;
}

/* Backend op: frames not done yet. */
static unsigned int
uart_pending(struct backend *b)
{
	struct uart *u = (struct uart *)b;

	return (unsigned int)u->qn + (unsigned int)u->busy;
}

/* Backend op: details for /state. */
static json_t *
uart_details(struct backend *b)
{
	struct uart *u = (struct uart *)b;

	return json_pack("{s:s, s:s, s:i, s:b, s:{s:I, s:I, s:I, s:I, s:I, "
			 "s:I, s:I, s:I}}",
	    "uart", u->path, "protocol",
	    u->cfg.protocol == UART_CRC16 ? "crc16" : "ch9329", "baud",
	    (int)u->cfg.baud, "open", u->fd >= 0, "counters", "sent",
	    (json_int_t)u->n_sent, "replies", (json_int_t)u->n_replies,
	    "bad_replies", (json_int_t)u->n_bad_replies, "resent",
	    (json_int_t)u->n_resent, "timeouts", (json_int_t)u->n_timeouts,
	    "reboots", (json_int_t)u->n_reboots, "resets",
	    (json_int_t)u->n_resets, "dropped", (json_int_t)u->n_dropped);
}

/*
 * At stop the loop no longer runs, so queued frames would never leave:
 * write the release straight away (after the frame in flight, if any,
 * has had its chance) and give the line up to 200 ms to send it.
 */
static void
uart_final_release(struct uart *u)
{
	uint8_t f[CH9329_MAX_FRAME], zero[REPORT_KBD_LEN] = {0};
	size_t n;
	int i, queued;

	if (u->cfg.protocol == UART_CRC16) {
		mcu_frame(f, MCU_CMD_CLEAR, 0, 0, 0, 0);
		n = MCU_FRAME_LEN;
	} else
		n = ch9329_frame_kbd(f, zero);
	usleep(u->busy ? u->cfg.timeout_ms * 1000u : 0);
	if (write(u->fd, f, n) != (ssize_t)n)
		return;
	for (i = 0; i < 40; i++) {
		if (ioctl(u->fd, TIOCOUTQ, &queued) < 0 || queued == 0)
			break;
		usleep(5000);
	}
}

/* Backend op: close. */
static void
uart_free(struct backend *b)
{
	struct uart *u = (struct uart *)b;

	if (u == NULL)
		return;
	if (u->ev_read != NULL)
		event_free(u->ev_read);
	event_free(u->ev_timeout);
	event_free(u->ev_ping);
	if (u->fd >= 0) {
		uart_final_release(u);
		close(u->fd);
	}
	free(u->path);
	free(u->gpiod_socket);
	free(u->reset_line);
	free(u);
}

static const struct backend_ops uart_ops = {
    .name = "uart",
    .keyboard = uart_keyboard,
    .mouse = uart_mouse,
    .release = uart_release,
    .status = uart_status,
    .pending = uart_pending,
    .details = uart_details,
    .free = uart_free,
};

/* Opens the line and starts pinging. */
int
uart_open(struct event_base *base, const struct uart_config *cfg,
    struct backend **ret)
{
	struct uart *u = xcalloc(1, sizeof(*u));
	struct timeval tv;
	unsigned int ping;
	int r;

	u->b.ops = &uart_ops;
	u->base = base;
	u->cfg = *cfg;
	u->fd = -1;
	u->last_online = -1;
	if (u->cfg.baud == 0)
		u->cfg.baud = cfg->protocol == UART_CH9329 ? 9600 : 115200;
	if (u->cfg.timeout_ms == 0)
		u->cfg.timeout_ms = 100;
	u->path = xstrdup(cfg->path);
	u->gpiod_socket = cfg->gpiod_socket ? xstrdup(cfg->gpiod_socket) : NULL;
	u->reset_line = cfg->reset_line ? xstrdup(cfg->reset_line) : NULL;
	u->ev_timeout = evtimer_new(base, uart_timeout_cb, u);
	u->ev_ping = event_new(base, -1, EV_PERSIST, uart_ping_cb, u);
	if ((r = uart_open_line(u)) < 0) {
		uart_free(&u->b);
		return r;
	}
	/* Without pings the outage would never end: ping at least 2/s. */
	ping = cfg->ping_ms == 0 || cfg->ping_ms > 500 ? 500 : cfg->ping_ms;
	tv.tv_sec = ping / 1000;
	tv.tv_usec = (ping % 1000) * 1000;
	event_add(u->ev_ping, &tv);
	*ret = &u->b;
	return 0;
}
