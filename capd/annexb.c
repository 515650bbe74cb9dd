/*
 * annexb.c -- NAL units in an Annex-B access unit, the message header.
 *
 * Nothing here allocates or trusts its input: the scanner and the header
 * parser take bytes from an encoder or a peer and only ever read inside
 * the buffer they are given (tests/fuzz/capd/fuzz-annexb.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "annexb.h"
#include "error.h"

/* Offset of the byte after the next start code at or after from, or len. */
static size_t
annexb_start(const uint8_t *buf, size_t len, size_t from)
{
	size_t i;

	for (i = from; i + 3 <= len; i++)
		if (buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1)
			return i + 3;
	return len;
}

/* The next NAL unit: from after a start code up to the next one. */
int
annexb_next(const uint8_t *buf, size_t len, size_t *pos, struct annexb_nal *ret)
{
	size_t s, e, end;

	for (;;) {
		s = annexb_start(buf, len, *pos);
		if (s >= len) {
			*pos = len;
			return 0;
		}
		e = annexb_start(buf, len, s);
		end = e >= len ? len : e - 3;
		/* a four-byte start code's leading zero, trailing zeros */
		while (end > s && buf[end - 1] == 0)
			end--;
		*pos = e >= len ? len : e - 3;
		if (end > s)
			break;
	}
	ret->data = buf + s;
	ret->len = end - s;
	ret->type = buf[s] & 0x1f;
	return 1;
}

/* Keep the first SPS's profile, constraint flags and level. */
static void
annexb_sps(const struct annexb_nal *n, struct annexb_info *info)
{
	if (info->has_sps || n->len < 4)
		return;
	info->has_sps = 1;
	info->profile = n->data[1];
	info->constraints = n->data[2];
	info->level = n->data[3];
}

/* What an access unit holds. */
int
annexb_scan(const uint8_t *buf, size_t len, struct annexb_info *ret)
{
	struct annexb_info info;
	struct annexb_nal n;
	size_t pos = 0;

	memset(&info, 0, sizeof(info));
	while (annexb_next(buf, len, &pos, &n)) {
		info.nals++;
		switch (n.type) {
		case ANNEXB_NAL_SPS:
			annexb_sps(&n, &info);
			break;
		case ANNEXB_NAL_PPS:
			info.has_pps = 1;
			break;
		case ANNEXB_NAL_IDR:
			info.has_idr = 1;
			break;
		case ANNEXB_NAL_SLICE:
			info.has_slice = 1;
			break;
		}
	}
	if (info.nals == 0)
		return -EINVAL;
	*ret = info;
	return 0;
}

/* The WebCodecs / RFC 6381 codec string. */
int
annexb_codec(const struct annexb_info *info, char out[12])
{
	if (!info->has_sps)
		return -EINVAL;
	snprintf(out, 12, "avc1.%02X%02X%02X", info->profile & 0xff,
	    info->constraints & 0xff, info->level & 0xff);
	return 0;
}

/* A decoder can start here. */
int
annexb_is_entry(const struct annexb_info *info)
{
	return info->has_idr && info->has_sps && info->has_pps;
}

/* Big-endian stores. */
static void
annexb_put(uint8_t *p, uint64_t v, unsigned int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/* Big-endian loads. */
static uint64_t
annexb_get(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The header, as annexb.h lays it out. */
void
annexb_msg_pack(const struct annexb_msg *m, uint8_t *out)
{
	out[0] = (uint8_t)m->version;
	out[1] = (uint8_t)m->flags;
	annexb_put(out + 2, ANNEXB_MSG_HEADER, 2);
	annexb_put(out + 4, m->width, 2);
	annexb_put(out + 6, m->height, 2);
	annexb_put(out + 8, m->seq, 4);
	annexb_put(out + 12, m->ts_us, 8);
}

/* A header back; later versions may only grow it. */
int
annexb_msg_parse(
    const uint8_t *msg, size_t len, struct annexb_msg *ret, size_t *ret_off)
{
	size_t hlen;

	if (len < ANNEXB_MSG_HEADER)
		return error_set(-EINVAL,
		    "H.264 message of %zu bytes, shorter than its header (%d)",
		    len, ANNEXB_MSG_HEADER);
	if (msg[0] != ANNEXB_MSG_VERSION)
		return error_set(-EINVAL,
		    "H.264 message version %u, expected %d", msg[0],
		    ANNEXB_MSG_VERSION);
	hlen = (size_t)annexb_get(msg + 2, 2);
	if (hlen < ANNEXB_MSG_HEADER || hlen > len)
		return error_set(-EINVAL,
		    "H.264 message header length %zu outside %d..%zu", hlen,
		    ANNEXB_MSG_HEADER, len);
	ret->version = msg[0];
	ret->flags = msg[1];
	ret->width = (unsigned int)annexb_get(msg + 4, 2);
	ret->height = (unsigned int)annexb_get(msg + 6, 2);
	ret->seq = (uint32_t)annexb_get(msg + 8, 4);
	ret->ts_us = annexb_get(msg + 12, 8);
	*ret_off = hlen;
	return 0;
}
