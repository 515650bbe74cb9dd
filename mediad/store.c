/*
 * store.c -- the image store under --images DIR.
 *
 * The directory fd is opened once; every name is resolved relative to it
 * with O_NOFOLLOW or AT_SYMLINK_NOFOLLOW, so a symlink planted in the store
 * is never followed and never listed.  Uploads go to an O_TMPFILE file (no
 * name at all until complete, so a crash leaves nothing), or a
 * ".upload-XXXXXXXXXXXX" file on file systems without O_TMPFILE; dot-names
 * are never listed nor reachable through name_check(), and stale ones are
 * removed at start.
 *
 * Each upload has a writer thread, so the event loop never waits for the
 * disk: the loop copies the body into a ring of STORE_NBUF aligned buffers
 * and the writer hashes (SHA-256) and writes each full one, with O_DIRECT
 * where the file system allows it (no page-cache copy, no dirty pages
 * piling up, nobody's cache evicted), else through the cache with
 * writeback pushed behind it.  At the end the writer fsyncs and links the
 * file under its name; the loop hears of progress through an eventfd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
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
#include "utf8.h"

#define STORE_TMP_PREFIX ".upload-"
#define STORE_ALIGN	 4096	    /* O_DIRECT: buffer, offset, length */
#define STORE_BUF_SIZE	 (1u << 20) /* one write */
#define STORE_NBUF	 4
/* buffered fallback: bytes between writeback pushes, and how much may be
 * written but not yet on disk (the writer thread waits beyond that) */
#define STORE_WRITEBACK (8u << 20)
#define STORE_INFLIGHT	(8u << 20)
/* bytes the loop may still copy in without waiting (lock held) */
#define STORE_ROOM(up)                                                         \
	((size_t)(STORE_NBUF - ((up)->filled - (up)->written)) *               \
		STORE_BUF_SIZE -                                               \
	    (up)->fill_len)

_Static_assert(STORE_PIECE_MAX <= STORE_BUF_SIZE, "a piece fits a buffer");

struct store_upload {
	TAILQ_ENTRY(store_upload) entry;
	struct store *store; /* NULL once off the list */
	char *name;
	char *peer;
	char tmpname[32]; /* dot-named file; "" for O_TMPFILE */
	int fd;
	int dirfd; /* the store's, dup'ed: the writer may outlive it */
	int efd;   /* eventfd: news for the loop */
	int overwrite;
	uint64_t length;
	double started;

	/* the loop's */
	uint64_t received; /* bytes taken from the caller */
	int completing;

	/* the writer's */
	pthread_t hasher, writer;
	int direct;	  /* O_DIRECT on */
	uint64_t offset;  /* bytes written */
	uint64_t pushed;  /* buffered: writeback started up to here */
	uint64_t flushed; /* buffered: written back up to here */
	EVP_MD_CTX *md;
	char sha256[65];
	char expect[65]; /* the SHA-256 the caller expects; "" for any */

	/* shared, under lock.  Counts of buffers, ever: buffer i % NBUF is
	 * the writer's for written <= i < hashed, the hasher's for
	 * hashed <= i < filled, and the loop fills buffer filled % NBUF
	 * while filled - written < NBUF. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *buf[STORE_NBUF];
	size_t len[STORE_NBUF];
	unsigned int filled, hashed, written;
	size_t fill_len;
	int waiting;   /* the loop waits for room: wake it */
	int finish;    /* no more data: fsync and name it */
	int abandoned; /* the loop gave it up: the writer frees it */
	int nthreads;  /* threads started */
	int running;   /* threads not yet ended */
	int exited;    /* both threads ended */
	int done;      /* named under its name */
	int err;
	char errmsg[256];
};

static void store_upload_destroy(struct store_upload *);
static int store_set_direct(struct store_upload *, int on);
static void *store_writer(void *);
static void *store_hasher(void *);
static void store_upload_abort_thread(struct store_upload *);

