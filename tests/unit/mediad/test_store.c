/*
 * test_store.c -- the image store against a temporary directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "sha256hex.h"
#include "store.h"
#include "tap.h"

static char root[] = "/tmp/test-store-XXXXXX";
static char dir[PATH_MAX];
/* What the uploads write: made once, checked byte for byte. */
static char data[100000];

/* The names in the store directory, dot-files included, joined by ','. */
static const char *
entries(char *out, size_t len)
{
	struct dirent **de;
	size_t o = 0;
	int n, i;

	out[0] = '\0';
	if ((n = scandir(dir, &de, NULL, alphasort)) < 0)
		return "(error)";
	for (i = 0; i < n; i++) {
		if (strcmp(de[i]->d_name, ".") != 0 &&
		    strcmp(de[i]->d_name, "..") != 0)
			o += snprintf(out + o, len - o, "%s%s", o ? "," : "",
			    de[i]->d_name);
		free(de[i]);
	}
	free(de);
	return out;
}

/* The content of a store file. */
static size_t
slurp(const char *name, char *buf, size_t len)
{
	char path[PATH_MAX + 300];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "rb")) == NULL)
		return 0;
	n = fread(buf, 1, len, fp);
	fclose(fp);
	return n;
}

/* A complete upload: progress, SHA-256, content, listing. */
static void
test_complete_upload(struct store *st)
{
	struct store_upload *up = NULL;
	const struct store_upload *it;
	struct store_entry *e;
	char back[200000];
	char list[1024];
	char want[65];
	char got[65];
	size_t n;

	is_int(store_upload_begin(st, "a.img", sizeof(data), 0, "c1", &up), 0,
	    "upload begins");
	ok(store_uploading(st, "a.img"), "a.img is uploading");
	is_int(store_upload_write(up, data, 60000), 0, "first piece");
	it = store_upload_next(st, NULL);
	ok(it == up && store_upload_received(it) == 60000 &&
		store_upload_length(it) == sizeof(data),
	    "progress is visible");
	is_str(store_upload_peer(it), "c1", "peer is kept");
	is_str(entries(list, sizeof(list)), "", "nothing named while it runs");
	is_int(store_upload_write(up, data + 60000, sizeof(data) - 60000), 0,
	    "second piece");
	is_int(store_upload_finish(up, got), 0, "finish");
	sha256(data, sizeof(data), want);
	is_str(got, want, "SHA-256 of what was written");
	is_int(slurp("a.img", back, sizeof(back)), sizeof(data), "size");
	is_mem(back, data, sizeof(data), "content");
	ok(!store_uploading(st, "a.img"), "no longer uploading");
	ok(store_upload_next(st, NULL) == NULL, "no uploads running");

	is_int(store_list(st, &e, &n), 0, "list");
	ok(n == 1 && strcmp(e[0].name, "a.img") == 0 &&
		e[0].size == sizeof(data) && e[0].mtime > 0,
	    "a.img listed with its size and mtime");
	store_entries_free(e, n);
}

/* Overwrite rules: EEXIST, EBUSY, abort keeps the old image, replace. */
static void
test_overwrite(struct store *st)
{
	struct store_upload *up = NULL;
	struct store_upload *up2 = NULL;
	char back[200000];
	char list[1024];
	char got[65];

	is_int(store_upload_begin(st, "a.img", 10, 0, NULL, &up), -EEXIST,
	    "existing name without overwrite: EEXIST");
	ok(strstr(error_get(), "overwrite=1") != NULL, "says: %s", error_get());
	is_int(store_upload_begin(st, "a.img", 20, 1, NULL, &up), 0,
	    "overwrite begins");
	is_int(store_upload_begin(st, "a.img", 20, 1, NULL, &up2), -EBUSY,
	    "a second upload to the same name: EBUSY");
	is_int(store_upload_write(up, "0123456789", 10), 0, "half of it");
	store_upload_abort(up);
	is_str(entries(list, sizeof(list)), "a.img",
	    "abort leaves only the old image");
	is_int(slurp("a.img", back, sizeof(back)), sizeof(data),
	    "old image intact");
	ok(!store_uploading(st, "a.img"), "not busy after the abort");

	is_int(store_upload_begin(st, "a.img", 4, 1, NULL, &up), 0,
	    "overwrite again");
	is_int(store_upload_write(up, "new!", 4), 0, "all of it");
	is_int(store_upload_finish(up, got), 0, "finish replaces");
	is_int(slurp("a.img", back, sizeof(back)), 4, "new size");
	is_mem(back, "new!", 4, "new content");
	is_str(entries(list, sizeof(list)), "a.img", "no leftovers");
}

