/*
 * store.c -- the image store under --images DIR.
 *
 * The directory fd is opened once; every name is resolved relative to it
 * with O_NOFOLLOW or AT_SYMLINK_NOFOLLOW, so a symlink planted in the store
 * is never followed and never listed.  Uploads go to an O_TMPFILE file (no
 * name at all until complete, so a crash leaves nothing), or a
 * ".upload-XXXXXXXXXXXX" file on file systems without O_TMPFILE; dot-names
 * are never listed nor reachable through name_check(), and stale ones are
 * removed at start.  Dirty pages are pushed out as the upload runs
 * (sync_file_range), so the closing fsync is short and a big upload does not
 * evict everybody's page cache.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "error.h"
#include "name.h"
#include "store.h"
#include "xmalloc.h"

#define STORE_TMP_PREFIX ".upload-"
#define STORE_WRITEBACK	 (8u << 20) /* bytes between pushes */
/* written, not yet on disk: small, because waiting for it blocks the loop
 * (on an SD card 8 MiB take about a second; 64 MiB could trip the watchdog) */
#define STORE_INFLIGHT (8u << 20)

struct store_upload {
	TAILQ_ENTRY(store_upload) entry;
	struct store *store;
	char *name;
	char *peer;
	char tmpname[32]; /* dot-named file; "" for O_TMPFILE */
	int fd;
	int overwrite;
	uint64_t length;
	uint64_t received;
	uint64_t pushed;  /* writeback started up to here */
	uint64_t flushed; /* written back up to here */
	EVP_MD_CTX *md;
	double started;
};

struct store {
	char *path;
	int dirfd;
	uint64_t reserve;
	TAILQ_HEAD(, store_upload) uploads;
};

/* Monotonic seconds. */
static double
store_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A byte count for people: "1.5 GiB". */
static const char *
store_size(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	double v = n;
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, unit[i]);
	return buf;
}

/* Remove upload files a crash left behind. */
static void
store_sweep(struct store *st)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, STORE_TMP_PREFIX,
			strlen(STORE_TMP_PREFIX)) == 0)
			unlinkat(st->dirfd, de->d_name, 0);
	closedir(d);
}

/* Open the store directory, creating it when missing. */
int
store_open(const char *dir, uint64_t reserve_bytes, struct store **ret_store)
{
	struct store *st;
	char *real;
	int r;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return error_set(-errno,
		    "cannot create the image store %s: "
		    "%s",
		    dir, strerror(errno));
	if ((real = realpath(dir, NULL)) == NULL)
		return error_set(-errno,
		    "cannot resolve the image store %s: "
		    "%s",
		    dir, strerror(errno));
	st = xcalloc(1, sizeof(*st));
	st->path = real;
	st->reserve = reserve_bytes;
	TAILQ_INIT(&st->uploads);
	if ((st->dirfd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		r = error_set(-errno, "cannot open the image store %s: %s",
		    real, strerror(errno));
		free(st->path);
		free(st);
		return r;
	}
	store_sweep(st);
	*ret_store = st;
	return 0;
}

/* Close the store; running uploads are aborted. */
void
store_close(struct store *st)
{
	struct store_upload *up;

	if (st == NULL)
		return;
	while ((up = TAILQ_FIRST(&st->uploads)) != NULL)
		store_upload_abort(up);
	close(st->dirfd);
	free(st->path);
	free(st);
}

/* The resolved directory. */
const char *
store_path(const struct store *st)
{
	return st->path;
}

/* Space of the store's file system and what is promised already. */
int
store_space(const struct store *st, struct store_space *ret)
{
	const struct store_upload *up;
	struct statvfs sv;
	struct store_space sp;

	if (fstatvfs(st->dirfd, &sv) == -1)
		return error_set(
		    -errno, "statvfs on the image store: %s", strerror(errno));
	memset(&sp, 0, sizeof(sp));
	sp.total = (uint64_t)sv.f_blocks * sv.f_frsize;
	sp.avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	sp.reserve = st->reserve;
	TAILQ_FOREACH(up, &st->uploads, entry)
	sp.pending += up->length - up->received;
	*ret = sp;
	return 0;
}

/* Order entries by name. */
static int
store_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_entry *)a)->name,
	    ((const struct store_entry *)b)->name);
}