struct store {
	char *path;
	int dirfd;
	int no_direct; /* uploads go through the page cache */
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
		return error_set(-errno, "cannot create the image store %s: %s",
		    dir, strerror(errno));
	if ((real = realpath(dir, NULL)) == NULL)
		return error_set(-errno,
		    "cannot resolve the image store %s: %s", dir,
		    strerror(errno));
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

/* Whether uploads may bypass the page cache. */
void
store_set_direct_io(struct store *st, int on)
{
	st->no_direct = !on;
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
			return error_set(
			    -ENOENT, "no image named '%s' in the store", name);
		return error_set(
		    -errno, "cannot stat '%s': %s", name, strerror(errno));
	}
	if (!S_ISREG(sb.st_mode))
		return error_set(-EINVAL,
		    "'%s' is not a regular file (the store never follows symlinks)",
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

/* Buffers, the eventfd and O_DIRECT for a new upload. */
static int
store_upload_setup(struct store_upload *up)
{
	int i, r;

	for (i = 0; i < STORE_NBUF; i++)
		if ((r = posix_memalign((void **)&up->buf[i], STORE_ALIGN,
			 STORE_BUF_SIZE)) != 0) {
			up->buf[i] = NULL;
			return error_set(-r, "no memory for upload buffers");
		}
	if ((up->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return error_set(
		    -errno, "cannot make an eventfd: %s", strerror(errno));
	/* no O_DIRECT (tmpfs before 6.6, some FUSE): through the cache */
	if (!up->store->no_direct)
		store_set_direct(up, 1);
	return 0;
}

/* What refuses an upload before anything is made: a bad name, an upload
 * to it running, an image of that name (unless overwrite), no room. */
static int
store_upload_check(
    struct store *st, const char *name, uint64_t length, int overwrite)
{
	struct store_space sp;
	struct stat sb;
	char a[32], b[32], c[32], d[32];
	int r;

	if ((r = name_check(name, strlen(name))) < 0)
		return r;
	if (store_uploading(st, name))
		return error_set(-EBUSY,
		    "an upload to '%s' is already running: wait for it or abort it",
		    name);
	r = store_stat(st, name, &sb);
	if (r == 0 && !overwrite)
		return error_set(-EEXIST,
		    "'%s' already exists: delete it first or upload with ?overwrite=1",
		    name);
	if (r < 0 && r != -ENOENT)
		return r;
	error_clear();
	if ((r = store_space(st, &sp)) < 0)
		return r;
	if (sp.avail < sp.reserve || sp.avail - sp.reserve < sp.pending ||
	    sp.avail - sp.reserve - sp.pending < length)
		return error_set(-ENOSPC,
		    "'%s' needs %s but the store has only %s free (%s kept in reserve, %s promised to running uploads): delete images or free space first",
		    name, store_size(length, a, sizeof(a)),
		    store_size(sp.avail, b, sizeof(b)),
		    store_size(sp.reserve, c, sizeof(c)),
		    store_size(sp.pending, d, sizeof(d)));
	return 0;
}

/* The upload's file with its blocks reserved, its hash and buffers; no
 * thread yet.  On failure everything made is gone. */
static int
store_upload_new(struct store *st, const char *name, uint64_t length,
    struct store_upload **ret_up)
{
	struct store_upload *up;
	char a[32];
	int r;

	up = xcalloc(1, sizeof(*up));
	up->store = st;
	up->fd = up->efd = -1;
	pthread_mutex_init(&up->lock, NULL);
	pthread_cond_init(&up->cond, NULL);
	if ((up->dirfd = fcntl(st->dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		r = -errno;
	else
		r = store_create_tmp(up);
	if (r < 0) {
		r = error_set(r, "cannot create a file in the image store: %s",
		    strerror(-r));
		goto fail;
	}
	/* Reserve the blocks now: a full disk shows up here, not at 90 %. */
	if (length > 0 &&
	    fallocate(up->fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)length) == -1 &&
	    errno == ENOSPC) {
		r = error_set(-ENOSPC,
		    "'%s' does not fit in the image store (%s): delete images or free space first",
		    name, store_size(length, a, sizeof(a)));
		goto fail;
	}
	if ((up->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(up->md, EVP_sha256(), NULL) != 1) {
		r = error_set(-ENOMEM, "cannot set up SHA-256");
		goto fail;
	}
	if ((r = store_upload_setup(up)) < 0)
		goto fail;
	*ret_up = up;
	return 0;
fail:
	up->store = NULL;
	store_upload_destroy(up);
	return r;
}

/* The writer and the hasher.  On failure the upload is gone: destroyed
 * here, or by the writer once told to abort. */
static int
store_upload_threads(struct store_upload *up)
{
	int r;

	if ((r = pthread_create(&up->writer, NULL, store_writer, up)) != 0) {
		r = error_set(
		    -r, "cannot start the upload's writer: %s", strerror(r));
		up->store = NULL;
		store_upload_destroy(up);
		return r;
	}
	pthread_setname_np(up->writer, "mediad-write"); /* for top -H */
	up->nthreads = up->running = 1;
	if ((r = pthread_create(&up->hasher, NULL, store_hasher, up)) != 0) {
		store_upload_abort_thread(up); /* the writer frees it */
		return error_set(
		    -r, "cannot start the upload's hasher: %s", strerror(r));
	}
	pthread_setname_np(up->hasher, "mediad-hash");
	pthread_mutex_lock(&up->lock);
	up->nthreads = 2;
	up->running++;
	pthread_mutex_unlock(&up->lock);
	return 0;
}

/* Start an upload, refusing up front what cannot succeed. */
int
store_upload_begin(struct store *st, const char *name, uint64_t length,
    int overwrite, const char *peer, struct store_upload **ret_up)
{
	struct store_upload *up = NULL;
	int r;

	if ((r = store_upload_check(st, name, length, overwrite)) < 0 ||
	    (r = store_upload_new(st, name, length, &up)) < 0)
		return r;
	up->name = xstrdup(name);
	up->peer = xstrdup(peer != NULL ? peer : "");
	up->overwrite = overwrite;
	up->length = length;
	up->started = store_now();
	if ((r = store_upload_threads(up)) < 0)
		return r;
	TAILQ_INSERT_TAIL(&st->uploads, up, entry);
	*ret_up = up;
	return 0;
}

/* Expect the data to hash to sha256 (64 lowercase hex digits, checked by
 * the caller); called before the first byte is written. */
void
store_upload_expect(struct store_upload *up, const char *sha256)
{
	snprintf(up->expect, sizeof(up->expect), "%s", sha256);
}

/* Give the finished file its name. */
static int
store_upload_link(struct store_upload *up)
{
	char proc[64], tmp[32];

	if (up->tmpname[0] != '\0') {
		if (renameat2(up->dirfd, up->tmpname, up->dirfd, up->name,
			up->overwrite ? 0 : RENAME_NOREPLACE) == -1)
			return -errno;
		up->tmpname[0] = '\0';
		return 0;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", up->fd);
	if (!up->overwrite) {
		if (linkat(AT_FDCWD, proc, up->dirfd, up->name,
			AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno == EEXIST)
			return -EEXIST;
		if (linkat(up->fd, "", up->dirfd, up->name, AT_EMPTY_PATH) == 0)
			return 0;
		return -errno;
	}
	/* Overwrite: a temporary name first, then rename over the old. */
	store_tmpname(tmp);
	if (linkat(AT_FDCWD, proc, up->dirfd, tmp, AT_SYMLINK_FOLLOW) == -1 &&
	    linkat(up->fd, "", up->dirfd, tmp, AT_EMPTY_PATH) == -1)
		return -errno;
	if (renameat(up->dirfd, tmp, up->dirfd, up->name) == -1) {
		int r = -errno;

		unlinkat(up->dirfd, tmp, 0);
		return r;
	}
	return 0;
}

/* Record the writer's first error for the loop (lock held). */
static void
store_fail_locked(struct store_upload *up, int r, const char *fmt, ...)
{
	va_list ap;

	if (up->err != 0)
		return;
	up->err = r;
	va_start(ap, fmt);
	utf8_vformat(up->errmsg, sizeof(up->errmsg), fmt, ap);
	va_end(ap);
}

/* Tell the loop to look again (its fd becomes readable). */
static void
store_wake(struct store_upload *up)
{
	uint64_t one = 1;

	if (write(up->efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		return;
}

/*
 * Buffered fallback: push written pages out behind the writer, so dirty
 * memory stays bounded and the closing fsync is short.  Only the writer
 * thread waits here, never the loop.
 */
static void
store_writeback(struct store_upload *up)
{
	uint64_t upto;

	if (up->offset - up->pushed < STORE_WRITEBACK)
		return;
	sync_file_range(up->fd, (off_t)up->pushed,
	    (off_t)(up->offset - up->pushed), SYNC_FILE_RANGE_WRITE);
	up->pushed = up->offset;
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

/* Turn O_DIRECT on or off; 0 or -errno. */
static int
store_set_direct(struct store_upload *up, int on)
{
	int fl;

	if ((fl = fcntl(up->fd, F_GETFL)) == -1 ||
	    fcntl(up->fd, F_SETFL, on ? fl | O_DIRECT : fl & ~O_DIRECT) == -1)
		return -errno;
	up->direct = on;
	return 0;
}

/* pwrite all of it at the writer's offset; 0 or -errno. */
static int
store_pwrite(struct store_upload *up, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(up->fd, p, len, (off_t)up->offset);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EINVAL && up->direct) {
			/* the file system takes the flag but not the I/O */
			if (store_set_direct(up, 0) < 0)
				return -EINVAL;
			continue;
		}
		if (n == -1)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		up->offset += (uint64_t)n;
	}
	return 0;
}

/* Write one buffer (writer thread); 0 or -errno. */
static int
store_put(struct store_upload *up, const char *p, size_t len)
{
	size_t whole = len & ~(size_t)(STORE_ALIGN - 1);
	int r;

	if (up->direct && whole < len) {
		/* the tail: aligned part direct, the rest through the cache */
		if (whole > 0 && (r = store_pwrite(up, p, whole)) < 0)
			return r;
		p += whole;
		len -= whole;
		if (up->direct && store_set_direct(up, 0) < 0)
			return -EIO;
	}
	if ((r = store_pwrite(up, p, len)) < 0)
		return r;
	if (!up->direct)
		store_writeback(up);
	return 0;
}

/* Writer thread: the data is in; make it durable and name it. */
static void
store_finish_file(struct store_upload *up)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	int r;

	if (fsync(up->fd) == -1) {
		r = -errno;
		pthread_mutex_lock(&up->lock);
		store_fail_locked(
		    up, r, "fsync of '%s' failed: %s", up->name, strerror(-r));
		pthread_mutex_unlock(&up->lock);
		return;
	}
	EVP_DigestFinal_ex(up->md, md, &mdlen);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(up->sha256 + 2 * i, 3, "%02x", md[i]);
	up->sha256[2 * i] = '\0';
	if (up->expect[0] != '\0' && strcmp(up->expect, up->sha256) != 0) {
		pthread_mutex_lock(&up->lock);
		store_fail_locked(up, -EINVAL,
		    "the data received for '%s' has SHA-256 %s, not the "
		    "expected %s: nothing was kept (a damaged or different "
		    "file at the source?)",
		    up->name, up->sha256, up->expect);
		pthread_mutex_unlock(&up->lock);
		return;
	}
	if ((r = store_upload_link(up)) < 0) {
		pthread_mutex_lock(&up->lock);
		if (r == -EEXIST)
			store_fail_locked(up, r,
			    "'%s' appeared while uploading: "
			    "upload again with ?overwrite=1",
			    up->name);
		else
			store_fail_locked(up, r,
			    "cannot name the upload '%s': %s", up->name,
			    strerror(-r));
		pthread_mutex_unlock(&up->lock);
		return;
	}
	fsync(up->dirfd);
	pthread_mutex_lock(&up->lock);
	up->done = 1;
	pthread_mutex_unlock(&up->lock);
}

/* Free everything of an upload that has left the store's list. */
static void
store_upload_destroy(struct store_upload *up)
{
	int i;

	if (up->tmpname[0] != '\0')
		unlinkat(up->dirfd, up->tmpname, 0);
	if (up->fd != -1)
		close(up->fd);
	if (up->efd != -1)
		close(up->efd);
	if (up->dirfd != -1)
		close(up->dirfd);
	for (i = 0; i < STORE_NBUF; i++)
		free(up->buf[i]);
	EVP_MD_CTX_free(up->md);
	pthread_mutex_destroy(&up->lock);
	pthread_cond_destroy(&up->cond);
	free(up->name);
	free(up->peer);
	free(up);
}

/* A thread ends (lock held); returns whether it frees the upload. */
static int
store_thread_end_locked(struct store_upload *up)
{
	if (--up->running > 0)
		return 0;
	up->exited = 1;
	pthread_cond_broadcast(&up->cond);
	if (up->abandoned)
		return 1; /* detached: nobody joins */
	store_wake(up);
	return 0;
}

/* The hasher thread: SHA-256 of each buffer the loop filled, in order. */
static void *
store_hasher(void *arg)
{
	struct store_upload *up = arg;
	unsigned int i;
	int last;

	pthread_mutex_lock(&up->lock);
	for (;;) {
		while (up->hashed == up->filled && !up->finish &&
		    !up->abandoned && up->err == 0)
			pthread_cond_wait(&up->cond, &up->lock);
		if (up->abandoned || up->err != 0 ||
		    (up->finish && up->hashed == up->filled))
			break;
		i = up->hashed % STORE_NBUF;
		pthread_mutex_unlock(&up->lock);
		EVP_DigestUpdate(up->md, up->buf[i], up->len[i]);
		pthread_mutex_lock(&up->lock);
		up->hashed++;
		pthread_cond_broadcast(&up->cond);
	}
	last = store_thread_end_locked(up);
	pthread_mutex_unlock(&up->lock);
	if (last)
		store_upload_destroy(up);
	return NULL;
}

/*
 * The writer thread: writes the hashed buffers in order, so hashing one
 * overlaps the disk writing the one before; at the end fsyncs and names
 * the file.  Both threads stop at the first error; the last one out frees
 * the upload when the loop gave it up meanwhile.
 */
static void *
store_writer(void *arg)
{
	struct store_upload *up = arg;
	unsigned int i;
	int r, last;

	pthread_mutex_lock(&up->lock);
	for (;;) {
		while (up->written == up->hashed &&
		    !(up->finish && up->written == up->filled) &&
		    !up->abandoned && up->err == 0)
			pthread_cond_wait(&up->cond, &up->lock);
		if (up->abandoned || up->err != 0)
			break;
		if (up->written == up->hashed) {
			/* finish, with everything hashed and written */
			pthread_mutex_unlock(&up->lock);
			store_finish_file(up);
			pthread_mutex_lock(&up->lock);
			break;
		}
		i = up->written % STORE_NBUF;
		pthread_mutex_unlock(&up->lock);
		r = store_put(up, up->buf[i], up->len[i]);
		pthread_mutex_lock(&up->lock);
		if (r < 0) {
			if (r == -ENOSPC || r == -EDQUOT)
				store_fail_locked(up, -ENOSPC,
				    "the image store ran out of space while "
				    "writing '%s'",
				    up->name);
			else if (r == -EFBIG)
				store_fail_locked(up, r,
				    "writing '%s' failed: File too large: the "
				    "image store's file system (or a file-size "
				    "limit) takes at most %llu MiB in one file "
				    "(FAT: 4 GiB)",
				    up->name,
				    (unsigned long long)(up->offset >> 20));
			else
				store_fail_locked(up, r,
				    "writing '%s' failed: %s", up->name,
				    strerror(-r));
			pthread_cond_broadcast(&up->cond);
			break;
		}
		up->written++;
		pthread_cond_broadcast(&up->cond);
		if (up->waiting && STORE_ROOM(up) >= STORE_PIECE_MAX) {
			up->waiting = 0;
			store_wake(up);
		}
	}
	last = store_thread_end_locked(up);
	pthread_mutex_unlock(&up->lock);
	if (last)
		store_upload_destroy(up);
	return NULL;
}

/* Hand the buffer being filled to the writer (lock held). */
static void
store_queue_fill_locked(struct store_upload *up)
{
	unsigned int f = up->filled % STORE_NBUF;

	up->len[f] = up->fill_len;
	up->filled++;
	up->fill_len = 0;
	pthread_cond_broadcast(&up->cond);
}

/* Append a piece of the body. */
int
store_upload_write(struct store_upload *up, const void *data, size_t len)
{
	const char *p = data;
	unsigned int f;
	size_t n;
	int r = STORE_UPLOAD_MORE;

	if (up->completing || len > up->length - up->received)
		return error_set(-EMSGSIZE,
		    "more data than the %llu bytes announced",
		    (unsigned long long)up->length);
	pthread_mutex_lock(&up->lock);
	while (len > 0 && up->err == 0) {
		if (up->filled - up->written == STORE_NBUF) {
			/* a caller that ignored STORE_UPLOAD_FULL: wait for
			 * one buffer write (mediad pauses instead) */
			pthread_cond_wait(&up->cond, &up->lock);
			continue;
		}
		f = up->filled % STORE_NBUF;
		n = STORE_BUF_SIZE - up->fill_len;
		if (n > len)
			n = len;
		/* buffer f is the loop's alone: copy without the lock */
		pthread_mutex_unlock(&up->lock);
		memcpy(up->buf[f] + up->fill_len, p, n);
		pthread_mutex_lock(&up->lock);
		up->fill_len += n;
		up->received += n;
		p += n;
		len -= n;
		if (up->fill_len == STORE_BUF_SIZE)
			store_queue_fill_locked(up);
	}
	if (up->err != 0)
		r = error_set(up->err, "%s", up->errmsg);
	else if (STORE_ROOM(up) < STORE_PIECE_MAX) {
		up->waiting = 1;
		r = STORE_UPLOAD_FULL;
	}
	pthread_mutex_unlock(&up->lock);
	return r;
}

/* The fd that turns readable when store_upload_poll() has news. */
int
store_upload_fd(const struct store_upload *up)
{
	return up->efd;
}

/* What the writer has done: see store.h. */
int
store_upload_poll(struct store_upload *up)
{
	uint64_t n;
	int r;

	while (read(up->efd, &n, sizeof(n)) == -1 && errno == EINTR)
		;
	pthread_mutex_lock(&up->lock);
	if (up->err != 0)
		r = error_set(up->err, "%s", up->errmsg);
	else if (up->done)
		r = STORE_UPLOAD_DONE;
	else if (up->completing)
		r = STORE_UPLOAD_FULL; /* finishing: nothing more to take */
	else if (STORE_ROOM(up) >= STORE_PIECE_MAX)
		r = STORE_UPLOAD_MORE;
	else {
		up->waiting = 1;
		r = STORE_UPLOAD_FULL;
	}
	pthread_mutex_unlock(&up->lock);
	return r;
}

/* All bytes are in: the writer flushes, fsyncs and names the file. */
int
store_upload_complete(struct store_upload *up)
{
	if (up->completing)
		return 0;
	if (up->received != up->length)
		return error_set(-EIO,
		    "the upload of '%s' ended after %llu of %llu bytes",
		    up->name, (unsigned long long)up->received,
		    (unsigned long long)up->length);
	pthread_mutex_lock(&up->lock);
	up->completing = 1;
	if (up->fill_len > 0)
		store_queue_fill_locked(up);
	up->finish = 1;
	pthread_cond_broadcast(&up->cond);
	pthread_mutex_unlock(&up->lock);
	return 0;
}

/* Unlink from the store's list. */
static void
store_upload_unlist(struct store_upload *up)
{
	if (up->store != NULL) {
		TAILQ_REMOVE(&up->store->uploads, up, entry);
		up->store = NULL;
	}
}

/* Finish: complete if not yet, wait for the writer, report. */
int
store_upload_finish(struct store_upload *up, char *ret_sha256)
{
	int r;

	if ((r = store_upload_complete(up)) < 0) {
		store_upload_abort(up);
		return r;
	}
	pthread_mutex_lock(&up->lock);
	while (!up->exited)
		pthread_cond_wait(&up->cond, &up->lock);
	r = up->done ? 0 : error_set(up->err, "%s", up->errmsg);
	pthread_mutex_unlock(&up->lock);
	if (r < 0) {
		store_upload_abort(up);
		return r;
	}
	memcpy(ret_sha256, up->sha256, 65);
	store_upload_unlist(up);
	pthread_join(up->hasher, NULL);
	pthread_join(up->writer, NULL);
	store_upload_destroy(up);
	return 0;
}

/* Give up on the threads: they free the upload when the last ends
 * (now, if they have ended already).  The caller must not touch up. */
static void
store_upload_abort_thread(struct store_upload *up)
{
	pthread_t h = up->hasher, w = up->writer;
	int n, exited;

	pthread_mutex_lock(&up->lock);
	n = up->nthreads;
	exited = up->exited;
	up->abandoned = 1;
	pthread_cond_broadcast(&up->cond);
	pthread_mutex_unlock(&up->lock);
	if (exited) {
		pthread_join(w, NULL);
		if (n == 2)
			pthread_join(h, NULL);
		store_upload_destroy(up);
		return;
	}
	/* up may be gone already */
	pthread_detach(w);
	if (n == 2)
		pthread_detach(h);
}

/*
 * Drop an upload and its file.  Threads still busy with a buffer are left
 * to end by themselves (the last frees the upload), so the caller never
 * waits for the disk.  An upload the writer has already named stays.
 */
void
store_upload_abort(struct store_upload *up)
{
	if (up == NULL)
		return;
	store_upload_unlist(up);
	store_upload_abort_thread(up);
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
