/*
 * fuzz_uart.c -- replies from a serial HID microcontroller, as a byte
 * stream: both reply parsers must always make progress, never read past
 * the input, and report sane lengths.  The first byte picks the protocol.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "ch9329.h"
#include "mcu.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct mcu_reply mr;
	struct ch9329_reply cr;
	size_t off, used;
	int r, ch;

	if (len == 0)
		return 0;
	ch = data[0] & 1;
	for (off = 1; off < len;) {
		used = 0;
		if (ch)
			r = ch9329_reply_parse(
			    data + off, len - off, &cr, &used);
		else
			r = mcu_reply_parse(data + off, len - off, &mr, &used);
		assert(used <= len - off);
		assert(r == 0 || r == 1 || r == -EBADMSG);
		if (r == 1 && ch)
			assert(cr.len <= 64 && used == 6u + cr.len);
		if (r == 1 && !ch)
			assert(used == 4 || used == 8);
		if (used == 0)
			break; /* incomplete: wait for more */
		off += used;
	}
	return 0;
}
