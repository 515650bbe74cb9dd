/*
 * ws_frame.c -- fuzz target for the WebSocket frame parser and the message
 * reader (common/wsframe.c) with bytes a client might send.
 *
 * The first input byte picks the reader's limits and the size of the pieces
 * the rest is fed in, so one corpus file exercises a stream cut at many
 * places.  Beyond "no crash", the target checks what the connection layer
 * relies on: the reader never claims more bytes than it got, asks for more
 * only after using everything, never returns a message over its limit, a
 * control frame over 125 bytes, or text that is not UTF-8, and an error
 * sticks.  A parsed header written back by ws_frame_header() is the same.
 * The handshake's Origin/Host comparison gets the bytes too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Checks one header parse and its round trip through ws_frame_header(). */
static void
fuzz_parse(const uint8_t *data, size_t len, int require_mask, uint64_t max)
{
	struct ws_frame f;
	uint8_t hdr[10];
	size_t hlen;
	int r;

	r = ws_frame_parse(data, len, require_mask, max, &f);
	if (r < 0) {
		if (r != -WS_CLOSE_PROTOCOL && r != -WS_CLOSE_TOO_BIG)
			abort();
		return;
	}
	if (r == 0)
		return;
	if (r != 1 || f.header_len > len || f.header_len > 14 ||
	    f.payload_len > max || (require_mask && !f.masked))
		abort();
	if ((f.opcode & 0x8) && (f.payload_len > 125 || !f.fin))
		abort();
	hlen = ws_frame_header(hdr, f.opcode, f.fin, f.payload_len);
	if (hlen != f.header_len - (f.masked ? 4 : 0) ||
	    memcmp(hdr, data, 1) != 0 || (hdr[1] & 0x7f) != (data[1] & 0x7f) ||
	    memcmp(hdr + 2, data + 2, hlen - 2) != 0)
		abort();
}

/* Feeds data to a reader in pieces of step bytes, checking each answer. */
static void
fuzz_reader(
    const uint8_t *data, size_t len, int require_mask, size_t max, size_t step)
{
	struct ws_reader *rd;
	struct ws_message msg;
	size_t pos = 0, n, used;
	int r, err = 0;

	rd = ws_reader_new(require_mask, max);
	while (pos < len) {
		n = len - pos < step ? len - pos : step;
		r = ws_reader_feed(rd, data + pos, n, &used, &msg);
		if (used > n)
			abort();
		pos += used;
		if (r < 0) {
			if (r != -WS_CLOSE_PROTOCOL && r != -WS_CLOSE_TOO_BIG &&
			    r != -WS_CLOSE_BAD_DATA)
				abort();
			err = r;
			break;
		}
		if (r == 0) {
			if (used != n)
				abort();
			continue;
		}
		if (r != 1)
			abort();
		switch (msg.opcode) {
		case WS_OP_TEXT:
			if (!ws_utf8_valid(msg.data, msg.len))
				abort();
			/* FALLTHROUGH */
		case WS_OP_BINARY:
			if (msg.len > (max ? max : 65536))
				abort();
			break;
		case WS_OP_CLOSE:
			if (msg.len > 123 || !ws_utf8_valid(msg.data, msg.len))
				abort();
			if (msg.close_code != WS_CLOSE_NO_STATUS &&
			    (msg.close_code < 1000 || msg.close_code > 4999))
				abort();
			break;
		case WS_OP_PING:
		case WS_OP_PONG:
			if (msg.len > 125)
				abort();
			break;
		default:
			abort();
		}
		/* Never NULL, even when empty; readable in full. */
		if (msg.data == NULL)
			abort();
		if (msg.len > 0)
			(void)*(volatile const uint8_t *)&msg.data[msg.len - 1];
	}
	if (err != 0 && ws_reader_feed(rd, data, len, &used, &msg) != err)
		abort();
	ws_reader_free(rd);
}

/* The handshake's Origin check: "origin\nhost" from the input. */
static void
fuzz_origin(const uint8_t *data, size_t len)
{
	const uint8_t *nl = memchr(data, '\n', len);
	size_t olen = nl ? (size_t)(nl - data) : len;
	char *origin, *host;
	int r;

	origin = strndup((const char *)data, olen);
	host = strndup(nl ? (const char *)nl + 1 : "", nl ? len - olen - 1 : 0);
	if (origin == NULL || host == NULL)
		abort();
	r = ws_origin_is_host(origin, host);
	if (r != 0 && r != 1)
		abort();
	free(origin);
	free(host);
}

/* Entry point: byte 0 chooses the settings, the rest is the stream.
 * With bit 6 set, the bytes are also an Origin and a Host for the
 * handshake check. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const size_t steps[] = {1, 2, 3, 7, 64, 4096};
	static const size_t maxes[] = {0, 1, 125, 1000};
	uint8_t sel;
	size_t i;

	if (len < 1)
		return 0;
	sel = data[0];
	data++;
	len--;
	for (i = 0; i < len && i < 16; i++) {
		fuzz_parse(data + i, len - i, 1, UINT64_MAX);
		fuzz_parse(data + i, len - i, 0, 1000);
	}
	fuzz_reader(data, len, !(sel & 0x80), maxes[(sel >> 3) & 3],
	    steps[(sel & 7) % 6]);
	fuzz_reader(data, len, 1, 0, len ? len : 1);
	(void)ws_utf8_valid(data, len);
	if (sel & 0x40)
		fuzz_origin(data, len);
	return 0;
}
