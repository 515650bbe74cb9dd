/*
 * apidoc.c -- prints docs/api.md: the hand-written intro (intro.md), then
 * each daemon's API as its spec.c describes it (apispec_markdown()).
 *
 *	apidoc INTRO [OUT]	OUT absent: standard output
 *
 * The descriptions are the ones the daemons check requests against, so
 * the reference cannot say what the code does not do.  The meson test
 * docs-api (check.py) fails when the committed docs/api.md differs from
 * this program's output; `ninja -C build apidoc` rewrites it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apispec.h"

extern const struct apispec capd_api, hidd_api, hidd_api_ws, mediad_api,
    fetchd_api, gpiod_ctl_api, ocrd_api;

/* In the order of the URL map: video, input, media (and its fetches),
 * power, then text read off the screen. */
static const struct apispec *const apis[] = {&capd_api, &hidd_api, &hidd_api_ws,
    &mediad_api, &fetchd_api, &gpiod_ctl_api, &ocrd_api, NULL};

/* Copies the intro; 0 or -1 with a message on stderr. */
static int
copy_intro(const char *path, FILE *out)
{
	char buf[4096];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "apidoc: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, out);
	if (ferror(f)) {
		fprintf(stderr, "apidoc: %s: %s\n", path, strerror(errno));
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* The whole text, ending in exactly one newline (apispec_markdown()
 * leaves a blank line after each route). */
static int
write_doc(const char *intro, FILE *out)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *mem;

	if ((mem = open_memstream(&text, &len)) == NULL) {
		fprintf(stderr, "apidoc: %s\n", strerror(errno));
		return -1;
	}
	if (copy_intro(intro, mem) < 0) {
		fclose(mem);
		free(text);
		return -1;
	}
	for (i = 0; apis[i] != NULL; i++) {
		fprintf(mem, "\n");
		apispec_markdown(mem, apis[i]);
	}
	fclose(mem);
	while (len > 0 && text[len - 1] == '\n')
		len--;
	fwrite(text, 1, len, out);
	fputc('\n', out);
	free(text);
	return 0;
}

int
main(int argc, char **argv)
{
	FILE *out = stdout;
	int rc = 0;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: apidoc INTRO [OUT]\n");
		return 2;
	}
	if (argc == 3 && (out = fopen(argv[2], "w")) == NULL) {
		fprintf(stderr, "apidoc: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (write_doc(argv[1], out) < 0)
		rc = 1;
	if (fflush(out) != 0 || ferror(out)) {
		fprintf(stderr, "apidoc: writing: %s\n", strerror(errno));
		rc = 1;
	}
	if (out != stdout)
		fclose(out);
	return rc;
}
