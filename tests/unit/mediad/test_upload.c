/*
 * test_upload.c -- the store's upload pipeline: the loop side never waits,
 * the writer's data and digest are right at every size around the buffer
 * and alignment edges, with and without O_DIRECT, write errors reach the
 * caller, and an abort leaves nothing behind without waiting for the disk.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "sha256hex.h"
#include "store.h"
#include "tap.h"

#define MiB (1u << 20)

static char root[] = "/tmp/test-upload-XXXXXX";
static char dir[PATH_MAX];
static unsigned char *data;
static size_t data_len = 6 * MiB + 777;

/* Entries of the store directory (dot-files too), "." and ".." aside. */
static int
count_entries(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Whether the file holds exactly data[0..len). */
static int
same_content(const char *name, size_t len)
{
	char path[PATH_MAX + 300];
	unsigned char *back;
	FILE *fp;
	size_t n;
	int same;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "rb")) == NULL)
		return 0;
	back = malloc(len + 1);
	n = fread(back, 1, len + 1, fp);
	fclose(fp);
	same = n == len && memcmp(back, data, len) == 0;
	free(back);
	return same;
}

/*
 * Feed len bytes in pieces of at most STORE_PIECE_MAX, as mediad does:
 * after FULL, wait for the fd and poll until MORE.  Returns 0, or the
 * first error; *ret_full counts the FULLs.
 */
static int
feed(struct store_upload *up, size_t len, int *ret_full)
{
	struct pollfd pfd;
	size_t off = 0, n;
	int r;

	*ret_full = 0;
	while (off < len) {
		n = len - off;
		if (n > STORE_PIECE_MAX)
			n = STORE_PIECE_MAX - (off % 1000); /* uneven pieces */
		if ((r = store_upload_write(up, data + off, n)) < 0)
			return r;
		off += n;
		while (r == STORE_UPLOAD_FULL) {
			(*ret_full)++;
			pfd.fd = store_upload_fd(up);
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 10000) != 1)
				return -ETIMEDOUT; /* a lost wakeup */
			if ((r = store_upload_poll(up)) < 0)
				return r;
		}
	}
	return 0;
}

/* Complete, wait for DONE on the fd, finish. */
static int
complete(struct store_upload *up, char *sha)
{
	struct pollfd pfd;
	int r;

	if ((r = store_upload_complete(up)) < 0)
		return r;
	for (;;) {
		pfd.fd = store_upload_fd(up);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 10000) != 1)
			return -ETIMEDOUT;
		if ((r = store_upload_poll(up)) < 0) {
			store_upload_abort(up);
			return r;
		}
		if (r == STORE_UPLOAD_DONE)
			return store_upload_finish(up, sha);
	}
}

/* Upload data[0..len) as name and check what lands. */
static void
round_trip(struct store *st, const char *mode, size_t len)
{
	struct store_upload *up;
	char name[64], want[65], got[65] = "";
	int full = 0, r;

	snprintf(name, sizeof(name), "%s-%zu.img", mode, len);
	if ((r = store_upload_begin(st, name, len, 0, "t", &up)) < 0) {
		ok(0, "%s: begin %zu bytes: %s", mode, len, error_get());
		return;
	}
	r = feed(up, len, &full);
	if (r == 0)
		r = complete(up, got);
	else
		store_upload_abort(up);
	sha256(data, len, want);
	ok(r == 0 && strcmp(got, want) == 0 && same_content(name, len),
	    "%s: %zu bytes land whole, SHA-256 right (%d FULL) %s", mode, len,
	    full, r < 0 ? error_get() : "");
	store_delete(st, name);
}

/*
 * Sizes around the alignment (4 KiB) and buffer (1 MiB) edges, and more
 * than the ring holds, with O_DIRECT and through the cache.
 */
static void
test_sizes(struct store *st)
{
	static const size_t sizes[] = {0, 1, 4095, 4096, 4097, MiB - 1, MiB,
	    MiB + 1, 4 * MiB, 6 * MiB + 777};
	size_t i;
	int mode;

	for (mode = 1; mode >= 0; mode--) {
		store_set_direct_io(st, mode);
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			round_trip(st, mode ? "direct" : "cached", sizes[i]);
	}
	store_set_direct_io(st, 1);
}

