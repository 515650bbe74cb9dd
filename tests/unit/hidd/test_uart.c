/*
 * test_uart.c -- serial HID frames: the Modbus CRC-16 against its known
 * vectors, the 8-byte protocol's requests and replies, and the CH9329's
 * frames with the press-A example from its documentation.
 */
#include <errno.h>
#include <string.h>

#include "ch9329.h"
#include "mcu.h"
#include "report.h"
#include "tap.h"

/* Modbus CRC-16 known vectors. */
static void
test_crc16(void)
{
	is_int(mcu_crc16((const uint8_t *)"123456789", 9), 0x4b37,
	    "CRC-16/MODBUS check value of \"123456789\"");
	is_int(mcu_crc16((const uint8_t *)"\x01\x03\x00\x00\x00\x0a", 6),
	    0xcdc5, "Modbus read 10 registers: CRC c5 cd on the wire");
	is_int(mcu_crc16((const uint8_t *)"\x01\x03\x00\x00\x00\x01", 6),
	    0x0a84, "Modbus read 1 register: CRC 84 0a on the wire");
	is_int(mcu_crc16((const uint8_t *)"", 0), 0xffff, "empty: init");
}

/* Requests: CRC big-endian after 6 bytes. */
static void
test_mcu_requests(void)
{
	uint8_t f[MCU_FRAME_LEN];

	mcu_frame(f, MCU_CMD_PING, 0, 0, 0, 0);
	is_mem(f, "\x33\x01\x00\x00\x00\x00\x18\x38", 8, "ping frame");
	mcu_frame_key(f, 1, 1);
	is_mem(f, "\x33\x11\x01\x01\x00\x00\xe7\xa9", 8, "key A down frame");
	mcu_frame_move(f, 0, REPORT_ABS_MAX);
	is_mem(f, "\x33\x12\x80\x00\x7f\xff", 6,
	    "move: 0 -> -32768, max -> 32767");
	mcu_frame_move(f, 16384, 16383);
	ok(f[2] == 0x00 && f[3] <= 0x01 && f[4] == 0xff && f[5] >= 0xfe,
	    "move: the middle maps near 0 (%02x%02x %02x%02x)", f[2], f[3],
	    f[4], f[5]);
	mcu_frame_buttons(
	    f, REPORT_BTN_LEFT | REPORT_BTN_BACK, REPORT_BTN_LEFT);
	ok(f[1] == 0x13 && f[2] == 0x88 && f[3] == 0x80,
	    "buttons: left selected+down, back selected+up");
	mcu_frame_wheel(f, -1);
	ok(f[1] == 0x14 && f[2] == 0 && f[3] == 0xff, "wheel -1 in byte 3");
	mcu_frame_relative(f, -200, 5);
	ok(f[1] == 0x15 && f[2] == 0x81 && f[3] == 5, "relative clamped");
}

/* Replies: LEDs, short, bad CRC, garbage, the older 4-byte format. */
static void
test_mcu_replies(void)
{
	struct mcu_reply rep;
	size_t used;
	uint8_t buf[32];

	memcpy(buf, "\x34\x82\x00\x00\x00\x00\x71\x7c", 8);
	ok(mcu_reply_parse(buf, 8, &rep, &used) == 1 && used == 8 &&
		rep.code == 0x82,
	    "OK reply with scroll lock");
	is_int(mcu_reply_leds(rep.code), REPORT_LED_SCROLL, "LED mapping");
	is_int(mcu_reply_leds(0x80 | MCU_FLAG_CAPS | MCU_FLAG_NUM),
	    REPORT_LED_CAPS | REPORT_LED_NUM, "caps+num");
	is_int(mcu_reply_leds(MCU_REPLY_BAD_CRC), 0, "no LEDs in errors");
	ok(mcu_reply_parse(buf, 7, &rep, &used) == 0 && used == 0,
	    "short reply: wait for more");
	buf[6] ^= 1;
	ok(mcu_reply_parse(buf, 8, &rep, &used) == -EBADMSG && used == 8,
	    "bad CRC detected");
	memcpy(buf, "\xff\x00\x34\x24\x00\x00\x00\x00\x68\x74", 10);
	ok(mcu_reply_parse(buf, 10, &rep, &used) == 0 && used == 2,
	    "garbage before the magic is skipped");
	ok(mcu_reply_parse(buf + 2, 8, &rep, &used) == 1 &&
		rep.code == MCU_REPLY_NONE,
	    "rebooted reply");
	/* The 4-byte reply of older builds. */
	buf[0] = 0x33;
	buf[1] = 0x40;
	{
		uint16_t crc = mcu_crc16(buf, 2);

		buf[2] = crc >> 8;
		buf[3] = crc & 0xff;
	}
	ok(mcu_reply_parse(buf, 4, &rep, &used) == 1 && used == 4 &&
		rep.code == MCU_REPLY_BAD_CRC,
	    "short reply format");
}

/* CH9329: press A, release, checksum, replies. */
static void
test_ch9329(void)
{
	uint8_t c[CH9329_MAX_FRAME];
	struct ch9329_reply cr;
	size_t used;
	size_t n;
	uint8_t buf[32];

	memset(buf, 0, 8);
	buf[2] = 0x04;
	n = ch9329_frame_kbd(c, buf);
	is_int(n, 14, "keyboard frame length");
	is_mem(c, "\x57\xab\x00\x02\x08\x00\x00\x04\x00\x00\x00\x00\x00\x10",
	    14, "press A as in the CH9329 documentation");
	buf[2] = 0;
	ch9329_frame_kbd(c, buf);
	is_int(c[13], 0x0c, "release: sum 0x0c");
	n = ch9329_frame_abs(c, REPORT_BTN_LEFT, REPORT_ABS_MAX, 0, -1);
	ok(n == 13 && c[3] == 0x04 && c[4] == 7 && c[5] == 0x02 && c[6] == 1 &&
		c[7] == 0xff && c[8] == 0x0f && c[9] == 0 && c[11] == 0xff,
	    "absolute frame: 0..4095 grid, little-endian");
	n = ch9329_frame_rel(c, 0, 1, -1, 0);
	ok(n == 11 && c[3] == 0x05 && c[5] == 0x01 && c[7] == 1 && c[8] == 0xff,
	    "relative frame");
	/* Reply to a keyboard command: 57 ab 00 82 01 00 sum. */
	memcpy(buf, "\x57\xab\x00\x82\x01\x00\x85", 7);
	ok(ch9329_reply_parse(buf, 7, &cr, &used) == 1 && used == 7 &&
		cr.cmd == 2 && cr.error == 0,
	    "keyboard reply");
	memcpy(buf, "\x57\xab\x00\xc2\x01\xe4\xa9", 7);
	ok(ch9329_reply_parse(buf, 7, &cr, &used) == 1 && cr.error == 0xe4,
	    "error reply carries the chip's code");
	buf[6] = 0;
	ok(ch9329_reply_parse(buf, 7, &cr, &used) == -EBADMSG && used == 7,
	    "bad sum");
	ok(ch9329_reply_parse(buf, 4, &cr, &used) == 0 && used == 0,
	    "partial header: wait");
	memcpy(buf, "\x00\x57\x00", 3);
	ok(ch9329_reply_parse(buf, 3, &cr, &used) == 0 && used == 1,
	    "garbage skipped");
	ok(ch9329_reply_parse(buf + 1, 2, &cr, &used) == 0 && used == 1,
	    "stray 0x57 skipped");
}

int
main(void)
{
	test_crc16();
	test_mcu_requests();
	test_mcu_replies();
	test_ch9329();
	return tap_done();
}
