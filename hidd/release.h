/*
 * release.h -- `hidd --release`: the idle reports, written once, by a short
 * process of its own.
 *
 * When hidd ends while a key or a button is down (a crash, kill -9, the
 * watchdog), the target keeps it pressed: the gadget repeats its last
 * report, a microcontroller holds its keys.  hidd's own stop cannot help
 * then, so the unit runs `hidd --release` after the daemon is gone
 * (ExecStopPost=): it reads the same config and writes what hidd writes
 * when it starts -- the keyboard with every key up, the mice with no
 * button down (the absolute mouse at the centre, where hidd puts it at
 * start), or the firmware's "clear everything".
 *
 * Every fd is non-blocking and the whole step waits at most timeout_ms for
 * the host or the serial line, so it ends well within a second even when
 * the target is off.  A device that does not exist, a FIFO nobody reads
 * and a gadget the host has not attached (ESHUTDOWN) hold no key: they are
 * not errors.  Meant for when hidd is not running: on a serial line its
 * frames would interleave with the daemon's.
 */
#ifndef HIDD_RELEASE_H
#define HIDD_RELEASE_H

#include "uart.h"

struct release_gadget {
	const char *keyboard; /* NULL or "": none */
	const char *mouse;    /* absolute */
	const char *mouse_rel;
};

/*
 * 0 when every configured device took its idle report or holds nothing;
 * else -errno with error_set() naming the first device that did not.
 * *ret_done (may be NULL) counts the reports written.
 */
int release_gadget(
    const struct release_gadget *, unsigned int timeout_ms, int *ret_done);
/* The serial firmware's release; baud 0 is the protocol's default. */
int release_uart(const char *path, enum uart_protocol, unsigned int baud,
    unsigned int timeout_ms);

#endif
