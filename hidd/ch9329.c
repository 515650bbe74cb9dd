/*
 * ch9329.c -- CH9329 frames (see ch9329.h).
 */
#include <errno.h>
#include <string.h>

#include "ch9329.h"
#include "report.h"

/* A frame with header, address 0 and the trailing sum. */
size_t
ch9329_frame(uint8_t *out, uint8_t cmd, const uint8_t *data, size_t len)
{
	size_t i;
	uint8_t sum = 0;

	out[0] = 0x57;
	out[1] = 0xab;
	out[2] = 0x00;
	out[3] = cmd;
	out[4] = (uint8_t)len;
	if (len > 0)
		memcpy(out + 5, data, len);
	for (i = 0; i < 5 + len; i++)
		sum += out[i];
	out[5 + len] = sum;
	return 6 + len;
}

/* The keyboard report as it is. */
size_t
ch9329_frame_kbd(uint8_t *out, const uint8_t report[8])
{
	return ch9329_frame(out, CH9329_CMD_KBD, report, 8);
}

/* Clamps to int8 and returns the byte. */
static uint8_t
ch9329_s8(int v)
{
	v = v < -127 ? -127 : v > 127 ? 127 : v;
	return (uint8_t)(int8_t)v;
}

/* Absolute pointer on the chip's 0..4095 grid. */
size_t
ch9329_frame_abs(
    uint8_t *out, uint8_t buttons, unsigned int x, unsigned int y, int wheel)
{
	uint8_t d[7];

	x = (x > REPORT_ABS_MAX ? REPORT_ABS_MAX : x) * 4095 / REPORT_ABS_MAX;
	y = (y > REPORT_ABS_MAX ? REPORT_ABS_MAX : y) * 4095 / REPORT_ABS_MAX;
	d[0] = 0x02;
	d[1] = buttons & 0x07;
	d[2] = x & 0xff;
	d[3] = x >> 8;
	d[4] = y & 0xff;
	d[5] = y >> 8;
	d[6] = ch9329_s8(wheel);
	return ch9329_frame(out, CH9329_CMD_ABS, d, sizeof(d));
}

/* Relative pointer. */
size_t
ch9329_frame_rel(uint8_t *out, uint8_t buttons, int dx, int dy, int wheel)
{
	uint8_t d[5];

	d[0] = 0x01;
	d[1] = buttons & 0x07;
	d[2] = ch9329_s8(dx);
	d[3] = ch9329_s8(dy);
	d[4] = ch9329_s8(wheel);
	return ch9329_frame(out, CH9329_CMD_REL, d, sizeof(d));
}

/* One reply from the start of buf; see ch9329.h. */
int
ch9329_reply_parse(
    const uint8_t *buf, size_t len, struct ch9329_reply *ret, size_t *ret_used)
{
	size_t skip = 0, need, i;
	uint8_t sum = 0;

	while (skip < len && buf[skip] != 0x57)
		skip++;
	if (skip > 0) {
		*ret_used = skip;
		return 0;
	}
	*ret_used = 0;
	if (len < 2)
		return 0;
	if (buf[1] != 0xab) {
		*ret_used = 1; /* a stray 0x57 */
		return 0;
	}
	if (len < 5)
		return 0;
	if (buf[4] > 64) {
		*ret_used = 2;
		return -EBADMSG;
	}
	need = 6 + (size_t)buf[4];
	if (len < need)
		return 0;
	*ret_used = need;
	for (i = 0; i < need - 1; i++)
		sum += buf[i];
	if (sum != buf[need - 1] || !(buf[3] & 0x80))
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	ret->cmd = buf[3] & 0x3f;
	ret->len = buf[4];
	memcpy(ret->data, buf + 5, ret->len);
	if ((buf[3] & 0xc0) == 0xc0)
		ret->error = ret->len > 0 ? buf[5] : 0xff;
	return 1;
}
