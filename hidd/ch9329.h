/*
 * ch9329.h -- frames of the CH9329 serial-to-USB-HID chip.
 *
 * Frame: 0x57 0xab, address (0x00), command, length, data, and a sum of
 * all previous bytes modulo 256.  The chip answers every command with the
 * command | 0x80 (success) or | 0xc0 (error, one data byte: 0xe1 timeout,
 * 0xe2 bad header, 0xe3 bad command, 0xe4 bad sum, 0xe5 bad parameter,
 * 0xe6 operation failed).  Pure code.
 */
#ifndef HIDD_CH9329_H
#define HIDD_CH9329_H

#include <stddef.h>
#include <stdint.h>

#define CH9329_MAX_FRAME (6 + 64)

enum ch9329_cmd {
	CH9329_CMD_INFO = 0x01, /* reply: version, usb, leds, ... */
	CH9329_CMD_KBD = 0x02,	/* the 8-byte boot report */
	CH9329_CMD_MEDIA = 0x03,
	CH9329_CMD_ABS = 0x04, /* 0x02, buttons, x, y (LE 0..4095),
					 * wheel */
	CH9329_CMD_REL = 0x05, /* 0x01, buttons, dx, dy, wheel */
	CH9329_CMD_RESET = 0x0f,
};

struct ch9329_reply {
	uint8_t cmd; /* without the 0x80/0xc0 bits */
	int error;   /* 0, or the chip's error byte */
	uint8_t len;
	uint8_t data[64];
};

/* Builds a frame; returns its length.  len <= 64. */
size_t ch9329_frame(uint8_t *out, uint8_t cmd, const uint8_t *data, size_t len);
size_t ch9329_frame_kbd(uint8_t *out, const uint8_t report[8]);
/* x, y in 0..32767 are scaled to the chip's 0..4095. */
size_t ch9329_frame_abs(
    uint8_t *out, uint8_t buttons, unsigned int x, unsigned int y, int wheel);
size_t ch9329_frame_rel(
    uint8_t *out, uint8_t buttons, int dx, int dy, int wheel);
/* Same contract as mcu_reply_parse(): 0 more/garbage, 1 reply,
 * -EBADMSG bad sum (or an impossible length). */
int ch9329_reply_parse(
    const uint8_t *buf, size_t len, struct ch9329_reply *ret, size_t *ret_used);

#endif