/* The loop side never waits: a piece is only copied. */
static void
test_loop_never_waits(struct store *st)
{
	struct store_upload *up;
	struct timespec t0;
	struct timespec t1;
	char got[65];
	int r;
	double ms;

	is_int(store_upload_begin(st, "w.img", 3 * MiB, 0, NULL, &up), 0,
	    "begin 3 MiB");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = store_upload_write(up, data, STORE_PIECE_MAX);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	is_int(r, STORE_UPLOAD_MORE, "the first piece: MORE (%.2f ms)", ms);
	is_int(store_upload_write(up, data, 3 * MiB), -EMSGSIZE,
	    "more than announced: EMSGSIZE");
	is_int(store_upload_finish(up, got), -EIO, "short: finish fails");
	ok(strstr(error_get(), "262144 of 3145728") != NULL, "says: %s",
	    error_get());
	is_int(count_entries(), 0, "nothing left");
}

/* An abort while the writer is busy returns at once, soon leaving nothing. */
static void
test_abort_while_busy(struct store *st)
{
	struct store_upload *up;
	size_t i;
	int full;
	int n;

	is_int(store_upload_begin(st, "a.img", 6 * MiB, 0, NULL, &up), 0,
	    "begin 6 MiB");
	is_int(feed(up, 5 * MiB, &full), 0, "5 MiB in");
	store_upload_abort(up);
	ok(!store_uploading(st, "a.img"), "no longer uploading");
	for (i = 0; i < 500 && (n = count_entries()) != 0; i++)
		usleep(10000);
	is_int(count_entries(), 0, "the aborted upload left nothing");
}

/*
 * A write error in the writer (the file-size limit) reaches the caller
 * with the reason, and leaves nothing.
 */
static void
test_write_error(struct store *st)
{
	struct store_upload *up;
	struct rlimit rl;
	struct rlimit old;
	char got[65];
	size_t i;
	int full;
	int r;

	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	rl = old;
	rl.rlim_cur = 2 * MiB;
	if (setrlimit(RLIMIT_FSIZE, &rl) == 0) {
		is_int(store_upload_begin(st, "e.img", 6 * MiB, 0, NULL, &up),
		    0, "begin 6 MiB under a 2 MiB file-size limit");
		r = feed(up, 6 * MiB, &full);
		if (r == 0)
			r = complete(up, got);
		else
			store_upload_abort(up);
		is_int(r, -EFBIG, "the write error comes back");
		ok(strstr(error_get(), "e.img") != NULL &&
			strstr(error_get(), "too large") != NULL,
		    "says: %s", error_get());
		setrlimit(RLIMIT_FSIZE, &old);
		for (i = 0; i < 500 && count_entries() != 0; i++)
			usleep(10000);
		is_int(count_entries(), 0, "nothing left");
	} else
		diag("setrlimit failed: write-error case not run");
}

/* A finish that waits: all of it from one caller (mediactl-style). */
static void
test_finish_waits(struct store *st)
{
	struct store_upload *up;
	char got[65];
	int full;

	is_int(store_upload_begin(st, "f.img", 2 * MiB + 5, 0, NULL, &up), 0,
	    "begin");
	is_int(feed(up, 2 * MiB + 5, &full), 0, "all in");
	is_int(store_upload_finish(up, got), 0, "finish waits for the writer");
	ok(same_content("f.img", 2 * MiB + 5), "content");
}

int
main(void)
{
	struct store *st;
	size_t i;

	if (mkdtemp(root) == NULL)
		abort();
	snprintf(dir, sizeof(dir), "%s/images", root);
	data = malloc(data_len);
	srand(7);
	for (i = 0; i < data_len; i++)
		data[i] = (unsigned char)rand();
	is_int(store_open(dir, 0, &st), 0, "store opens");
	test_sizes(st);
	test_loop_never_waits(st);
	test_abort_while_busy(st);
	test_write_error(st);
	test_finish_waits(st);
	store_close(st);
	free(data);
	snprintf(dir, sizeof(dir), "rm -rf '%s'", root);
	if (system(dir) != 0)
		diag("could not remove %s", root);
	return tap_done();
}
