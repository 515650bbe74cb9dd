/*
 * mcu.h -- the 8-byte serial protocol of the widely used open
 * microcontroller HID firmware (Arduino, Pico, STM32 builds).
 *
 * Request: 0x33, command, 4 data bytes, CRC-16 (Modbus: poly 0xa001
 * reflected, init 0xffff) over the first 6 bytes, big-endian.  Reply: 8
 * bytes 0x34, code, 4 bytes, CRC over the first 6 (older builds: 4 bytes
 * 0x33, code, CRC over the first 2).  Code 0x80 | flags is success with the
 * keyboard LEDs and online state; 0x24 means the firmware has no previous
 * reply (it rebooted), 0x40 it saw a bad CRC, 0x45 an unknown command,
 * 0x48 a timeout inside a frame.  Pure code.
 */
#ifndef HIDD_MCU_H
#define HIDD_MCU_H

#include <stddef.h>
#include <stdint.h>

#define MCU_FRAME_LEN	8
#define MCU_MAGIC	0x33
#define MCU_MAGIC_REPLY 0x34

enum mcu_cmd {
	MCU_CMD_PING = 0x01,
	MCU_CMD_REPEAT = 0x02,
	MCU_CMD_SET_KEYBOARD = 0x03,
	MCU_CMD_SET_MOUSE = 0x04,
	MCU_CMD_SET_CONNECTED = 0x05,
	MCU_CMD_CLEAR = 0x10,
	MCU_CMD_KEY = 0x11,
	MCU_CMD_MOVE = 0x12,
	MCU_CMD_BUTTONS = 0x13,
	MCU_CMD_WHEEL = 0x14,
	MCU_CMD_RELATIVE = 0x15,
};

enum mcu_code {
	MCU_REPLY_NONE = 0x24, /* no previous reply: rebooted */
	MCU_REPLY_BAD_CRC = 0x40,
	MCU_REPLY_INVALID = 0x45,
	MCU_REPLY_TIMEOUT = 0x48,
	MCU_REPLY_OK = 0x80, /* | MCU_FLAG_* */
};

#define MCU_FLAG_CAPS	       0x01
#define MCU_FLAG_SCROLL	       0x02
#define MCU_FLAG_NUM	       0x04
#define MCU_FLAG_KBD_OFFLINE   0x08
#define MCU_FLAG_MOUSE_OFFLINE 0x10
#define MCU_FLAG_RESET	       0x40

struct mcu_reply {
	uint8_t code;	 /* enum mcu_code, or 0x80 | flags */
	uint8_t data[3]; /* outputs bytes of long replies */
};

uint16_t mcu_crc16(const uint8_t *, size_t);
/* A request frame. */
void mcu_frame(uint8_t out[MCU_FRAME_LEN], uint8_t cmd, uint8_t d0, uint8_t d1,
    uint8_t d2, uint8_t d3);
/* Key index (keymap_mcu_code()) down or up. */
void mcu_frame_key(uint8_t out[MCU_FRAME_LEN], uint8_t index, int down);
/* Absolute move: x, y in 0..32767 become the firmware's -32768..32767. */
void mcu_frame_move(uint8_t out[MCU_FRAME_LEN], unsigned int x, unsigned int y);
/* Buttons (REPORT_BTN_*): the ones in changed are selected, set to now. */
void mcu_frame_buttons(
    uint8_t out[MCU_FRAME_LEN], uint8_t changed, uint8_t now);
void mcu_frame_wheel(uint8_t out[MCU_FRAME_LEN], int dy);
void mcu_frame_relative(uint8_t out[MCU_FRAME_LEN], int dx, int dy);

/*
 * Finds one reply at the start of buf.  Bytes before a magic byte are
 * garbage: *ret_used counts them (drop them) and 0 is returned, as it is
 * when a reply is not complete yet.  1: *ret filled and *ret_used bytes
 * make up the reply.  -EBADMSG: a reply of *ret_used bytes whose CRC is
 * wrong (ask again with MCU_CMD_REPEAT).
 */
int mcu_reply_parse(
    const uint8_t *buf, size_t len, struct mcu_reply *ret, size_t *ret_used);
/* LED bits (REPORT_LED_*) from a success code. */
uint8_t mcu_reply_leds(uint8_t code);

#endif
