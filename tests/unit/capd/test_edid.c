/*
 * test_edid.c -- EDID checks, decoding and the presets (capd/edid.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edid.h"
#include "error.h"
#include "tap.h"

static uint8_t buf[EDID_MAX_BLOCKS * EDID_BLOCK];

/* Sets block i's checksum byte. */
static void
fix_sum(uint8_t *p, unsigned int i)
{
	unsigned int j, sum = 0;

	for (j = 0; j < 127; j++)
		sum += p[i * EDID_BLOCK + j];
	p[i * EDID_BLOCK + 127] = (uint8_t)((256 - sum % 256) % 256);
}

/* Whether info lists the mode. */
static int
has_mode(
    const struct edid_info *e, unsigned int w, unsigned int h, unsigned int hz)
{
	unsigned int i;

	for (i = 0; i < e->n_modes; i++)
		if (e->modes[i].width == w && e->modes[i].height == h &&
		    e->modes[i].hz == hz)
			return 1;
	return 0;
}

/* Parses n bytes of buf, expecting -EINVAL and a message with want. */
static void
refused(size_t n, const char *want, const char *what)
{
	struct edid_info e;
	int r = edid_parse(buf, n, &e);

	is_int(r, -EINVAL, "%s is refused", what);
	ok(error_get() != NULL && strstr(error_get(), want) != NULL,
	    "%s: message says '%s' (%s)", what, want,
	    error_get() ? error_get() : "none");
}

static void
test_default(void)
{
	struct edid_info e;
	int n = edid_preset("default", buf);

	is_int(n, 2 * EDID_BLOCK, "default preset is two blocks");
	is_int(edid_parse(buf, (size_t)n, &e), 0, "default preset parses");
	is_int(e.blocks, 2, "two blocks decoded");
	is_str(e.name, "KaputtKVM", "monitor name");
	is_str(e.vendor, "KPT", "vendor id");
	is_int(e.serial, 1, "serial number");
	is_int(e.version * 10 + e.revision, 14, "EDID 1.4");
	ok(e.modes[0].width == 1920 && e.modes[0].height == 1080 &&
		e.modes[0].hz == 60,
	    "preferred mode 1920x1080@60");
	ok(has_mode(&e, 1920, 1080, 50), "1920x1080@50");
	ok(has_mode(&e, 1280, 720, 60), "1280x720@60");
	ok(has_mode(&e, 1280, 720, 50), "1280x720@50");
	ok(has_mode(&e, 1024, 768, 60), "1024x768@60");
	ok(has_mode(&e, 640, 480, 60), "640x480@60");
}

static void
test_phys_addr(void)
{
	uint8_t other[EDID_MAX_BLOCKS * EDID_BLOCK];
	int n = edid_preset("default", buf);

	is_int(edid_phys_addr_offset(buf, (size_t)n), EDID_BLOCK + 14,
	    "HDMI physical address in the CEA block");
	is_int(buf[EDID_BLOCK + 14], 0x10, "it is 1.0.0.0");
	memcpy(other, buf, (size_t)n);
	other[EDID_BLOCK + 14] = 0x20;
	other[EDID_BLOCK + 15] = 0x30;
	other[2 * EDID_BLOCK - 1] ^= 0x50;
	ok(edid_same(buf, (size_t)n, other, (size_t)n),
	    "same but for the physical address");
	other[EDID_BLOCK + 16] ^= 1;
	ok(!edid_same(buf, (size_t)n, other, (size_t)n),
	    "a byte after it differs");
	ok(!edid_same(buf, (size_t)n, buf, EDID_BLOCK), "lengths differ");
	is_int(edid_phys_addr_offset(buf, EDID_BLOCK), 0, "base block alone");
}

static void
test_presets(void)
{
	struct edid_info e;
	const char *name;
	size_t i;
	int n;

	for (i = 0; (name = edid_preset_name(i)) != NULL; i++) {
		n = edid_preset(name, buf);
		ok(n > 0 && edid_parse(buf, (size_t)n, &e) == 0,
		    "preset %s builds and parses", name);
	}
	is_int(i, 3, "three presets");
	edid_preset("1024x768", buf);
	edid_parse(buf, 2 * EDID_BLOCK, &e);
	ok(e.modes[0].width == 1024 && e.modes[0].hz == 60,
	    "1024x768 preset prefers 1024x768@60");
	is_int(edid_preset("4k", buf), -ENOENT, "unknown preset");
	ok(strstr(error_get(), "default") != NULL, "message lists presets");
}

/*
 * An EDID 1.3 base block shaped like a 2000s 17-inch LCD's: DTD
 * 1280x1024@60 (108 MHz), established modes, a serial and a name
 * descriptor, no extension.
 */
