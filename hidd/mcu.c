/*
 * mcu.c -- frames of the 8-byte CRC-16 serial HID protocol (see mcu.h).
 */
#include <errno.h>
#include <string.h>

#include "mcu.h"
#include "report.h"

/* Modbus CRC-16: reflected polynomial 0xa001, initial value 0xffff. */
uint16_t
mcu_crc16(const uint8_t *p, size_t len)
{
	uint16_t crc = 0xffff;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = crc & 1 ? (uint16_t)((crc >> 1) ^ 0xa001)
				      : (uint16_t)(crc >> 1);
	}
	return crc;
}

/* Fills a request frame and its CRC. */
void
mcu_frame(uint8_t out[MCU_FRAME_LEN], uint8_t cmd, uint8_t d0, uint8_t d1,
    uint8_t d2, uint8_t d3)
{
	uint16_t crc;

	out[0] = MCU_MAGIC;
	out[1] = cmd;
	out[2] = d0;
	out[3] = d1;
	out[4] = d2;
	out[5] = d3;
	crc = mcu_crc16(out, 6);
	out[6] = crc >> 8;
	out[7] = crc & 0xff;
}

/* A key event. */
void
mcu_frame_key(uint8_t out[MCU_FRAME_LEN], uint8_t index, int down)
{
	mcu_frame(out, MCU_CMD_KEY, index, down ? 1 : 0, 0, 0);
}

/* Scales 0..32767 to the firmware's signed -32768..32767. */
static uint16_t
mcu_scale(unsigned int v)
{
	long s;

	if (v > REPORT_ABS_MAX)
		v = REPORT_ABS_MAX;
	s = (long)v * 65535 / REPORT_ABS_MAX - 32768;
	return (uint16_t)(int16_t)s;
}

/* An absolute move. */
void
mcu_frame_move(uint8_t out[MCU_FRAME_LEN], unsigned int x, unsigned int y)
{
	uint16_t sx = mcu_scale(x), sy = mcu_scale(y);

	mcu_frame(out, MCU_CMD_MOVE, sx >> 8, sx & 0xff, sy >> 8, sy & 0xff);
}

/* Mouse buttons: a select bit and a state bit per button. */
void
mcu_frame_buttons(uint8_t out[MCU_FRAME_LEN], uint8_t changed, uint8_t now)
{
	uint8_t main = 0, extra = 0;

	if (changed & REPORT_BTN_LEFT)
		main |= 0x80 | (now & REPORT_BTN_LEFT ? 0x08 : 0);
	if (changed & REPORT_BTN_RIGHT)
		main |= 0x40 | (now & REPORT_BTN_RIGHT ? 0x04 : 0);
	if (changed & REPORT_BTN_MIDDLE)
		main |= 0x20 | (now & REPORT_BTN_MIDDLE ? 0x02 : 0);
	/* The firmware's "extra up" is button 4 (back), "down" button 5. */
	if (changed & REPORT_BTN_BACK)
		extra |= 0x80 | (now & REPORT_BTN_BACK ? 0x08 : 0);
	if (changed & REPORT_BTN_FORWARD)
		extra |= 0x40 | (now & REPORT_BTN_FORWARD ? 0x04 : 0);
	mcu_frame(out, MCU_CMD_BUTTONS, main, extra, 0, 0);
}

/* Clamps to int8 and returns the byte. */
static uint8_t
mcu_s8(int v)
{
	v = v < -127 ? -127 : v > 127 ? 127 : v;
	return (uint8_t)(int8_t)v;
}

/* Vertical wheel (the firmware has no horizontal one). */
void
mcu_frame_wheel(uint8_t out[MCU_FRAME_LEN], int dy)
{
	mcu_frame(out, MCU_CMD_WHEEL, 0, mcu_s8(dy), 0, 0);
}

/* A relative move. */
void
mcu_frame_relative(uint8_t out[MCU_FRAME_LEN], int dx, int dy)
{
	mcu_frame(out, MCU_CMD_RELATIVE, mcu_s8(dx), mcu_s8(dy), 0, 0);
}

/* One reply from the start of buf; see mcu.h. */
int
mcu_reply_parse(
    const uint8_t *buf, size_t len, struct mcu_reply *ret, size_t *ret_used)
{
	size_t skip = 0, need;
	uint16_t crc;

	while (skip < len && buf[skip] != MCU_MAGIC &&
	    buf[skip] != MCU_MAGIC_REPLY)
		skip++;
	if (skip > 0 || len == 0) {
		*ret_used = skip;
		return 0;
	}
	need = buf[0] == MCU_MAGIC_REPLY ? 8 : 4;
	if (len < need) {
		*ret_used = 0;
		return 0;
	}
	crc = mcu_crc16(buf, need - 2);
	*ret_used = need;
	if (buf[need - 2] != crc >> 8 || buf[need - 1] != (crc & 0xff))
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	ret->code = buf[1];
	if (need == 8)
		memcpy(ret->data, buf + 2, 3);
	return 1;
}

/* The LED bits of a success code, in HID order. */
uint8_t
mcu_reply_leds(uint8_t code)
{
	uint8_t leds = 0;

	if (!(code & MCU_REPLY_OK))
		return 0;
	if (code & MCU_FLAG_CAPS)
		leds |= REPORT_LED_CAPS;
	if (code & MCU_FLAG_SCROLL)
		leds |= REPORT_LED_SCROLL;
	if (code & MCU_FLAG_NUM)
		leds |= REPORT_LED_NUM;
	return leds;
}
