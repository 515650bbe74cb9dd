/*
 * store.h -- the image store: a directory of plain files.
 *
 * Everything is opened relative to the store's directory fd with
 * O_NOFOLLOW (symlinks are never followed, and only regular files count as
 * images).  Names are checked with name_check() first.  An upload is written
 * to an unnamed file (O_TMPFILE; a dot-named file where that is missing)
 * by its own writer thread, hashed with SHA-256 on the way, fsynced, and
 * linked under its name only when all the bytes announced are in; aborting
 * it leaves nothing behind.
 * Whether an image is mounted is not the store's business: the caller
 * checks that before deleting or overwriting.
 */
#ifndef MEDIAD_STORE_H
#define MEDIAD_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct store;
struct store_upload;

struct store_entry {
	char *name;
	uint64_t size;
	int64_t mtime; /* seconds since the epoch */
};

struct store_space {
	uint64_t total;	  /* bytes of the file system */
	uint64_t avail;	  /* bytes free for us (statvfs f_bavail) */
	uint64_t reserve; /* kept free */
	uint64_t pending; /* still to come from running uploads */
};

/* Open (and create if missing) the store; removes stale upload files. */
int store_open(
    const char *dir, uint64_t reserve_bytes, struct store **ret_store);
void store_close(struct store *); /* NULL is fine */
/* Uploads are written with O_DIRECT where the file system allows it (the
 * default), or through the page cache. */
void store_set_direct_io(struct store *, int on);
/* The absolute, resolved directory path (what the gadget's `file` gets). */
const char *store_path(const struct store *);
int store_space(const struct store *, struct store_space *ret);

/* All images, sorted by name; free with store_entries_free(). */
int store_list(struct store *, struct store_entry **ret_entries, size_t *ret_n);
void store_entries_free(struct store_entry *, size_t n);
/* An image's metadata: -ENOENT when missing, -EINVAL when not a regular
 * file (a symlink, a directory). */
int store_stat(struct store *, const char *name, struct stat *ret_st);
/* Open an image for reading (downloads): fd and its stat. */
int store_open_image(
    struct store *, const char *name, int *ret_fd, struct stat *ret_st);
/* Delete an image; -ENOENT when missing. */
int store_delete(struct store *, const char *name);

/*
 * Start an upload of length bytes to name.  -EEXIST when name exists and
 * !overwrite, -EBUSY when another upload to name runs, -ENOSPC when it
 * cannot fit (keeping the reserve and what running uploads still need).
 * A writer thread hashes and writes the data behind the caller.
 */
int store_upload_begin(struct store *, const char *name, uint64_t length,
    int overwrite, const char *peer, struct store_upload **ret_up);

/* Name the file only when its SHA-256 is sha256 (64 lowercase hex
 * digits): a mismatch fails the upload with -EINVAL (400) and keeps nothing.
 * Call before the first store_upload_write(). */
void store_upload_expect(struct store_upload *, const char *sha256);

/* What store_upload_write() and store_upload_poll() return when all is
 * well.  FULL: stop feeding data until store_upload_fd() turns readable,
 * then poll again. */
enum {
	STORE_UPLOAD_MORE = 0, /* room for at least STORE_PIECE_MAX bytes */
	STORE_UPLOAD_FULL = 1,
	STORE_UPLOAD_DONE = 2, /* finished: store_upload_finish() */
};
/* The largest piece store_upload_write() takes without waiting when it
 * last said MORE. */
#define STORE_PIECE_MAX (256u * 1024)

/* Append data (copied; never waits for the disk while the caller heeds
 * FULL).  -EMSGSIZE beyond the announced length; a write error of the
 * writer (-ENOSPC, -EIO) shows up here or in store_upload_poll(). */
int store_upload_write(struct store_upload *, const void *, size_t);
/* Readable when the writer has news (room, done, an error). */
int store_upload_fd(const struct store_upload *);
/* Reads the news: MORE, FULL, DONE or -errno (error_get() says why). */
int store_upload_poll(struct store_upload *);
/* All data given: the writer writes the rest, fsyncs and names the file,
 * then poll says DONE.  -EIO when fewer bytes came than announced. */
int store_upload_complete(struct store_upload *);
/* Completes when not yet done, waits for the writer (the daemon calls it
 * only after DONE, so it does not wait), frees the upload either way; on
 * success *ret_sha256 gets the hex digest (65 bytes with the NUL). */
int store_upload_finish(struct store_upload *, char *ret_sha256);
/* Drop an upload: nothing is left behind, nothing waits for the disk.
 * NULL is fine. */
void store_upload_abort(struct store_upload *);

/* Running uploads, for /state: iterate with NULL first. */
const struct store_upload *store_upload_next(
    const struct store *, const struct store_upload *);
const char *store_upload_name(const struct store_upload *);
const char *store_upload_peer(const struct store_upload *);
uint64_t store_upload_length(const struct store_upload *);
uint64_t store_upload_received(const struct store_upload *);
double store_upload_started(const struct store_upload *); /* mono s */
/* Whether an upload to name is running. */
int store_uploading(const struct store *, const char *name);

#endif