/* List the images: regular files with valid names, nothing else. */
int
store_list(struct store *st, struct store_entry **ret_entries, size_t *ret_n)
{
	struct store_entry *e = NULL;
	struct dirent *de;
	struct stat sb;
	size_t n = 0, cap = 0;
	DIR *d;
	int fd;

	if ((fd = openat(st->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return error_set(
		    -errno, "cannot read the image store: %s", strerror(errno));
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return error_set(
		    -errno, "cannot read the image store: %s", strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (name_check(de->d_name, strlen(de->d_name)) < 0)
			continue;
		if (fstatat(st->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
			-1 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			e = xreallocarray(e, cap, sizeof(*e));
		}
		e[n].name = xstrdup(de->d_name);
		e[n].size = sb.st_size;
		e[n].mtime = sb.st_mtim.tv_sec;
		n++;
	}
	closedir(d);
	error_clear();
	if (n > 0)
		qsort(e, n, sizeof(*e), store_entry_cmp);
	*ret_entries = e;
	*ret_n = n;
	return 0;
}

/* Free a list. */
void
store_entries_free(struct store_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n && e != NULL; i++)
		free(e[i].name);
	free(e);
}

/* Metadata of one image, never through a symlink. */
int
store_stat(struct store *st, const char *name, struct stat *ret_st)
{
	struct stat sb;
	int r;

	if ((r = name_check(name, strlen(name))) < 0)
		return r;
	if (fstatat(st->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return error_set(-ENOENT,
			    "no image named '%s' in the "
			    "store",
			    name);
		return error_set(
		    -errno, "cannot stat '%s': %s", name, strerror(errno));
	}
	if (!S_ISREG(sb.st_mode))
		return error_set(-EINVAL,
		    "'%s' is not a regular file (the "
		    "store never follows symlinks)",
		    name);
	*ret_st = sb;
	return 0;
}

/* Open an image for reading. */
int
store_open_image(
    struct store *st, const char *name, int *ret_fd, struct stat *ret_st)
{
	struct stat sb;
	int fd, r;

	if ((r = store_stat(st, name, &sb)) < 0)
		return r;
	if ((fd = openat(st->dirfd, name,
		 O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) == -1)
		return error_set(errno == ENOENT ? -ENOENT : -errno,
		    "cannot open '%s': %s", name, strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return error_set(-EINVAL, "'%s' is not a regular file", name);
	}
	*ret_fd = fd;
	*ret_st = sb;
	return 0;
}

/* Delete an image. */
int
store_delete(struct store *st, const char *name)
{
	struct stat sb;
	int r;

	if ((r = store_stat(st, name, &sb)) < 0)
		return r;
	if (unlinkat(st->dirfd, name, 0) == -1)
		return error_set(
		    -errno, "cannot delete '%s': %s", name, strerror(errno));
	fsync(st->dirfd);
	return 0;
}

/* Whether an upload to name runs. */
int
store_uploading(const struct store *st, const char *name)
{
	const struct store_upload *up;

	TAILQ_FOREACH(up, &st->uploads, entry)
	if (strcmp(up->name, name) == 0)
		return 1;
	return 0;
}

/* A fresh ".upload-XXXXXXXXXXXX" name in buf (32 bytes). */
static void
store_tmpname(char *buf)
{
	unsigned char rnd[6];
	size_t i;
	int n;

	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		for (i = 0; i < sizeof(rnd); i++)
			rnd[i] = (unsigned char)(rand() ^ (getpid() >> i));
	n = snprintf(buf, 32, "%s", STORE_TMP_PREFIX);
	for (i = 0; i < sizeof(rnd); i++)
		n += snprintf(buf + n, 32 - n, "%02x", rnd[i]);
}

/* Create the upload's file: unnamed where possible. */
static int
store_create_tmp(struct store_upload *up)
{
	struct store *st = up->store;
	int i;

	up->fd = openat(st->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (up->fd != -1)
		return 0;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	for (i = 0; i < 16; i++) {
		store_tmpname(up->tmpname);
		up->fd = openat(st->dirfd, up->tmpname,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (up->fd != -1)
			return 0;
		if (errno != EEXIST)
			break;
	}
	up->tmpname[0] = '\0';
	return -errno;
}

/* Start an upload, refusing up front what cannot succeed. */
int
store_upload_begin(struct store *st, const char *name, uint64_t length,
    int overwrite, const char *peer, struct store_upload **ret_up)
{
	struct store_upload *up;
	struct store_space sp;
	struct stat sb;
	char a[32], b[32], c[32], d[32];
	int r;

	if ((r = name_check(name, strlen(name))) < 0)
		return r;
	if (store_uploading(st, name))
		return error_set(-EBUSY,
		    "an upload to '%s' is already "
		    "running: wait for it or abort it",
		    name);
	r = store_stat(st, name, &sb);
	if (r == 0 && !overwrite)
		return error_set(-EEXIST,
		    "'%s' already exists: delete it "
		    "first or upload with ?overwrite=1",
		    name);
	if (r < 0 && r != -ENOENT)
		return r;
	error_clear();
	if ((r = store_space(st, &sp)) < 0)
		return r;
	if (sp.avail < sp.reserve || sp.avail - sp.reserve < sp.pending ||
	    sp.avail - sp.reserve - sp.pending < length)
		return error_set(-ENOSPC,
		    "'%s' needs %s but the store has "
		    "only %s free (%s kept in reserve, %s promised to running "
		    "uploads): delete images or free space first",
		    name, store_size(length, a, sizeof(a)),
		    store_size(sp.avail, b, sizeof(b)),
		    store_size(sp.reserve, c, sizeof(c)),
		    store_size(sp.pending, d, sizeof(d)));

	up = xcalloc(1, sizeof(*up));
	up->store = st;
	up->fd = -1;
	if ((r = store_create_tmp(up)) < 0) {
		r = error_set(r, "cannot create a file in the image store: %s",
		    strerror(-r));
		free(up);
		return r;
	}
	/* Reserve the blocks now: a full disk shows up here, not at 90 %. */
	if (length > 0 &&
	    fallocate(up->fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)length) == -1 &&
	    errno == ENOSPC) {
		r = error_set(-ENOSPC,
		    "'%s' does not fit in the image store "
		    "(%s): delete images or free space first",
		    name, store_size(length, a, sizeof(a)));
		goto fail;
	}
	if ((up->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(up->md, EVP_sha256(), NULL) != 1) {
		r = error_set(-ENOMEM, "cannot set up SHA-256");
		goto fail;
	}
	up->name = xstrdup(name);
	up->peer = xstrdup(peer != NULL ? peer : "");
	up->overwrite = overwrite;
	up->length = length;
	up->started = store_now();
	TAILQ_INSERT_TAIL(&st->uploads, up, entry);
	*ret_up = up;
	return 0;
fail:
	if (up->tmpname[0] != '\0')
		unlinkat(st->dirfd, up->tmpname, 0);
	EVP_MD_CTX_free(up->md);
	close(up->fd);
	free(up);
	return r;
}

/*
 * Push written pages to disk behind the writer: start writeback of each
 * window as it fills, and wait only for data well behind (up to
 * STORE_INFLIGHT bytes stay in flight), so the disk stays busy while we
 * read and hash, dirty memory stays bounded, and the closing fsync is short.
 */
static void
store_writeback(struct store_upload *up)
{
	uint64_t upto;

	if (up->received - up->pushed < STORE_WRITEBACK)
		return;
	sync_file_range(up->fd, (off_t)up->pushed,
	    (off_t)(up->received - up->pushed), SYNC_FILE_RANGE_WRITE);
	up->pushed = up->received;
	if (up->pushed - up->flushed <= STORE_INFLIGHT)
		return;
	upto = up->pushed - STORE_INFLIGHT / 2;
	sync_file_range(up->fd, (off_t)up->flushed, (off_t)(upto - up->flushed),
	    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
		SYNC_FILE_RANGE_WAIT_AFTER);
	posix_fadvise(up->fd, (off_t)up->flushed, (off_t)(upto - up->flushed),
	    POSIX_FADV_DONTNEED);
	up->flushed = upto;
}

/* Append a piece of the body. */
int
store_upload_write(struct store_upload *up, const void *data, size_t len)
{
	const char *p = data;
	size_t left = len;
	ssize_t n;

	if (len > up->length - up->received)
		return error_set(-EMSGSIZE,
		    "more data than the %llu bytes "
		    "announced",
		    (unsigned long long)up->length);
	while (left > 0) {
		if ((n = write(up->fd, p, left)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ENOSPC || errno == EDQUOT)
				return error_set(-ENOSPC,
				    "the image store "
				    "ran out of space while writing '%s'",
				    up->name);
			return error_set(-errno, "writing '%s' failed: %s",
			    up->name, strerror(errno));
		}
		p += n;
		left -= n;
	}
	EVP_DigestUpdate(up->md, data, len);
	up->received += len;
	store_writeback(up);
	return 0;
}

/* Unlink from the store's list and free. */
static void
store_upload_free(struct store_upload *up)
{
	TAILQ_REMOVE(&up->store->uploads, up, entry);
	if (up->fd != -1)
		close(up->fd);
	EVP_MD_CTX_free(up->md);
	free(up->name);
	free(up->peer);
	free(up);
}

/* Give the finished file its name. */
static int
store_upload_link(struct store_upload *up)
{
	struct store *st = up->store;
	char proc[64], tmp[32];

	if (up->tmpname[0] != '\0') {
		if (renameat2(st->dirfd, up->tmpname, st->dirfd, up->name,
			up->overwrite ? 0 : RENAME_NOREPLACE) == -1)
			return -errno;
		up->tmpname[0] = '\0';
		return 0;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", up->fd);
	if (!up->overwrite) {
		if (linkat(AT_FDCWD, proc, st->dirfd, up->name,
			AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno == EEXIST)
			return -EEXIST;
		if (linkat(up->fd, "", st->dirfd, up->name, AT_EMPTY_PATH) == 0)
			return 0;
		return -errno;
	}
	/* Overwrite: a temporary name first, then rename over the old. */
	store_tmpname(tmp);
	if (linkat(AT_FDCWD, proc, st->dirfd, tmp, AT_SYMLINK_FOLLOW) == -1 &&
	    linkat(up->fd, "", st->dirfd, tmp, AT_EMPTY_PATH) == -1)
		return -errno;
	if (renameat(st->dirfd, tmp, st->dirfd, up->name) == -1) {
		int r = -errno;

		unlinkat(st->dirfd, tmp, 0);
		return r;
	}
	return 0;
}

/* Finish: check, fsync, name it. */
int
store_upload_finish(struct store_upload *up, char *ret_sha256)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	int r;

	if (up->received != up->length) {
		r = error_set(-EIO,
		    "the upload of '%s' ended after %llu of "
		    "%llu bytes",
		    up->name, (unsigned long long)up->received,
		    (unsigned long long)up->length);
		goto fail;
	}
	if (fsync(up->fd) == -1) {
		r = error_set(-errno, "fsync of '%s' failed: %s", up->name,
		    strerror(errno));
		goto fail;
	}
	if ((r = store_upload_link(up)) < 0) {
		if (r == -EEXIST)
			r = error_set(r,
			    "'%s' appeared while uploading: "
			    "upload again with ?overwrite=1",
			    up->name);
		else
			r = error_set(r, "cannot name the upload '%s': %s",
			    up->name, strerror(-r));
		goto fail;
	}
	fsync(up->store->dirfd);
	EVP_DigestFinal_ex(up->md, md, &mdlen);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	memcpy(ret_sha256, hex, 65);
	store_upload_free(up);
	return 0;
fail:
	store_upload_abort(up);
	return r;
}

/* Drop an upload and its file. */
void
store_upload_abort(struct store_upload *up)
{
	if (up == NULL)
		return;
	if (up->tmpname[0] != '\0')
		unlinkat(up->store->dirfd, up->tmpname, 0);
	store_upload_free(up);
}

/* Iterate running uploads. */
const struct store_upload *
store_upload_next(const struct store *st, const struct store_upload *up)
{
	return up == NULL ? TAILQ_FIRST(&st->uploads) : TAILQ_NEXT(up, entry);
}

/* The upload's target name. */
const char *
store_upload_name(const struct store_upload *up)
{
	return up->name;
}

/* Who uploads. */
const char *
store_upload_peer(const struct store_upload *up)
{
	return up->peer;
}

/* Bytes announced. */
uint64_t
store_upload_length(const struct store_upload *up)
{
	return up->length;
}

/* Bytes written so far. */
uint64_t
store_upload_received(const struct store_upload *up)
{
	return up->received;
}

/* When it started (CLOCK_MONOTONIC seconds). */
double
store_upload_started(const struct store_upload *up)
{
	return up->started;
}
