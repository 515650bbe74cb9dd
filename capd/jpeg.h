/*
 * jpeg.h -- checking MJPEG frames from a device before passing them on.
 *
 * A device's MJPEG frame goes to browsers as it is, except: a frame that
 * does not start with SOI or has no EOI after its scan (truncated by USB
 * trouble) is dropped; padding after EOI is cut; a frame without Huffman
 * tables (many webcams and HDMI dongles leave them out, as Motion-JPEG
 * allows) gets the standard tables of ITU T.81 Annex K.3, inserted before
 * the scan, because browsers need them.  Bytes come from a device: every
 * length is checked.
 */
#ifndef CAPD_JPEG_H
#define CAPD_JPEG_H

#include <stddef.h>
#include <stdint.h>

struct jpeg_info {
	size_t len; /* up to and including EOI */
	size_t sos; /* offset of the first SOS marker */
	int has_dht;
	unsigned int width, height; /* from SOF; 0 when absent */
};

/* -EINVAL (with error_set()) for a frame that cannot be shown. */
int jpeg_check(const uint8_t *, size_t, struct jpeg_info *ret);
/* Bytes jpeg_fix() writes for a checked frame. */
size_t jpeg_fixed_size(const struct jpeg_info *);
/* Copy a checked frame to dst (room for jpeg_fixed_size() bytes), adding
 * the standard Huffman tables when it has none. */
size_t jpeg_fix(const uint8_t *, const struct jpeg_info *, uint8_t *dst);
/* The standard DHT segment, marker included. */
const uint8_t *jpeg_std_dht(size_t *ret_len);

#endif
