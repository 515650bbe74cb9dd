/*
 * edid.h -- EDIDs for HDMI capture bridges: checking, decoding, building.
 *
 * An HDMI source reads the capture bridge's EDID to choose a mode; without
 * one many BIOSes and GPUs send nothing.  edid_parse() checks an EDID that
 * a person or a file gives us (header, each block's checksum, the block
 * count, sane timings) and decodes its modes, monitor name and serial;
 * CEA-861 extension blocks are checked and their detailed timings read,
 * other extensions only checked.  edid_preset() builds the EDIDs capd
 * ships, a base block and a CEA-861 block: "default" prefers 1920x1080@60
 * and lists 1920x1080 and 1280x720 at 60 and 50 Hz, 1024x768, 800x600 and
 * 640x480 at 60 Hz (neither VESA nor CEA-861 has a 50 Hz timing for
 * those); "1280x720" and "1024x768" prefer that mode, for sources that
 * take the first one they see.  Pure code, no device.
 */
#ifndef CAPD_EDID_H
#define CAPD_EDID_H

#include <stddef.h>
#include <stdint.h>

#define EDID_BLOCK	128
#define EDID_MAX_BLOCKS 4 /* base block and three extensions */
#define EDID_MAX_MODES	48

struct edid_mode {
	unsigned int width, height, hz;
	int interlaced;
};

struct edid_info {
	unsigned int blocks;
	char vendor[4];	      /* three letters of the PNP id */
	unsigned int product; /* little-endian code */
	unsigned long serial; /* the number; 0 when unset */
	char serial_text[14]; /* from a serial descriptor; "" when none */
	char name[14];	      /* from a name descriptor; "" when none */
	unsigned int version, revision;
	/* preferred (first detailed timing) first, no repeats */
	unsigned int n_modes;
	struct edid_mode modes[EDID_MAX_MODES];
};

/* 0, or -EINVAL with error_set() saying which check failed. */
int edid_parse(const uint8_t *, size_t, struct edid_info *ret);
/* The offset of the HDMI physical address (two bytes) in a checked EDID,
 * 0 when it has none: drivers (vivid) write their own there and fix the
 * block's checksum, so an EDID
 * read back is compared without it (edid_same()). */
size_t edid_phys_addr_offset(const uint8_t *, size_t);
/* Whether two checked EDIDs are the same but for the physical address
 * (and the checksum of its block). */
int edid_same(const uint8_t *, size_t, const uint8_t *, size_t);
/* Builds a preset into out (room for EDID_MAX_BLOCKS blocks); its length,
 * or -ENOENT with error_set() for an unknown name. */
int edid_preset(const char *name, uint8_t *out);
/* The i-th preset's name; NULL past the end. */
const char *edid_preset_name(size_t i);
/* Reads a binary EDID file (blocking: for main() at start) into out and
 * checks it; its length or -errno with error_set(). */
int edid_load_file(const char *path, uint8_t *out);
/* Decodes an EDID in hex (POST /edid) into out (room for EDID_MAX_BLOCKS
 * blocks) and checks it: its length, or -EINVAL with error_set() saying
 * what is wrong (the digits or the check that failed). */
int edid_from_hex(const char *hex, uint8_t *out);
/* len bytes as lower-case hex into out (room for 2 * len + 1). */
void edid_to_hex(const uint8_t *, size_t len, char *out);

#endif
