/*
 * ws-bench.c -- how fast common/wsframe.c turns client bytes into messages,
 * beside a reference: the same data unmasked one byte at a time into a copy
 * (what a plain loop does), which is the least any reader must do.
 *
 *	meson compile -C build bench-ws
 *
 * Figures: 64 KiB masked binary and text messages fed in 16 KiB reads (as
 * ws.c gets them from http.c), and 26-byte key events like hidd receives.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ws.h"

static const uint8_t mask[4] = {0x11, 0x22, 0x33, 0x44};

/* Seconds on the monotonic clock. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A masked client frame of payload; returns its length. */
static size_t
client_frame(uint8_t *out, int opcode, const uint8_t *payload, size_t len)
{
	size_t h = ws_frame_header(out, opcode, 1, len), i;

	out[1] |= 0x80;
	memcpy(out + h, mask, 4);
	for (i = 0; i < len; i++)
		out[h + 4 + i] = payload[i] ^ mask[i & 3];
	return h + 4 + len;
}

/* Feeds frame reps times in reads of chunk bytes; returns MB/s of payload. */
static double
run_reader(const uint8_t *frame, size_t flen, size_t chunk, size_t reps)
{
	struct ws_reader *rd = ws_reader_new(1, 1 << 20);
	struct ws_message msg;
	size_t i, pos, n, used, total = 0;
	double t0 = now();
	int r;

	for (i = 0; i < reps; i++) {
		pos = 0;
		do {
			n = flen - pos < chunk ? flen - pos : chunk;
			r = ws_reader_feed(rd, frame + pos, n, &used, &msg);
			pos += used;
		} while (r == 0 && pos < flen);
		if (r != 1) {
			fprintf(stderr, "ws-bench: reader said %d\n", r);
			exit(1);
		}
		total += msg.len;
	}
	ws_reader_free(rd);
	return total / (now() - t0) / 1e6;
}

/* The reference: copy and unmask byte by byte. */
static double
run_reference(const uint8_t *frame, size_t flen, size_t hlen, size_t reps)
{
	uint8_t *dst = malloc(flen);
	volatile uint8_t sink = 0;
	size_t i, j, len = flen - hlen;
	double t0 = now();

	for (i = 0; i < reps; i++) {
		for (j = 0; j < len; j++)
			dst[j] = frame[hlen + j] ^ mask[j & 3];
		sink ^= dst[len / 2];
	}
	(void)sink;
	free(dst);
	return (double)len * reps / (now() - t0) / 1e6;
}

int
main(void)
{
	static uint8_t payload[65536], frame[65536 + 14];
	static const char key[] = "{\"t\":\"key\",\"code\":\"KeyA\",\"d\":1}";
	size_t flen, i, n = 26;
	double t0, t;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7);
	flen = client_frame(frame, WS_OP_BINARY, payload, sizeof(payload));
	printf("%-44s %10s %12s\n", "", "ws_reader", "byte loop");
	printf("%-44s %7.0f MB/s %7.0f MB/s\n",
	    "64 KiB binary, masked, 16 KiB reads",
	    run_reader(frame, flen, 16384, 4000),
	    run_reference(frame, flen, flen - 65536, 4000));
	memset(payload, 'a', sizeof(payload));
	flen = client_frame(frame, WS_OP_TEXT, payload, sizeof(payload));
	printf("%-44s %7.0f MB/s %7.0f MB/s\n",
	    "64 KiB text (UTF-8 checked), 16 KiB reads",
	    run_reader(frame, flen, 16384, 4000),
	    run_reference(frame, flen, flen - 65536, 4000));

	flen = client_frame(frame, WS_OP_TEXT, (const uint8_t *)key, n);
	{
		struct ws_reader *rd = ws_reader_new(1, 0);
		struct ws_message msg;
		size_t used, count = 2000000;

		t0 = now();
		for (i = 0; i < count; i++)
			if (ws_reader_feed(rd, frame, flen, &used, &msg) != 1)
				return 1;
		t = now() - t0;
		ws_reader_free(rd);
		printf("%-44s %6.1f M/s\n", "26-byte key events, one read each",
		    count / t / 1e6);
	}
	return 0;
}
