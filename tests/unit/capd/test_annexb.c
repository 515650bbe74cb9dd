/*
 * test_annexb.c -- NAL units in Annex-B, the H.264 message header.
 */
#include <errno.h>
#include <string.h>

#include "annexb.h"
#include "tap.h"

/* SPS (constrained baseline, level 3.1), PPS, IDR; mixed start codes. */
static const uint8_t key_au[] = {
    0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0xaa, /* SPS */
    0, 0, 1, 0x68, 0xce, 0x3c, 0x80,	      /* PPS */
    0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x00, /* IDR, trailing zeros */
};

/* A P slice, after bytes that are no start code. */
static const uint8_t p_au[] = {
    0x12,
    0,
    0,
    2,
    0,
    0,
    1,
    0x41,
    0x9a,
    0x02,
    0,
    0x03,
};

/* The NAL units of the keyframe: types, lengths, bytes. */
static void
test_next(void)
{
	struct annexb_nal n;
	size_t pos = 0;

	ok(annexb_next(key_au, sizeof(key_au), &pos, &n) == 1 &&
		n.type == ANNEXB_NAL_SPS && n.len == 5 && n.data == key_au + 4,
	    "SPS after a 4-byte start code, 5 bytes");
	ok(annexb_next(key_au, sizeof(key_au), &pos, &n) == 1 &&
		n.type == ANNEXB_NAL_PPS && n.len == 4 && n.data[3] == 0x80,
	    "PPS after a 3-byte start code, 4 bytes");
	ok(annexb_next(key_au, sizeof(key_au), &pos, &n) == 1 &&
		n.type == ANNEXB_NAL_IDR && n.len == 3,
	    "IDR slice, trailing zeros not its own");
	ok(annexb_next(key_au, sizeof(key_au), &pos, &n) == 0 &&
		pos == sizeof(key_au),
	    "end after three NAL units");
	pos = 0;
	ok(annexb_next(p_au, sizeof(p_au), &pos, &n) == 1 &&
		n.type == ANNEXB_NAL_SLICE && n.len == 5 && n.data == p_au + 7,
	    "leading garbage and 00 00 02 skipped, 00 03 kept in the slice");
	pos = 0;
	ok(annexb_next((const uint8_t *)"\0\0\1", 3, &pos, &n) == 0,
	    "a start code with nothing after it is no NAL unit");
	pos = 0;
	ok(annexb_next(
	       (const uint8_t *)"\0\0\1\0\0\0\1\x09\xf0", 9, &pos, &n) == 1 &&
		n.type == ANNEXB_NAL_AUD && n.len == 2,
	    "empty NAL units between start codes skipped");
}

/* What an access unit holds, and its codec string. */
static void
test_scan(void)
{
	struct annexb_info info;
	char codec[12];

	ok(annexb_scan(key_au, sizeof(key_au), &info) == 0 && info.nals == 3 &&
		info.has_sps && info.has_pps && info.has_idr &&
		!info.has_slice && annexb_is_entry(&info),
	    "keyframe: SPS, PPS, IDR, a place to start");
	ok(info.profile == 66 && info.constraints == 0xc0 && info.level == 31,
	    "profile 66, constraints c0, level 31 from the SPS");
	ok(annexb_codec(&info, codec) == 0 && !strcmp(codec, "avc1.42C01F"),
	    "codec string %s", codec);
	ok(annexb_scan(key_au + 9, sizeof(key_au) - 9, &info) == 0 &&
		info.has_idr && !annexb_is_entry(&info),
	    "IDR without its SPS is no place to start");
	ok(annexb_codec(&info, codec) == -EINVAL, "no SPS, no codec string");
	ok(annexb_scan(p_au, sizeof(p_au), &info) == 0 && info.has_slice &&
		!info.has_idr && !annexb_is_entry(&info),
	    "P slice: no keyframe");
	ok(annexb_scan((const uint8_t *)"\1\2\3", 3, &info) == -EINVAL,
	    "no start code: -EINVAL");
}

/* The header: round trip, big-endian layout, bad headers. */
static void
test_msg(void)
{
	struct annexb_msg m = {.version = ANNEXB_MSG_VERSION,
	    .flags = ANNEXB_MSG_KEYFRAME,
	    .width = 1280,
	    .height = 720,
	    .seq = 0x01020304,
	    .ts_us = 0x0102030405060708ull};
	static const uint8_t want[ANNEXB_MSG_HEADER] = {1, 1, 0, 20, 0x05, 0x00,
	    0x02, 0xd0, 1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t buf[ANNEXB_MSG_HEADER + 4];
	struct annexb_msg r;
	size_t off = 0;

	annexb_msg_pack(&m, buf);
	ok(!memcmp(buf, want, sizeof(want)), "header bytes as documented");
	memcpy(buf + ANNEXB_MSG_HEADER, "\0\0\0\1", 4);
	ok(annexb_msg_parse(buf, sizeof(buf), &r, &off) == 0 && off == 20 &&
		r.width == 1280 && r.height == 720 && r.seq == m.seq &&
		r.ts_us == m.ts_us && r.flags == ANNEXB_MSG_KEYFRAME,
	    "parsed back, data at 20");
	ok(annexb_msg_parse(buf, 19, &r, &off) == -EINVAL,
	    "19 bytes: too short");
	buf[0] = 2;
	ok(annexb_msg_parse(buf, sizeof(buf), &r, &off) == -EINVAL,
	    "version 2 refused");
	buf[0] = 1;
	buf[3] = 30;
	ok(annexb_msg_parse(buf, sizeof(buf), &r, &off) == -EINVAL,
	    "header length past the message refused");
	buf[3] = 24;
	ok(annexb_msg_parse(buf, sizeof(buf), &r, &off) == 0 && off == 24,
	    "a longer header (a later version's) is skipped");
	buf[3] = 12;
	ok(annexb_msg_parse(buf, sizeof(buf), &r, &off) == -EINVAL,
	    "header length under 20 refused");
}

int
main(void)
{
	test_next();
	test_scan();
	test_msg();
	return tap_done();
}
