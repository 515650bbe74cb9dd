/*
 * fuzz_ws.c -- hidd's WebSocket messages as hidws_parse() sees them.
 * The first byte picks the opcode (even: text, odd: binary); the rest is
 * the message.  A parsed message must be self-consistent.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "hidws.h"
#include "report.h"
#include "ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct hidws_msg m;
	int op;

	if (len == 0)
		return 0;
	op = data[0] & 1 ? WS_OP_BINARY : WS_OP_TEXT;
	if (hidws_parse(op, data + 1, len - 1, &m) != 0)
		return 0;
	switch (m.type) {
	case HIDWS_KEY:
		assert(m.usage > 3);
		assert(m.down == 0 || m.down == 1);
		break;
	case HIDWS_ABS:
		assert(m.x >= 0 && m.x <= REPORT_ABS_MAX);
		assert(m.y >= 0 && m.y <= REPORT_ABS_MAX);
		break;
	case HIDWS_REL:
		assert(m.x >= -32767 && m.x <= 32767);
		assert(m.y >= -32767 && m.y <= 32767);
		break;
	case HIDWS_WHEEL:
		assert(m.x >= -127 && m.x <= 127 && m.y >= -127 && m.y <= 127);
		break;
	case HIDWS_BUTTON:
		assert(m.button != 0 && !(m.button & (m.button - 1)) &&
		    !(m.button & ~REPORT_BTN_ALL));
		break;
	case HIDWS_RELEASE:
	case HIDWS_PING:
		break;
	}
	return 0;
}
