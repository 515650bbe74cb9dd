/*
 * test-ws.c -- the WebSocket frame codec and message reader (common/wsframe.c):
 * RFC 6455 section 5.7 examples, the handshake example of section 1.3, the
 * protocol errors a server must catch, UTF-8, and reassembly of byte streams
 * fed in pieces of every size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ws.h"

static const uint8_t hello_unmasked[] = {
    0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
static const uint8_t hello_masked[] = {
    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
static const uint8_t frag1[] = {0x01, 0x03, 0x48, 0x65, 0x6c};
static const uint8_t frag2[] = {0x80, 0x02, 0x6c, 0x6f};
static const uint8_t ping_unmasked[] = {
    0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
static const uint8_t pong_masked[] = {
    0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};

/* A masked client frame as a browser sends it; returns its length. */
static size_t
client_frame(uint8_t *out, int fin, int opcode, const void *payload, size_t len)
{
	size_t h;

	h = ws_frame_header(out, opcode, fin, len);
	out[1] |= 0x80;
	memcpy(out + h, mask, 4);
	memcpy(out + h + 4, payload, len);
	ws_unmask(out + h + 4, len, mask, 0);
	return h + 4 + len;
}

/* Parses buf expecting success, returning the frame. */
static int
parse(const uint8_t *buf, size_t len, int require_mask, struct ws_frame *f)
{
	memset(f, 0xaa, sizeof(*f));
	return ws_frame_parse(buf, len, require_mask, UINT64_MAX, f);
}

static void
test_rfc_examples(void)
{
	struct ws_frame f;
	uint8_t buf[16];
	size_t i;
	int r;

	r = parse(hello_unmasked, sizeof(hello_unmasked), 0, &f);
	is_int(r, 1, "unmasked Hello parses");
	ok(f.fin && f.opcode == WS_OP_TEXT && !f.masked && f.payload_len == 5 &&
		f.header_len == 2,
	    "unmasked Hello: fin, text, 5 bytes, header 2");
	is_int(ws_frame_parse(
		   hello_unmasked, sizeof(hello_unmasked), 1, UINT64_MAX, &f),
	    -WS_CLOSE_PROTOCOL, "unmasked frame refused when masks required");

	r = parse(hello_masked, sizeof(hello_masked), 1, &f);
	is_int(r, 1, "masked Hello parses");
	ok(f.fin && f.opcode == WS_OP_TEXT && f.masked && f.payload_len == 5 &&
		f.header_len == 6,
	    "masked Hello: fin, text, masked, 5 bytes, header 6");
	is_mem(f.mask, mask, 4, "masked Hello: mask key");
	memcpy(buf, hello_masked + 6, 5);
	ws_unmask(buf, 5, f.mask, 0);
	is_mem(buf, "Hello", 5, "masked Hello unmasks to Hello");
	memcpy(buf, hello_masked + 6, 5);
	for (i = 0; i < 5; i++)
		ws_unmask(buf + i, 1, f.mask, i);
	is_mem(buf, "Hello", 5, "unmasking byte by byte with offsets");

	r = parse(frag1, sizeof(frag1), 0, &f);
	ok(r == 1 && !f.fin && f.opcode == WS_OP_TEXT && f.payload_len == 3,
	    "first fragment: text, not fin, 3 bytes");
	r = parse(frag2, sizeof(frag2), 0, &f);
	ok(r == 1 && f.fin && f.opcode == WS_OP_CONT && f.payload_len == 2,
	    "last fragment: continuation, fin, 2 bytes");

	r = parse(ping_unmasked, sizeof(ping_unmasked), 0, &f);
	ok(r == 1 && f.fin && f.opcode == WS_OP_PING && f.payload_len == 5,
	    "unmasked ping with Hello");
	r = parse(pong_masked, sizeof(pong_masked), 1, &f);
	ok(r == 1 && f.opcode == WS_OP_PONG && f.masked && f.payload_len == 5,
	    "masked pong with Hello");

	{
		static const uint8_t b256[] = {0x82, 0x7e, 0x01, 0x00};
		static const uint8_t b64k[] = {
		    0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00};

		r = parse(b256, sizeof(b256), 0, &f);
		ok(r == 1 && f.opcode == WS_OP_BINARY && f.payload_len == 256 &&
			f.header_len == 4,
		    "256-byte binary: 16-bit length");
		r = parse(b64k, sizeof(b64k), 0, &f);
		ok(r == 1 && f.payload_len == 65536 && f.header_len == 10,
		    "64 KiB binary: 64-bit length");
		is_int(ws_frame_header(buf, WS_OP_BINARY, 1, 256), 4,
		    "header for 256 bytes is 4 long");
		is_mem(buf, b256, 4, "header for 256 bytes as in RFC 5.7");
		is_int(ws_frame_header(buf, WS_OP_BINARY, 1, 65536), 10,
		    "header for 64 KiB is 10 long");
		is_mem(buf, b64k, 10, "header for 64 KiB as in RFC 5.7");
	}
	is_int(ws_frame_header(buf, WS_OP_TEXT, 1, 5), 2,
	    "header for 5 bytes is 2 long");
	is_mem(buf, hello_unmasked, 2, "header for Hello as in RFC 5.7");
	is_int(ws_frame_header(buf, WS_OP_TEXT, 0, 3), 2, "fragment header");
	is_mem(buf, frag1, 2, "first fragment header as in RFC 5.7");
	ws_frame_header(buf, WS_OP_BINARY, 1, 125);
	ok(buf[1] == 125, "125 bytes still fit the 7-bit length");
	ws_frame_header(buf, WS_OP_BINARY, 1, 126);
	ok(buf[1] == 126 && buf[2] == 0 && buf[3] == 126,
	    "126 bytes take the 16-bit length");
	ws_frame_header(buf, WS_OP_BINARY, 1, 65535);
	ok(buf[1] == 126 && buf[2] == 0xff && buf[3] == 0xff,
	    "65535 bytes still fit the 16-bit length");
}