/* Wrong byte counts: more than announced, a short upload; an empty one. */
static void
test_byte_counts(struct store *st)
{
	struct store_upload *up = NULL;
	char list[1024];
	char got[65];

	is_int(store_upload_begin(st, "b.img", 10, 0, NULL, &up), 0, "b.img");
	is_int(store_upload_write(up, data, 11), -EMSGSIZE,
	    "more than announced: EMSGSIZE");
	is_int(store_upload_write(up, data, 5), 0, "5 of 10");
	is_int(store_upload_finish(up, got), -EIO, "short upload fails");
	ok(strstr(error_get(), "5 of 10") != NULL, "says: %s", error_get());
	is_str(entries(list, sizeof(list)), "a.img", "no b.img");
	is_int(store_upload_begin(st, "b.img", 0, 0, NULL, &up), 0,
	    "an empty upload");
	is_int(store_upload_finish(up, got), 0, "finishes");
	is_str(got,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "SHA-256 of nothing");
	is_int(store_delete(st, "b.img"), 0, "delete b.img");
}

/* Space: free space, the reserve, uploads running count. */
static void
test_space(struct store *st)
{
	struct store *st2 = NULL;
	struct store_upload *up = NULL;
	struct store_upload *up2 = NULL;
	struct store_space sp;

	is_int(store_space(st, &sp), 0, "space");
	ok(sp.total > 0 && sp.avail > 0 && sp.pending == 0, "space figures");
	is_int(store_upload_begin(st, "huge.img", sp.avail + 1, 0, NULL, &up),
	    -ENOSPC, "more than free: ENOSPC");
	ok(strstr(error_get(), "free") != NULL, "says: %s", error_get());
	is_int(store_open(dir, sp.avail, &st2), 0,
	    "second store, reserve = "
	    "all free space");
	is_int(store_upload_begin(st2, "c.img", 1 << 20, 0, NULL, &up), -ENOSPC,
	    "reserve counts");
	ok(strstr(error_get(), "reserve") != NULL, "says: %s", error_get());
	store_close(st2);
	is_int(
	    store_upload_begin(st, "c.img", sp.avail / 2 + 4096, 0, NULL, &up),
	    0, "half the free space");
	is_int(
	    store_upload_begin(st, "d.img", sp.avail / 2 + 4096, 0, NULL, &up2),
	    -ENOSPC, "another half does not fit beside it");
	store_upload_abort(up);
}

/* Names and symlinks: traversal, dot-names, links and directories. */
static void
test_names_and_symlinks(struct store *st)
{
	struct store_upload *up = NULL;
	struct store_entry *e;
	struct stat sb;
	char path[PATH_MAX + 32];
	size_t n;
	int fd;

	is_int(store_upload_begin(st, "../x", 1, 0, NULL, &up), -EINVAL,
	    "traversal refused");
	is_int(store_upload_begin(st, ".hidden", 1, 0, NULL, &up), -EINVAL,
	    "dot-name refused");
	snprintf(path, sizeof(path), "%s/link.iso", dir);
	if (symlink("/etc/passwd", path) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/sub", dir);
	mkdir(path, 0755);
	is_int(store_list(st, &e, &n), 0, "list");
	ok(n == 1 && strcmp(e[0].name, "a.img") == 0,
	    "symlink and directory are not listed");
	store_entries_free(e, n);
	is_int(store_stat(st, "link.iso", &sb), -EINVAL, "stat: symlink");
	is_int(store_open_image(st, "link.iso", &fd, &sb), -EINVAL,
	    "open: symlink");
	is_int(store_delete(st, "link.iso"), -EINVAL, "delete: symlink");
	is_int(store_upload_begin(st, "link.iso", 1, 1, NULL, &up), -EINVAL,
	    "overwrite of a symlink refused");
	is_int(store_stat(st, "sub", &sb), -EINVAL, "stat: directory");
	is_int(store_stat(st, "none", &sb), -ENOENT, "stat: missing");
	is_int(store_open_image(st, "a.img", &fd, &sb), 0, "open a.img");
	ok(sb.st_size == 4, "its size");
	close(fd);
	is_int(store_delete(st, "a.img"), 0, "delete");
	is_int(store_delete(st, "a.img"), -ENOENT, "delete again: ENOENT");
}

/* Stale upload files from a crash go at start. */
static void
test_stale_uploads(struct store *st)
{
	char list[1024];
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/.upload-0123456789ab", dir);
	close(open(path, O_WRONLY | O_CREAT, 0600));
	store_close(st);
	is_int(store_open(dir, 0, &st), 0, "reopen");
	is_str(entries(list, sizeof(list)), "link.iso,sub",
	    "stale upload file removed");
	store_close(st);
}

int
main(void)
{
	struct store *st = NULL;
	struct store_entry *e;
	char path[PATH_MAX + 32];
	size_t n, i;

	if (mkdtemp(root) == NULL)
		abort();
	snprintf(dir, sizeof(dir), "%s/images", root);
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + i / 251);

	is_int(store_open(dir, 0, &st), 0, "store opens (and is created)");
	ok(strcmp(store_path(st), dir) == 0, "path is absolute: %s",
	    store_path(st));
	is_int(store_list(st, &e, &n), 0, "list");
	is_int(n, 0, "empty");
	store_entries_free(e, n);
	test_complete_upload(st);
	test_overwrite(st);
	test_byte_counts(st);
	test_space(st);
	test_names_and_symlinks(st);
	test_stale_uploads(st);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	if (system(path) != 0)
		diag("could not remove %s", root);
	return tap_done();
}
