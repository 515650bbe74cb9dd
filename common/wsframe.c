/*
 * wsframe.c -- the pure half of ws.h: WebSocket frame codec, UTF-8 check,
 * message reader and the handshake's Origin comparison.
 *
 * Only bytes in, results out; no sockets, no event loop (fuzzed as ws_frame).
 * The codec parses and builds frame headers; the reader turns a byte stream
 * from a client into whole messages and control frames, checking everything
 * RFC 6455 asks of a server: masking, fragmentation rules, sizes, UTF-8 and
 * close payloads.  ws.c runs the connection on top of it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "log.h"
#include "wsframe.h"
#include "xmalloc.h"

#define WS_GUID		   "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_DEFAULT_MESSAGE (64 * 1024)
#define WS_CONTROL_MAX	   125

/* Frame codec. */

/* 1 for the opcodes RFC 6455 defines. */
static int
ws_opcode_known(int op)
{
	return op == WS_OP_CONT || op == WS_OP_TEXT || op == WS_OP_BINARY ||
	    op == WS_OP_CLOSE || op == WS_OP_PING || op == WS_OP_PONG;
}

/* Parses one frame header; see ws.h. */
int
ws_frame_parse(const uint8_t *buf, size_t len, int require_mask,
    uint64_t max_payload, struct ws_frame *ret)
{
	struct ws_frame f = {0};
	uint64_t plen;
	size_t hlen = 2, i;
	int len7;

	if (len < 1)
		return 0;
	f.fin = buf[0] >> 7;
	f.opcode = buf[0] & 0x0f;
	if (buf[0] & 0x70)
		return -WS_CLOSE_PROTOCOL; /* no extension negotiated */
	if (!ws_opcode_known(f.opcode))
		return -WS_CLOSE_PROTOCOL;
	if ((f.opcode & 0x8) && !f.fin)
		return -WS_CLOSE_PROTOCOL; /* fragmented control frame */
	if (len < 2)
		return 0;
	f.masked = buf[1] >> 7;
	len7 = buf[1] & 0x7f;
	if (require_mask && !f.masked)
		return -WS_CLOSE_PROTOCOL;
	if ((f.opcode & 0x8) && len7 > WS_CONTROL_MAX)
		return -WS_CLOSE_PROTOCOL;
	if (len7 == 126) {
		hlen = 4;
		if (len < hlen)
			return 0;
		plen = (uint64_t)buf[2] << 8 | buf[3];
		if (plen < 126)
			return -WS_CLOSE_PROTOCOL; /* not minimal */
	} else if (len7 == 127) {
		hlen = 10;
		if (len < hlen)
			return 0;
		for (plen = 0, i = 2; i < 10; i++)
			plen = plen << 8 | buf[i];
		if (plen >> 63)
			return -WS_CLOSE_PROTOCOL; /* top bit must be 0 */
		if (plen <= 0xffff)
			return -WS_CLOSE_PROTOCOL; /* not minimal */
	} else
		plen = (uint64_t)len7;
	if (plen > max_payload)
		return -WS_CLOSE_TOO_BIG;
	if (f.masked) {
		if (len < hlen + 4)
			return 0;
		memcpy(f.mask, buf + hlen, 4);
		hlen += 4;
	}
	f.payload_len = plen;
	f.header_len = hlen;
	*ret = f;
	return 1;
}

/* XORs data with the mask, starting at payload offset off. */
void
ws_unmask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t off)
{
	uint8_t m[8];
	uint64_t m64, w;
	size_t i = 0;
	unsigned int k;

	/* Rotate the mask so that m[0] applies to data[0]. */
	for (k = 0; k < 8; k++)
		m[k] = mask[(off + k) & 3];
	memcpy(&m64, m, 8);
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, data + i, 8);
		w ^= m64;
		memcpy(data + i, &w, 8);
	}
	for (; i < len; i++)
		data[i] ^= m[i & 7];
}