static void
test_old_monitor(void)
{
	static const uint8_t dtd[18] = {0x30, 0x2a, 0x00, 0x98, 0x51, 0x00,
	    0x2a, 0x40, 0x30, 0x70, 0x13, 0x00, 0x52, 0x0e, 0x11, 0x00, 0x00,
	    0x1e};
	struct edid_info e;

	memset(buf, 0, EDID_BLOCK);
	memcpy(buf, "\x00\xff\xff\xff\xff\xff\xff\x00", 8);
	buf[8] = 0x10; /* "DEL" */
	buf[9] = 0xac;
	buf[18] = 1;
	buf[19] = 3;
	buf[35] = 0xa5; /* 720x400@70, 640x480@60, @75, 800x600@60 */
	buf[36] = 0x4b; /* 800x600@75, 1024x768@60, @75, 1280x1024@75 */
	memset(buf + 38, 0x01, 16);
	buf[38] = 0x81; /* 1280x1024@60, 5:4 */
	buf[39] = 0x80;
	memcpy(buf + 54, dtd, 18);
	buf[75] = 0xff;
	memcpy(buf + 77, "U123456789\n  ", 13);
	buf[93] = 0xfc;
	memcpy(buf + 95, "DELL 1704FPV\n", 13);
	buf[111] = 0x10; /* dummy descriptor */
	fix_sum(buf, 0);
	is_int(edid_parse(buf, EDID_BLOCK, &e), 0, "old monitor parses");
	is_str(e.vendor, "DEL", "its vendor");
	is_str(e.name, "DELL 1704FPV", "its name");
	is_str(e.serial_text, "U123456789", "its serial descriptor");
	ok(e.modes[0].width == 1280 && e.modes[0].height == 1024 &&
		e.modes[0].hz == 60,
	    "its preferred 1280x1024@60");
	ok(has_mode(&e, 720, 400, 70) && has_mode(&e, 800, 600, 60),
	    "its established modes");
	is_int(e.n_modes, 9, "9 modes: 1280x1024@60 once");
}

static void
test_malformed(void)
{
	int n = edid_preset("default", buf);

	refused(100, "multiple of 128", "100 bytes");
	refused(EDID_BLOCK, "announces 2 blocks", "one block of two");
	buf[0] = 0x01;
	refused((size_t)n, "header", "a bad header");
	buf[0] = 0x00;
	buf[60] ^= 0x10;
	refused((size_t)n, "block 0: bad checksum", "base block sum");
	buf[60] ^= 0x10;
	buf[EDID_BLOCK + 60] ^= 0x01;
	refused((size_t)n, "block 1: bad checksum", "extension sum");
	buf[EDID_BLOCK + 60] ^= 0x01;
	buf[126] = 200;
	fix_sum(buf, 0);
	refused(sizeof(buf), "200 extension blocks", "too many extensions");
	buf[126] = 1;
	fix_sum(buf, 0);
	buf[EDID_BLOCK + 2] = 2;
	fix_sum(buf, 1);
	refused((size_t)n, "outside the block", "CEA offset 2");
	edid_preset("default", buf);
	buf[57] = 0; /* horizontal blanking 0 */
	buf[58] &= 0xf0;
	fix_sum(buf, 0);
	refused((size_t)n, "is not a mode", "a timing without blanking");
	edid_preset("default", buf);
	memset(buf + 35, 0, 3);
	memset(buf + 38, 0x01, 16);
	memset(buf + 54, 0, 36);
	buf[126] = 0;
	fix_sum(buf, 0);
	refused(EDID_BLOCK, "no mode", "an EDID without modes");
}

static void
test_file(void)
{
	char path[] = "/tmp/test-edid-XXXXXX";
	uint8_t out[EDID_MAX_BLOCKS * EDID_BLOCK];
	int fd = mkstemp(path), n = edid_preset("1280x720", buf);

	ok(fd >= 0 && write(fd, buf, (size_t)n) == n, "wrote a file");
	is_int(edid_load_file(path, out), n, "file loads");
	ok(memcmp(out, buf, (size_t)n) == 0, "as written");
	ok(ftruncate(fd, 200) == 0, "file cut to 200 bytes");
	is_int(edid_load_file(path, out), -EINVAL, "cut file refused");
	ok(strstr(error_get(), path) != NULL, "message names the file");
	close(fd);
	unlink(path);
	is_int(edid_load_file(path, out), -ENOENT, "missing file");
}

/* POST /edid's hex: round trip, and each way it is refused. */
static void
test_hex(void)
{
	char hex[2 * sizeof(buf) + 2];
	uint8_t out[EDID_MAX_BLOCKS * EDID_BLOCK];
	int n = edid_preset("default", buf);

	edid_to_hex(buf, (size_t)n, hex);
	is_int((int)strlen(hex), 2 * n, "two digits a byte");
	ok(strncmp(hex, "00ffffffffffff00", 16) == 0, "lower-case header");
	is_int(edid_from_hex(hex, out), n, "hex decodes");
	ok(memcmp(out, buf, (size_t)n) == 0, "to the same bytes");
	hex[0] = 'F';
	hex[1] = 'F';
	is_int(edid_from_hex(hex, out), -EINVAL, "no header: refused");
	ok(strstr(error_get(), "no EDID header") != NULL, "names the check");
	hex[0] = '0';
	hex[1] = '0';
	hex[300] = 'g';
	is_int(edid_from_hex(hex, out), -EINVAL, "a non-digit: refused");
	ok(strstr(error_get(), "at 300") != NULL, "says where (%s)",
	    error_get());
	hex[300] = hex[301];
	hex[2 * n] = '0';
	hex[2 * n + 1] = '\0';
	is_int(edid_from_hex(hex, out), -EINVAL, "an odd count: refused");
	hex[2 * n - 1] = '\0';
	is_int(edid_from_hex(hex, out), -EINVAL, "a cut block: refused");
	is_int(edid_from_hex("", out), -EINVAL, "empty: refused");
}

int
main(void)
{
	test_hex();
	test_default();
	test_presets();
	test_phys_addr();
	test_old_monitor();
	test_malformed();
	test_file();
	return tap_done();
}
