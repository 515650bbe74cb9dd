/*
 * uart.h -- the UART backend: a microcontroller (or a CH9329 chip) on a
 * serial line acts as the target's USB keyboard and mouse.
 *
 * One command is in flight at a time and every reply is checked.  A reply
 * with a bad CRC is asked for again; a command the microcontroller saw
 * damaged is sent again; a missing reply is a timeout, and after
 * reset_after failures in a row the microcontroller is taken as gone: the
 * target is shown offline, input is dropped (not queued), gpiod-ctl is
 * asked to pulse the reset line, and pings continue.  Whenever it answers
 * again after a failure, or says it rebooted, the whole state (held keys,
 * mouse) is sent again.  A ping every ping_ms keeps the LEDs fresh.
 */
#ifndef HIDD_UART_H
#define HIDD_UART_H

#include <termios.h>

struct event_base;
struct backend;

enum uart_protocol {
	UART_CRC16,  /* the 8-byte CRC-16 firmware protocol (mcu.h) */
	UART_CH9329, /* ch9329.h */
};

struct uart_config {
	const char *path;
	enum uart_protocol protocol;
	unsigned int baud;	  /* 0: the protocol's default */
	unsigned int timeout_ms;  /* per reply */
	unsigned int ping_ms;	  /* 0: never */
	unsigned int reset_after; /* failures; 0: never reset */
	const char *gpiod_socket; /* NULL: no reset line */
	const char *reset_line;
};

int uart_open(
    struct event_base *, const struct uart_config *, struct backend **ret);
/* 0 when the rate is one termios knows, else -EINVAL. */
int uart_baud_supported(long long baud);
/* The termios speed of a standard rate; -EINVAL with error_set() if none. */
int uart_speed(long long baud, speed_t *ret);
/* Raw 8N1 at speed for a HID microcontroller (hidd and hidd --release);
 * a pty keeps its settings.  0 or -errno. */
int uart_setup_line(int fd, speed_t speed);

#endif