static void
test_need_more(void)
{
	static const uint8_t b64k_masked[] = {
	    0x82, 0xff, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 1, 2, 3, 4};
	struct ws_frame f;
	size_t i;
	int all = 1;

	for (i = 0; i < 6; i++)
		if (ws_frame_parse(hello_masked, i, 1, UINT64_MAX, &f) != 0)
			all = 0;
	ok(all, "every prefix of a masked header asks for more bytes");
	for (i = 0, all = 1; i < sizeof(b64k_masked); i++)
		if (ws_frame_parse(b64k_masked, i, 1, UINT64_MAX, &f) != 0)
			all = 0;
	ok(all, "every prefix of a 14-byte header asks for more bytes");
	ok(ws_frame_parse(
	       b64k_masked, sizeof(b64k_masked), 1, UINT64_MAX, &f) == 1 &&
		f.header_len == 14,
	    "the 14-byte header parses");
}

static void
test_protocol_errors(void)
{
	struct {
		const char *what;
		uint8_t bytes[10];
		size_t len;
		uint64_t max;
		int want;
	} cases[] = {
	    {"RSV1 set", {0xc1, 0x80}, 2, 100, -WS_CLOSE_PROTOCOL},
	    {"RSV2 set", {0xa1, 0x80}, 2, 100, -WS_CLOSE_PROTOCOL},
	    {"RSV3 set", {0x91, 0x80}, 2, 100, -WS_CLOSE_PROTOCOL},
	    {"RSV1 seen in the first byte alone", {0xc1}, 1, 100,
		-WS_CLOSE_PROTOCOL},
	    {"opcode 3 (reserved data)", {0x83, 0x80}, 2, 100,
		-WS_CLOSE_PROTOCOL},
	    {"opcode 7", {0x87, 0x80}, 2, 100, -WS_CLOSE_PROTOCOL},
	    {"opcode 0xB (reserved control)", {0x8b, 0x80}, 2, 100,
		-WS_CLOSE_PROTOCOL},
	    {"opcode 0xF", {0x8f, 0x80}, 2, 100, -WS_CLOSE_PROTOCOL},
	    {"fragmented ping", {0x09, 0x80}, 2, 100, -WS_CLOSE_PROTOCOL},
	    {"fragmented close", {0x08, 0x80}, 2, 100, -WS_CLOSE_PROTOCOL},
	    {"ping of 126 bytes", {0x89, 0xfe, 0x00, 0x7e}, 4, 1000,
		-WS_CLOSE_PROTOCOL},
	    {"close of 127-coded length", {0x88, 0xff}, 2, 1000,
		-WS_CLOSE_PROTOCOL},
	    {"16-bit length for 125 bytes", {0x82, 0xfe, 0x00, 0x7d}, 4, 1000,
		-WS_CLOSE_PROTOCOL},
	    {"16-bit length for 0 bytes", {0x82, 0xfe, 0x00, 0x00}, 4, 1000,
		-WS_CLOSE_PROTOCOL},
	    {"64-bit length for 65535 bytes",
		{0x82, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 10, UINT64_MAX,
		-WS_CLOSE_PROTOCOL},
	    {"64-bit length with the top bit set",
		{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0}, 10, UINT64_MAX,
		-WS_CLOSE_PROTOCOL},
	    {"unmasked client frame", {0x81, 0x05}, 2, 100, -WS_CLOSE_PROTOCOL},
	    {"101 bytes over a 100-byte limit", {0x82, 0xe5}, 2, 100,
		-WS_CLOSE_TOO_BIG},
	    {"64 KiB over a 64 KiB - 1 limit",
		{0x82, 0xff, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}, 10, 65535,
		-WS_CLOSE_TOO_BIG},
	    {"2^62 bytes", {0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0}, 10,
		(uint64_t)1 << 40, -WS_CLOSE_TOO_BIG},
	    {"200 bytes, limit 199", {0x82, 0xfe, 0x00, 0xc8}, 4, 199,
		-WS_CLOSE_TOO_BIG},
	    {"200 bytes, limit 200", {0x82, 0xfe, 0x00, 0xc8}, 4, 200,
		0 /* needs the mask */},
	};
	struct ws_frame f;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_int(ws_frame_parse(
			   cases[i].bytes, cases[i].len, 1, cases[i].max, &f),
		    cases[i].want, "%s", cases[i].what);
	}
	{
		static const uint8_t big[] = {0x82, 0xe5, 1, 2, 3, 4};

		is_int(ws_frame_parse(big, sizeof(big), 1, 100, &f),
		    -WS_CLOSE_TOO_BIG, "masked 101 bytes over a 100 limit");
		is_int(ws_frame_parse(big, sizeof(big), 1, 101, &f), 1,
		    "masked 101 bytes within a 101 limit");
	}
	{
		static const uint8_t ping125[] = {0x89, 0xfd, 1, 2, 3, 4};

		is_int(ws_frame_parse(ping125, sizeof(ping125), 1, 125, &f), 1,
		    "ping of 125 bytes is fine");
	}
}

