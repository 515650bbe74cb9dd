/*
 * annexb.h -- H.264 Annex-B byte streams and capd's H.264 message header.
 *
 * An access unit in Annex-B is NAL units, each after a start code
 * (00 00 01 or 00 00 00 01).  annexb_next() walks them without copying;
 * annexb_scan() sums up what a client needs to know about an access unit:
 * whether it is a keyframe (an IDR slice) and carries its parameter sets
 * (SPS and PPS), so a decoder can start on it, and the profile and level
 * from its SPS (for the WebCodecs codec string "avc1.PPCCLL").
 *
 * Each WebSocket message is one access unit after a fixed header
 * (capd/PROTOCOL.md), all fields big-endian:
 *
 *	0  u8  version (ANNEXB_MSG_VERSION)
 *	1  u8  flags (ANNEXB_MSG_KEYFRAME)
 *	2  u16 header length in bytes (ANNEXB_MSG_HEADER, the data follows)
 *	4  u16 width     6  u16 height
 *	8  u32 sequence number (capture order, low 32 bits)
 *	12 u64 capture time, microseconds since the epoch (CLOCK_REALTIME)
 */
#ifndef CAPD_ANNEXB_H
#define CAPD_ANNEXB_H

#include <stddef.h>
#include <stdint.h>

#define ANNEXB_NAL_SLICE 1
#define ANNEXB_NAL_IDR	 5
#define ANNEXB_NAL_SEI	 6
#define ANNEXB_NAL_SPS	 7
#define ANNEXB_NAL_PPS	 8
#define ANNEXB_NAL_AUD	 9

#define ANNEXB_MSG_VERSION  1
#define ANNEXB_MSG_KEYFRAME 0x01
#define ANNEXB_MSG_HEADER   20

struct annexb_nal {
	const uint8_t *data; /* from the NAL header byte, start code excluded */
	size_t len;
	unsigned int type; /* nal_unit_type, 0..31 */
};

struct annexb_info {
	unsigned int nals;
	int has_sps, has_pps, has_idr, has_slice;
	/* from the first SPS (has_sps): profile_idc, constraint flags, level */
	unsigned int profile, constraints, level;
};

struct annexb_msg {
	unsigned int version, flags;
	unsigned int width, height;
	uint32_t seq;
	uint64_t ts_us;
};

/*
 * The NAL unit at or after *pos in buf; *pos moves past it.  1 when one
 * was found, 0 at the end.  Bytes before the first start code are skipped.
 */
int annexb_next(
    const uint8_t *buf, size_t len, size_t *pos, struct annexb_nal *ret);
/* Sum up an access unit; -EINVAL when it holds no NAL unit. */
int annexb_scan(const uint8_t *buf, size_t len, struct annexb_info *ret);
/* "avc1.PPCCLL" for info's SPS into out (12 bytes); -EINVAL without one. */
int annexb_codec(const struct annexb_info *, char out[12]);
/* A keyframe a decoder can start on: IDR with its SPS and PPS. */
int annexb_is_entry(const struct annexb_info *);

/* Write the header into out (ANNEXB_MSG_HEADER bytes). */
void annexb_msg_pack(const struct annexb_msg *, uint8_t *out);
/*
 * Read a header from a message of len bytes; the data starts at
 * ret_off.  -EINVAL (error_set()) for a short message, another version or
 * a header length out of bounds.
 */
int annexb_msg_parse(
    const uint8_t *msg, size_t len, struct annexb_msg *ret, size_t *ret_off);

#endif
