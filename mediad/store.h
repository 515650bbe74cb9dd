/*
 * store.h -- the image store: a directory of plain files.
 *
 * Everything is opened relative to the store's directory fd with
 * O_NOFOLLOW (symlinks are never followed, and only regular files count as
 * images).  Names are checked with name_check() first.  An upload is written
 * to an unnamed file (O_TMPFILE; a dot-named file where that is missing),
 * hashed with SHA-256 on the fly, fsynced, and linked under its name only
 * when all the bytes announced are in; aborting it leaves nothing behind.
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
 */
int store_upload_begin(struct store *, const char *name, uint64_t length,
    int overwrite, const char *peer, struct store_upload **ret_up);
/* Append data; -EMSGSIZE beyond the announced length, -ENOSPC, -EIO. */
int store_upload_write(struct store_upload *, const void *, size_t);
/* Check the length, fsync, give it its name.  Frees the upload either way;
 * on success *ret_sha256 gets the hex digest (65 bytes with the NUL). */
int store_upload_finish(struct store_upload *, char *ret_sha256);
/* Drop an upload: nothing is left behind.  NULL is fine. */
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