/* Writes a server frame header; see ws.h. */
size_t
ws_frame_header(uint8_t *out, int opcode, int fin, uint64_t len)
{
	int i;

	out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xffff) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 127;
	for (i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

/* Sec-WebSocket-Accept for a client key. */
void
ws_accept_key(const char *client_key, char *out)
{
	EVP_MD_CTX *ctx;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		xmalloc_fatal("a SHA-1 context");
	if (EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, client_key, strlen(client_key)) != 1 ||
	    EVP_DigestUpdate(ctx, WS_GUID, strlen(WS_GUID)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 20)
		fatalx("libcrypto cannot compute SHA-1");
	EVP_MD_CTX_free(ctx);
	EVP_EncodeBlock((unsigned char *)out, md, 20); /* 28 chars + NUL */
}

/* UTF-8 checked in pieces: bytes still expected and the range of the next. */
struct ws_utf8 {
	uint8_t need, lo, hi;
};

/* Feeds bytes to the UTF-8 check; 0 as soon as they cannot be UTF-8.
 * Overlong forms, surrogates and code points past U+10FFFF are refused. */
static int
ws_utf8_step(struct ws_utf8 *u, const uint8_t *s, size_t len)
{
	uint64_t w;
	size_t i = 0;
	uint8_t c;

	while (i < len) {
		if (u->need == 0 && i + 8 <= len) {
			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		c = s[i++];
		if (u->need > 0) {
			if (c < u->lo || c > u->hi)
				return 0;
			u->need--;
			u->lo = 0x80;
			u->hi = 0xbf;
			continue;
		}
		if (c < 0x80)
			continue;
		u->lo = 0x80;
		u->hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			u->need = 1;
		else if (c == 0xe0) {
			u->need = 2;
			u->lo = 0xa0;
		} else if (c == 0xed) {
			u->need = 2;
			u->hi = 0x9f; /* no surrogates */
		} else if (c >= 0xe1 && c <= 0xef)
			u->need = 2;
		else if (c == 0xf0) {
			u->need = 3;
			u->lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3)
			u->need = 3;
		else if (c == 0xf4) {
			u->need = 3;
			u->hi = 0x8f; /* up to U+10FFFF */
		} else
			return 0;
	}
	return 1;
}

/* 1 when s[0..len) is valid UTF-8. */
int
ws_utf8_valid(const uint8_t *s, size_t len)
{
	struct ws_utf8 u = {0, 0x80, 0xbf};

	return ws_utf8_step(&u, s, len) && u.need == 0;
}

/* 1 for a close code a peer may send (RFC 6455 section 7.4). */
static int
ws_close_code_valid(int code)
{
	if (code >= 3000 && code <= 4999)
		return 1;
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

/* Message reader. */

struct ws_reader {
	int require_mask;
	size_t max_message;
	int error; /* sticky -code */

	uint8_t hdr[14]; /* a frame header being collected */
	size_t hdr_len;
	int in_frame; /* header parsed, payload coming */
	struct ws_frame frame;
	uint64_t frame_got;

	int msg_opcode; /* TEXT/BINARY in progress, else 0 */
	int msg_done;	/* last call returned the message */
	uint8_t *msg;
	size_t msg_len, msg_cap;
	struct ws_utf8 utf8;

	uint8_t ctl[WS_CONTROL_MAX];
	size_t ctl_len;
};

/* A reader for one connection. */
struct ws_reader *
ws_reader_new(int require_mask, size_t max_message)
{
	struct ws_reader *rd;

	rd = xcalloc(1, sizeof(*rd));
	rd->require_mask = require_mask;
	rd->max_message = max_message ? max_message : WS_DEFAULT_MESSAGE;
	return rd;
}

/* Frees a reader; NULL is fine. */
void
ws_reader_free(struct ws_reader *rd)
{
	if (rd == NULL)
		return;
	free(rd->msg);
	free(rd);
}

/* Remembers the first protocol error and returns it. */
static int
ws_reader_fail(struct ws_reader *rd, int code)
{
	rd->error = -code;
	return rd->error;
}

/* Checks a parsed frame against the message in progress and starts it. */
static int
ws_reader_begin(struct ws_reader *rd)
{
	const struct ws_frame *f = &rd->frame;

	if (f->opcode & 0x8) {
		rd->ctl_len = 0;
		return 0;
	}
	if (f->opcode == WS_OP_CONT) {
		if (rd->msg_opcode == 0)
			return ws_reader_fail(rd, WS_CLOSE_PROTOCOL);
		return 0;
	}
	if (rd->msg_opcode != 0)
		return ws_reader_fail(rd, WS_CLOSE_PROTOCOL);
	rd->msg_opcode = f->opcode;
	rd->msg_len = 0;
	rd->utf8 = (struct ws_utf8){0, 0x80, 0xbf};
	return 0;
}

/* Copies n payload bytes of the current frame to where they belong. */
static int
ws_reader_payload(struct ws_reader *rd, const uint8_t *p, size_t n)
{
	uint8_t *dst;
	size_t cap;

	if (rd->frame.opcode & 0x8) {
		dst = rd->ctl + rd->ctl_len;
		rd->ctl_len += n;
	} else {
		/* Bounded by max_message: ws_frame_parse() checked the frame
		 * against what was left. */
		if (rd->msg_len + n > rd->msg_cap) {
			cap = rd->msg_cap ? rd->msg_cap : 4096;
			while (cap < rd->msg_len + n)
				cap *= 2;
			if (cap > rd->max_message)
				cap = rd->max_message;
			rd->msg = xreallocarray(rd->msg, 1, cap);
			rd->msg_cap = cap;
		}
		dst = rd->msg + rd->msg_len;
		rd->msg_len += n;
	}
	memcpy(dst, p, n);
	if (rd->frame.masked)
		ws_unmask(dst, n, rd->frame.mask, rd->frame_got);
	rd->frame_got += n;
	if (rd->msg_opcode == WS_OP_TEXT && !(rd->frame.opcode & 0x8) &&
	    !ws_utf8_step(&rd->utf8, dst, n))
		return ws_reader_fail(rd, WS_CLOSE_BAD_DATA);
	return 0;
}

/* A frame is complete: 1 with *msg when that completes something. */
static int
ws_reader_end(struct ws_reader *rd, struct ws_message *msg)
{
	const struct ws_frame *f = &rd->frame;

	rd->in_frame = 0;
	if (f->opcode & 0x8) {
		msg->opcode = f->opcode;
		msg->data = rd->ctl;
		msg->len = rd->ctl_len;
		msg->close_code = 0;
		if (f->opcode != WS_OP_CLOSE)
			return 1;
		msg->close_code = WS_CLOSE_NO_STATUS;
		if (rd->ctl_len == 1)
			return ws_reader_fail(rd, WS_CLOSE_PROTOCOL);
		if (rd->ctl_len >= 2) {
			msg->close_code = rd->ctl[0] << 8 | rd->ctl[1];
			if (!ws_close_code_valid(msg->close_code))
				return ws_reader_fail(rd, WS_CLOSE_PROTOCOL);
			msg->data = rd->ctl + 2;
			msg->len = rd->ctl_len - 2;
			if (!ws_utf8_valid(msg->data, msg->len))
				return ws_reader_fail(rd, WS_CLOSE_BAD_DATA);
		}
		return 1;
	}
	if (!f->fin)
		return 0;
	if (rd->msg_opcode == WS_OP_TEXT && rd->utf8.need != 0)
		return ws_reader_fail(rd, WS_CLOSE_BAD_DATA);
	msg->opcode = rd->msg_opcode;
	msg->data = rd->msg ? rd->msg : rd->ctl; /* never NULL, even empty */
	msg->len = rd->msg_len;
	msg->close_code = 0;
	rd->msg_opcode = 0;
	rd->msg_done = 1;
	return 1;
}

/* Feeds bytes from the peer; see ws.h. */
int
ws_reader_feed(struct ws_reader *rd, const uint8_t *buf, size_t len,
    size_t *ret_used, struct ws_message *ret_msg)
{
	struct ws_message msg;
	uint64_t room;
	size_t used = 0, n, old;
	int r;

	*ret_used = 0;
	if (rd->error)
		return rd->error;
	if (rd->msg_done) {
		rd->msg_done = 0;
		rd->msg_len = 0;
	}
	for (;;) {
		if (!rd->in_frame) {
			if (used == len)
				break;
			old = rd->hdr_len;
			n = sizeof(rd->hdr) - old;
			if (n > len - used)
				n = len - used;
			memcpy(rd->hdr + old, buf + used, n);
			/* Control frames may come between fragments and have
			 * their own limit; data frames get what is left. */
			room = rd->max_message - rd->msg_len;
			if (rd->hdr[0] & 0x8)
				room = WS_CONTROL_MAX;
			r = ws_frame_parse(rd->hdr, old + n, rd->require_mask,
			    room, &rd->frame);
			if (r < 0) {
				*ret_used = used;
				return ws_reader_fail(rd, -r);
			}
			if (r == 0) {
				rd->hdr_len = old + n;
				used += n;
				continue;
			}
			used += rd->frame.header_len - old;
			rd->hdr_len = 0;
			rd->in_frame = 1;
			rd->frame_got = 0;
			if ((r = ws_reader_begin(rd)) < 0) {
				*ret_used = used;
				return r;
			}
		}
		n = len - used;
		if (n > rd->frame.payload_len - rd->frame_got)
			n = (size_t)(rd->frame.payload_len - rd->frame_got);
		if (n > 0 && (r = ws_reader_payload(rd, buf + used, n)) < 0) {
			*ret_used = used + n;
			return r;
		}
		used += n;
		if (rd->frame_got < rd->frame.payload_len)
			break; /* buf is used up */
		if ((r = ws_reader_end(rd, &msg)) != 0) {
			*ret_used = used;
			if (r == 1)
				*ret_msg = msg;
			return r;
		}
	}
	*ret_used = used;
	return 0;
}

/* Origin of a handshake. */

/* Splits "host[:port]" or "[v6]:port"; 0, or -1 when malformed.  An absent
 * port leaves *ret_port alone. */
static int
ws_split_hostport(const char *s, size_t len, const char **ret_host,
    size_t *ret_hlen, long *ret_port)
{
	const char *colon = NULL, *end = s + len, *p;
	long port = 0;

	if (len == 0)
		return -1;
	if (s[0] == '[') {
		if ((p = memchr(s, ']', len)) == NULL)
			return -1;
		*ret_host = s;
		*ret_hlen = (size_t)(p + 1 - s);
		if (p + 1 < end) {
			if (p[1] != ':')
				return -1;
			colon = p + 1;
		}
	} else {
		colon = memchr(s, ':', len);
		*ret_host = s;
		*ret_hlen = colon ? (size_t)(colon - s) : len;
		if (*ret_hlen == 0)
			return -1;
	}
	for (p = *ret_host; p < *ret_host + *ret_hlen; p++)
		if (*p == '/' || *p == '@' || *p == ' ' || *p == '\\')
			return -1;
	if (colon == NULL)
		return 0;
	if (colon + 1 == end || end - colon > 6)
		return -1;
	for (p = colon + 1; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		port = port * 10 + (*p - '0');
	}
	if (port < 1 || port > 65535)
		return -1;
	*ret_port = port;
	return 0;
}

/* 1 when an Origin names host[:port]; see ws.h. */
int
ws_origin_is_host(const char *origin, const char *host)
{
	const char *oh, *hh, *sep, *rest;
	size_t ohlen, hhlen, hostlen;
	long defport = -1, oport, hport;

	hostlen = strcspn(host, ","); /* the first proxy's view */
	while (hostlen > 0 && (host[hostlen - 1] == ' '))
		hostlen--;
	if ((sep = strstr(origin, "://")) == NULL)
		return 0;
	if ((size_t)(sep - origin) == 4 && strncasecmp(origin, "http", 4) == 0)
		defport = 80;
	else if ((size_t)(sep - origin) == 5 &&
	    strncasecmp(origin, "https", 5) == 0)
		defport = 443;
	oport = defport;
	rest = sep + 3;
	if (ws_split_hostport(rest, strlen(rest), &oh, &ohlen, &oport) < 0)
		return 0;
	if (oport < 0)
		return 0; /* an unknown scheme without a port */
	hport = defport;  /* a Host without a port means the scheme's */
	if (ws_split_hostport(host, hostlen, &hh, &hhlen, &hport) < 0)
		return 0;
	return ohlen == hhlen && strncasecmp(oh, hh, ohlen) == 0 &&
	    oport == hport;
}
