/*
 * replay.c -- runs a libFuzzer target over its corpus as an ordinary test.
 *
 * Linked with a target's LLVMFuzzerTestOneInput when not building with
 * libFuzzer (any compiler).  Each argument is a file or a directory of files;
 * every file is fed to the target once.  A crash fails the test (and the
 * sanitizer build says why).  Prints TAP: one line per file.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int n;

static int
replay_file(const char *path)
{
	FILE *f;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, got;

	if ((f = fopen(path, "rb")) == NULL) {
		printf("not ok %d - %s: cannot open\n", ++n, path);
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	printf("ok %d - %s\n", ++n, path);
	fflush(stdout);
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL, *p;
	size_t nn = 0, i;
	int r = 0;

	if (stat(path, &st) == -1) {
		printf("not ok %d - %s: missing\n", ++n, path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&p, "%s/%s", path, de->d_name) == -1)
			abort();
		if ((names = realloc(names, (nn + 1) * sizeof(*names))) == NULL)
			abort();
		names[nn++] = p;
	}
	closedir(d);
	qsort(names, nn, sizeof(*names), cmp);
	for (i = 0; i < nn; i++) {
		if (replay_file(names[i]) < 0)
			r = -1;
		free(names[i]);
	}
	free(names);
	return r;
}

int
main(int argc, char **argv)
{
	int i, r = 0;

	for (i = 1; i < argc; i++)
		if (replay(argv[i]) < 0)
			r = 1;
	if (n == 0) {
		printf("not ok 1 - empty corpus\n");
		n = 1;
		r = 1;
	}
	printf("1..%d\n", n);
	return r;
}
