/*
 * jpegprobe.c -- decode a JPEG of capd's test pattern and say what it shows.
 *
 * For the integration tests (Python has no JPEG decoder):
 *	capd-jpegprobe FILE|-  ->  {"width": W, "height": H, "bar_error": E,
 *				    "bars": [[r,g,b], ...], "counter": N}
 * bar_error is the largest channel difference between a bar's centre and
 * its colour; counter is read from the strip of cells.  Exit 1 when the
 * file is not a JPEG that decodes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "pattern_read.h"

int
main(int argc, char **argv)
{
	struct pattern_layout l;
	struct decoded d;
	FILE *f;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	unsigned int bar;
	int got[3], e, worst = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: capd-jpegprobe FILE|-\n");
		return 2;
	}
	f = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "rb");
	if (f == NULL) {
		perror(argv[1]);
		return 1;
	}
	do {
		if (len == cap &&
		    (buf = realloc(buf, cap = cap * 2 + 65536)) == NULL)
			return 1;
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (decoded_load(buf, len, &d) < 0) {
		fprintf(stderr, "capd-jpegprobe: not a JPEG that decodes\n");
		return 1;
	}
	printf("{\"width\": %d, \"height\": %d", d.width, d.height);
	if (pattern_layout_for(
		(unsigned int)d.width, (unsigned int)d.height, &l) == 0) {
		printf(", \"bars\": [");
		for (bar = 0; bar < PATTERN_BARS; bar++) {
			e = decoded_bar_error(&d, &l, bar, got);
			if (e > worst)
				worst = e;
			printf("%s[%d, %d, %d]", bar ? ", " : "", got[0],
			    got[1], got[2]);
		}
		printf("], \"bar_error\": %d, \"counter\": %u", worst,
		    decoded_counter(&d, &l));
	}
	/* mean brightness of the whole picture, for "no signal" checks */
	{
		unsigned long long sum = 0;
		size_t i, np = (size_t)d.width * d.height * 3;

		for (i = 0; i < np; i++)
			sum += d.rgb[i];
		printf(", \"mean\": %.1f", (double)sum / (double)np);
	}
	printf("}\n");
	free(d.rgb);
	free(buf);
	return 0;
}