static void
test_accept_key(void)
{
	char out[29];

	ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out);
	/* RFC 6455 section 1.3 (and Python hashlib) give this value. */
	is_str(out,
	    "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "RFC 6455 1.3 handshake example");
	ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw==", out);
	is_str(out,
	    "HSmrc0sMlYUkAGmm5OPpG2HaGWk=", "RFC 6455 1.2 handshake example");
}

static void
test_utf8(void)
{
	struct {
		const char *what;
		const char *s;
		size_t len;
		int want;
	} cases[] = {
	    {"empty", "", 0, 1},
	    {"ASCII", "Hello, world", 12, 1},
	    {"Greek kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11,
		1},
	    {"4-byte emoji", "\xf0\x9f\x98\x80", 4, 1},
	    {"U+10FFFF", "\xf4\x8f\xbf\xbf", 4, 1},
	    {"U+FFFF", "\xef\xbf\xbf", 3, 1},
	    {"NUL byte", "a\0b", 3, 1},
	    {"long ASCII then 2-byte", "abcdefghijklmnopqrstuvwxyz\xc3\xa9", 28,
		1},
	    {"lone continuation", "\x80", 1, 0},
	    {"overlong NUL", "\xc0\x80", 2, 0},
	    {"overlong 2-byte C1", "\xc1\xbf", 2, 0},
	    {"overlong 3-byte", "\xe0\x80\xaf", 3, 0},
	    {"overlong 4-byte", "\xf0\x80\x80\xaf", 4, 0},
	    {"surrogate U+D800", "\xed\xa0\x80", 3, 0},
	    {"surrogate U+DFFF", "\xed\xbf\xbf", 3, 0},
	    {"past U+10FFFF", "\xf4\x90\x80\x80", 4, 0},
	    {"F5 lead byte", "\xf5\x80\x80\x80", 4, 0},
	    {"5-byte form", "\xf8\x88\x80\x80\x80", 5, 0},
	    {"FE", "\xfe", 1, 0},
	    {"FF", "\xff", 1, 0},
	    {"truncated 2-byte", "a\xc3", 2, 0},
	    {"truncated 4-byte", "\xf0\x9f\x98", 3, 0},
	    {"ASCII after lead byte",
		"\xc3"
		"a",
		2, 0},
	    {"bad byte after 8 ASCII", "abcdefgh\xff", 9, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(ws_utf8_valid((const uint8_t *)cases[i].s, cases[i].len),
		    cases[i].want, "UTF-8: %s", cases[i].what);
}

/* Feeds the reader step bytes at a time until a result; returns it. */
static int
feed(struct ws_reader *rd, const uint8_t *buf, size_t len, size_t step,
    size_t *pos, struct ws_message *msg)
{
	size_t used, n;
	int r;

	while (*pos < len) {
		n = len - *pos < step ? len - *pos : step;
		r = ws_reader_feed(rd, buf + *pos, n, &used, msg);
		if (used > n)
			return -9999;
		*pos += used;
		if (r != 0)
			return r;
		if (used != n)
			return -9998; /* 0 must use all */
	}
	return 0;
}

static void
test_reader_basic(void)
{
	struct ws_reader *rd;
	struct ws_message msg;
	uint8_t stream[256];
	size_t len = 0, pos, step;
	int r, good;

	/* Fragmented "Hel" + ping + "lo", then a binary message. */
	len += client_frame(stream + len, 0, WS_OP_TEXT, "Hel", 3);
	len += client_frame(stream + len, 1, WS_OP_PING, "p!", 2);
	len += client_frame(stream + len, 1, WS_OP_CONT, "lo", 2);
	len += client_frame(stream + len, 1, WS_OP_BINARY, "\x00\xff", 2);
	len += client_frame(stream + len, 1, WS_OP_PONG, "", 0);
	len += client_frame(stream + len, 1, WS_OP_CLOSE,
	    "\x03\xe8"
	    "bye",
	    5);

	for (step = 1, good = 1; step <= len; step++) {
		rd = ws_reader_new(1, 0);
		pos = 0;
		r = feed(rd, stream, len, step, &pos, &msg);
		good &= r == 1 && msg.opcode == WS_OP_PING && msg.len == 2 &&
		    memcmp(msg.data, "p!", 2) == 0;
		r = feed(rd, stream, len, step, &pos, &msg);
		good &= r == 1 && msg.opcode == WS_OP_TEXT && msg.len == 5 &&
		    memcmp(msg.data, "Hello", 5) == 0;
		r = feed(rd, stream, len, step, &pos, &msg);
		good &= r == 1 && msg.opcode == WS_OP_BINARY && msg.len == 2 &&
		    memcmp(msg.data, "\x00\xff", 2) == 0;
		r = feed(rd, stream, len, step, &pos, &msg);
		good &= r == 1 && msg.opcode == WS_OP_PONG && msg.len == 0;
		r = feed(rd, stream, len, step, &pos, &msg);
		good &= r == 1 && msg.opcode == WS_OP_CLOSE &&
		    msg.close_code == 1000 && msg.len == 3 &&
		    memcmp(msg.data, "bye", 3) == 0;
		good &= pos == len;
		r = feed(rd, stream, len, step, &pos, &msg);
		good &= r == 0;
		if (!good)
			diag("failed with pieces of %zu bytes", step);
		ws_reader_free(rd);
		if (!good)
			break;
	}
	ok(good,
	    "ping between fragments, binary, pong, close: in pieces of 1..%zu bytes",
	    len);

	rd = ws_reader_new(1, 0);
	pos = 0;
	len = client_frame(stream, 1, WS_OP_CLOSE, "", 0);
	r = feed(rd, stream, len, len, &pos, &msg);
	ok(r == 1 && msg.opcode == WS_OP_CLOSE &&
		msg.close_code == WS_CLOSE_NO_STATUS && msg.len == 0,
	    "close without a body: 1005");
	ws_reader_free(rd);

	rd = ws_reader_new(1, 0);
	pos = 0;
	len = client_frame(stream, 1, WS_OP_TEXT, "", 0);
	r = feed(rd, stream, len, len, &pos, &msg);
	ok(r == 1 && msg.opcode == WS_OP_TEXT && msg.len == 0,
	    "empty text message");
	ws_reader_free(rd);

	rd = ws_reader_new(0, 0);
	pos = 0;
	r = feed(rd, frag1, sizeof(frag1), 64, &pos, &msg);
	is_int(r, 0, "unmasked RFC fragment 1 (masks not required)");
	pos = 0;
	r = feed(rd, frag2, sizeof(frag2), 64, &pos, &msg);
	ok(r == 1 && msg.len == 5 && memcmp(msg.data, "Hello", 5) == 0,
	    "RFC fragments reassemble to Hello");
	ws_reader_free(rd);
	ws_reader_free(NULL);
}

/* Runs a stream of client frames through a fresh reader; returns the first
 * non-zero result, skipping messages when skip_msgs. */
static int
run(const uint8_t *stream, size_t len, size_t max_message, int skip_msgs)
{
	struct ws_reader *rd = ws_reader_new(1, max_message);
	struct ws_message msg;
	size_t pos = 0;
	int r;

	do
		r = feed(rd, stream, len, 7, &pos, &msg);
	while (r == 1 && skip_msgs && pos < len);
	if (r < 0) {
		size_t used;
		int again = ws_reader_feed(rd, stream, len, &used, &msg);

		if (again != r || used != 0)
			r = -8888; /* errors must stick */
	}
	ws_reader_free(rd);
	return r;
}

static void
test_reader_errors(void)
{
	static uint8_t big[70000];
	uint8_t s[70100];
	size_t n;

	n = client_frame(s, 1, WS_OP_CONT, "x", 1);
	is_int(run(s, n, 0, 0), -WS_CLOSE_PROTOCOL,
	    "continuation without a message");
	n = client_frame(s, 0, WS_OP_TEXT, "a", 1);
	n += client_frame(s + n, 1, WS_OP_TEXT, "b", 1);
	is_int(run(s, n, 0, 0), -WS_CLOSE_PROTOCOL,
	    "new message inside a fragmented one");
	n = client_frame(s, 1, WS_OP_TEXT, "a\xff", 2);
	is_int(run(s, n, 0, 0), -WS_CLOSE_BAD_DATA, "text that is not UTF-8");
	n = client_frame(s, 0, WS_OP_TEXT, "\xf0\x9f", 2);
	n += client_frame(s + n, 1, WS_OP_CONT, "\x98\x80", 2);
	is_int(run(s, n, 0, 0), 1, "a character split between fragments");
	n = client_frame(s, 1, WS_OP_TEXT, "\xf0\x9f\x98", 3);
	is_int(run(s, n, 0, 0), -WS_CLOSE_BAD_DATA,
	    "text ending inside a character");
	n = client_frame(s, 0, WS_OP_TEXT, "ok", 2);
	n += client_frame(s + n, 0, WS_OP_CONT, "\xc0\xaf", 2);
	is_int(run(s, n, 0, 0), -WS_CLOSE_BAD_DATA,
	    "bad UTF-8 refused before the message ends");
	n = client_frame(s, 1, WS_OP_BINARY, "\xff\xfe", 2);
	is_int(run(s, n, 0, 0), 1, "binary need not be UTF-8");
	n = client_frame(s, 1, WS_OP_CLOSE, "\x03", 1);
	is_int(run(s, n, 0, 0), -WS_CLOSE_PROTOCOL, "close with 1-byte body");
	n = client_frame(s, 1, WS_OP_CLOSE, "\x03\xed", 2);
	is_int(run(s, n, 0, 0), -WS_CLOSE_PROTOCOL, "close code 1005 sent");
	n = client_frame(s, 1, WS_OP_CLOSE, "\x03\xee", 2);
	is_int(run(s, n, 0, 0), -WS_CLOSE_PROTOCOL, "close code 1006 sent");
	n = client_frame(s, 1, WS_OP_CLOSE, "\x03\xe7", 2);
	is_int(run(s, n, 0, 0), -WS_CLOSE_PROTOCOL, "close code 999");
	n = client_frame(s, 1, WS_OP_CLOSE, "\x13\x88", 2);
	is_int(run(s, n, 0, 0), -WS_CLOSE_PROTOCOL, "close code 5000");
	n = client_frame(s, 1, WS_OP_CLOSE, "\x0f\xa0", 2);
	is_int(run(s, n, 0, 0), 1, "close code 4000 (private use)");
	n = client_frame(s, 1, WS_OP_CLOSE, "\x03\xe8\xff", 3);
	is_int(run(s, n, 0, 0), -WS_CLOSE_BAD_DATA,
	    "close reason that is not UTF-8");

	memset(big, 'A', sizeof(big));
	n = client_frame(s, 1, WS_OP_BINARY, big, 65536);
	is_int(run(s, n, 65536, 0), 1, "64 KiB message within 64 KiB limit");
	is_int(run(s, n, 65535, 0), -WS_CLOSE_TOO_BIG,
	    "64 KiB message over a 64 KiB - 1 limit");
	is_int(run(s, n, 0, 0), 1, "default limit is 64 KiB");
	n = client_frame(s, 1, WS_OP_BINARY, big, 65537);
	is_int(run(s, n, 0, 0), -WS_CLOSE_TOO_BIG,
	    "64 KiB + 1 over the default limit");
	n = client_frame(s, 0, WS_OP_TEXT, big, 600);
	n += client_frame(s + n, 0, WS_OP_CONT, big, 300);
	n += client_frame(s + n, 1, WS_OP_PING, big, 125);
	n += client_frame(s + n, 1, WS_OP_CONT, big, 101);
	is_int(run(s, n, 1000, 1), -WS_CLOSE_TOO_BIG,
	    "fragments adding up to 1001 over a 1000 limit");
	n = client_frame(s, 0, WS_OP_TEXT, big, 600);
	n += client_frame(s + n, 0, WS_OP_CONT, big, 300);
	n += client_frame(s + n, 1, WS_OP_PING, big, 125);
	n += client_frame(s + n, 1, WS_OP_CONT, big, 100);
	is_int(run(s, n, 1000, 1), 1,
	    "fragments of exactly 1000 with a ping of 125 between");
	n = client_frame(s, 1, WS_OP_TEXT, "x", 1);
	s[0] = 0x81;
	s[1] = 0x01; /* unmasked */
	is_int(run(s, 3, 0, 0), -WS_CLOSE_PROTOCOL, "unmasked frame in reader");
}

static void
test_origin(void)
{
	struct {
		const char *origin, *host;
		int want;
	} cases[] = {
	    {"https://kvm.example", "kvm.example", 1},
	    {"https://kvm.example", "kvm.example:443", 1},
	    {"https://kvm.example:443", "kvm.example", 1},
	    {"https://KVM.Example", "kvm.example", 1},
	    {"HTTPS://kvm.example", "kvm.example", 1},
	    {"http://kvm.example", "kvm.example:80", 1},
	    {"http://kvm.example", "kvm.example:443", 0},
	    {"https://kvm.example:8443", "kvm.example:8443", 1},
	    {"https://kvm.example:8443", "kvm.example", 0},
	    {"https://kvm.example", "kvm.example:8443", 0},
	    {"https://evil.example", "kvm.example", 0},
	    {"https://kvm.example.evil", "kvm.example", 0},
	    {"https://kvm.exampl", "kvm.example", 0},
	    {"null", "kvm.example", 0},
	    {"", "kvm.example", 0},
	    {"https://kvm.example/", "kvm.example", 0},
	    {"https://user@kvm.example", "kvm.example", 0},
	    {"https://[::1]:8080", "[::1]:8080", 1},
	    {"https://[::1]", "[::1]", 1},
	    {"https://[::1]", "[::2]", 0},
	    {"https://[::1", "[::1", 0},
	    {"https://kvm.example:0", "kvm.example:0", 0},
	    {"https://kvm.example:99999", "kvm.example:99999", 0},
	    {"https://kvm.example:", "kvm.example", 0},
	    {"https://kvm.example:443x", "kvm.example", 0},
	    {"https://kvm.example", "kvm.example:abc", 0},
	    {"https://", "", 0},
	    {"https://:443", ":443", 0},
	    {"https://kvm.example", "kvm.example, proxy.internal", 1},
	    {"https://proxy.internal", "kvm.example, proxy.internal", 0},
	    {"chrome-extension://abc", "abc", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(ws_origin_is_host(cases[i].origin, cases[i].host),
		    cases[i].want, "Origin '%s' for host '%s'", cases[i].origin,
		    cases[i].host);
}

int
main(void)
{
	test_rfc_examples();
	test_need_more();
	test_protocol_errors();
	test_accept_key();
	test_utf8();
	test_reader_basic();
	test_reader_errors();
	test_origin();
	return tap_done();
}
